/**
 * Dev servers found without a wrapper: the process trees of VS Code's integrated terminals and
 * task processes are watched (core/devservers/detector.ts), and a server that starts listening on
 * a loopback port is offered at https://NAME.localhost through the proxy, once per server. Terminals
 * and tasks also get NODE_EXTRA_CA_CERTS, so Node in them trusts the local CA.
 */
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import * as vscode from "vscode";
import { appHostFor, httpsUrl } from "../core/devservers/devServerEnv";
import { DevServerDetector, suggestAppName, type DetectedServer } from "../core/devservers/detector";
import type { SwitchyardSession } from "./session";
import { TerminalTrustCache } from "../core/ca/trust/terminalTrustCache";

/** The label detected servers get in this workspace: the setting, else package.json's name, else the folder. */
function appLabel(session: SwitchyardSession): string {
  const named = session.currentSettings.devServers.name;
  if (named) return named;
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (!folder) return "app";
  let pkgName: string | undefined;
  try {
    const pkg = JSON.parse(readFileSync(join(folder, "package.json"), "utf8")) as { name?: unknown };
    if (typeof pkg.name === "string") pkgName = pkg.name;
  } catch {
    /* no package.json: the folder's name */
  }
  return suggestAppName(basename(folder), pkgName);
}

export class DevServerWatch implements vscode.Disposable {
  private readonly detector = new DevServerDetector({ intervalMs: 1000 });
  private readonly disposables: vscode.Disposable[] = [];
  /** Detected server (root:port) to the host routed for it. */
  private readonly routed = new Map<string, string>();
  private readonly offered = new Set<string>();

  constructor(
    private readonly session: SwitchyardSession,
    private readonly log: vscode.LogOutputChannel,
  ) {
    // Nothing is polled while detection is off.
    const detecting = (): boolean => this.session.currentSettings.devServers.detect;
    const watchTerminal = (t: vscode.Terminal): void =>
      void t.processId.then((pid) => pid && detecting() && this.detector.watch(pid));
    vscode.window.terminals.forEach(watchTerminal);
    const taskPids = new Map<vscode.TaskExecution, number>();
    this.disposables.push(
      vscode.window.onDidOpenTerminal(watchTerminal),
      vscode.window.onDidCloseTerminal((t) => void t.processId.then((pid) => pid && this.detector.unwatch(pid))),
      vscode.tasks.onDidStartTaskProcess((e) => {
        taskPids.set(e.execution, e.processId);
        if (detecting()) this.detector.watch(e.processId);
      }),
      vscode.tasks.onDidEndTaskProcess((e) => {
        const pid = taskPids.get(e.execution);
        taskPids.delete(e.execution);
        if (pid) this.detector.unwatch(pid);
      }),
    );
    this.detector.on("found", (s) => void this.found(s));
    this.detector.on("gone", (s) => void this.gone(s));
  }

  /** Scans now (the tests, and a refresh) instead of waiting for the next tick. */
  scan(): Promise<void> {
    return this.detector.scanOnce();
  }

  /** The servers seen now. */
  servers(): DetectedServer[] {
    return this.detector.servers();
  }

  private hostFor(s: DetectedServer): string {
    const base = appHostFor(appLabel(this.session));
    const taken = [...this.routed.entries()].some(([key, host]) => host === base && key !== `${s.rootPid}:${s.port}`);
    return taken
      ? appHostFor(`${base.replace(/\.localhost$/, "")}-${s.port}${base.endsWith(".localhost") ? "" : ".localhost"}`)
      : base;
  }

  private async found(s: DetectedServer): Promise<void> {
    if (!this.session.currentSettings.devServers.detect) return;
    // Not Switchyard itself (a serve or run proxy in a terminal) nor a server `switchyard run` routes.
    if (this.session.bindings().some((b) => b.port === s.port)) return;
    if (this.session.dynamicRoutes().some((r) => r.source === "run" && new URL(r.upstream).port === String(s.port)))
      return;
    if (s.label === "Switchyard") return;
    const key = `${s.rootPid}:${s.port}`;
    if (this.offered.has(key)) return;
    this.offered.add(key);
    const host = this.hostFor(s);
    this.log.info(`dev server found: ${s.label} (pid ${s.pid}) listens on port ${s.port}`);
    if (this.session.currentSettings.devServers.autoRoute) return this.route(s, host, false);
    const open = "Open";
    const always = "Always for this Workspace";
    const answer = await vscode.window.showInformationMessage(
      `${s.label} is listening on ${s.port}: open https://${host} through Switchyard?`,
      open,
      always,
    );
    if (answer === always)
      await vscode.workspace
        .getConfiguration("switchyard")
        .update("devServers.autoRoute", true, vscode.ConfigurationTarget.Workspace);
    if (answer) await this.route(s, host, true);
  }

  private async route(s: DetectedServer, host: string, open: boolean): Promise<void> {
    try {
      await this.session.addDetectedRoute({
        host,
        upstream: s.upstream,
        source: "detected",
        owner: { pid: s.pid, command: s.label },
      });
      this.routed.set(`${s.rootPid}:${s.port}`, host);
      if (open) await vscode.env.openExternal(vscode.Uri.parse(httpsUrl(host, this.session.tlsPort())));
    } catch (e) {
      void vscode.window.showWarningMessage(`Switchyard: ${(e as Error).message}`);
    }
  }

  private async gone(s: DetectedServer): Promise<void> {
    const key = `${s.rootPid}:${s.port}`;
    this.offered.delete(key);
    const host = this.routed.get(key);
    this.routed.delete(key);
    if (host) await this.session.removeDetectedRoute(host);
  }

  dispose(): void {
    this.detector.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

// Read again only when one of the files changed: this runs on every redraw of the window.
const terminalTrust = new TerminalTrustCache();

/**
 * The trust variables for terminals and tasks: NODE_EXTRA_CA_CERTS (the root, with the user's own
 * roots if they set the variable) once the CA exists,
 * and, once `ca trust` wrote the combined bundle (system roots + the root), SSL_CERT_FILE,
 * REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE pointing at it (core/ca/trust/runtimeEnv.ts). Nothing when
 * `switchyard.terminal.environment` is off. New terminals pick them up; VS Code marks old ones stale.
 */
export function terminalVariables(session: SwitchyardSession): Record<string, string> {
  if (!session.currentSettings.terminal.environment) return {};
  // The window's own NODE_EXTRA_CA_CERTS (from the user's shell) is kept beside the root.
  return terminalTrust.variables(session.caDirectory(), process.env.NODE_EXTRA_CA_CERTS);
}

/** Puts the variables into the collection (cleared when there are none). */
export function applyTerminalEnvironment(
  collection: vscode.GlobalEnvironmentVariableCollection,
  variables: Record<string, string>,
): void {
  collection.clear();
  if (Object.keys(variables).length === 0) return;
  collection.persistent = true;
  collection.description = `Switchyard: trust the local development CA (${Object.keys(variables).join(", ")})`;
  for (const [name, value] of Object.entries(variables)) collection.replace(name, value);
}
