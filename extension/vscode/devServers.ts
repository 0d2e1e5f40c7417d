/**
 * Dev servers found without a wrapper: the process trees of VS Code's integrated terminals and
 * task processes are watched (core/devservers/detector.ts), and a server that starts listening on
 * a loopback port is announced once: "NAME is up" when a route already sends requests to its
 * port, else an offer of https://NAME.localhost through the proxy, with a name no route and no
 * other offer uses. Where VS Code's port forwarding already shows a toast for the port (a remote
 * window), Switchyard says it in the status bar instead: one toast per server. Terminals and tasks
 * also get NODE_EXTRA_CA_CERTS, so Node in them trusts the local CA.
 */
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import * as vscode from "vscode";
import { DevServerDetector, suggestAppName, type DetectedServer } from "../core/devservers/detector";
import { routeServing, type RouteTarget } from "../core/devservers/servedBy";
import { uniqueServerHost } from "../core/devservers/serverName";
import { vscodeAnnouncesPort, type PortNoticeSettings } from "../core/devservers/vscodePortNotice";
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

/** What a person recognises a server by: its whole command, with the framework's name when known. */
function serverText(s: DetectedServer): string {
  if (!s.command) return s.label;
  return s.command.toLowerCase().includes(s.label.toLowerCase()) ? s.command : `${s.label} (${s.command})`;
}

/** The socket's address as people read it: 127.0.0.1:5173, [::1]:5173. */
function socketAddress(s: DetectedServer): string {
  try {
    return new URL(s.upstream).host;
  } catch {
    return `port ${s.port}`;
  }
}

/** What VS Code's port forwarding does with a port, from its own settings (core/devservers/vscodePortNotice.ts). */
function portNoticeSettings(): PortNoticeSettings {
  const remote = vscode.workspace.getConfiguration("remote");
  return {
    remote: vscode.env.remoteName !== undefined,
    autoForwardPorts: remote.get("autoForwardPorts"),
    portsAttributes: remote.get("portsAttributes"),
    otherPortsAttributes: remote.get("otherPortsAttributes"),
  };
}

/** How long a status bar message about a server stays, when VS Code's own toast already announced it. */
const STATUS_MESSAGE_MS = 15_000;

export class DevServerWatch implements vscode.Disposable {
  private readonly detector = new DevServerDetector({ intervalMs: 1000 });
  private readonly disposables: vscode.Disposable[] = [];
  /** Detected server (root:port) to the host routed for it. */
  private readonly routed = new Map<string, string>();
  /** Detected server (root:port) to the name its open offer shows, so that no two offers share a name. */
  private readonly offered = new Map<string, string>();
  /** Servers already announced (offered, or told to be up) while they listen. */
  private readonly announced = new Set<string>();
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when a server in this window's terminals or tasks starts or stops listening. */
  readonly onDidChangeServers = this.changed.event;

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
      this.changed,
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
      // Turned on: the terminals already open are watched too (the session has the new settings by now).
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration("switchyard.devServers.detect") && detecting())
          vscode.window.terminals.forEach(watchTerminal);
      }),
    );
    this.detector.on("found", (s) => {
      this.changed.fire();
      this.found(s).catch((e: unknown) => this.log.error(`dev server on port ${s.port}: ${(e as Error).message}`));
    });
    this.detector.on("gone", (s) => {
      this.changed.fire();
      this.gone(s).catch((e: unknown) =>
        this.log.error(`dev server on port ${s.port} stopped: ${(e as Error).message}`),
      );
    });
  }

  /** Scans now (the tests, and a refresh) instead of waiting for the next tick. */
  scan(): Promise<void> {
    return this.detector.scanOnce();
  }

  /**
   * The servers listening now in this window's terminals and tasks (Add Route lists them first),
   * a copy: reading it changes nothing. {@link onDidChangeServers} says when it changed.
   */
  servers(): DetectedServer[] {
    return this.detector.servers().map((s) => ({ ...s }));
  }

  /** A name for `s` that no route and no other open offer uses (core/devservers/serverName.ts). */
  private hostFor(s: DetectedServer): string {
    const key = `${s.rootPid}:${s.port}`;
    const taken = [
      ...this.session.routes().map((r) => r.host),
      ...[...this.offered.entries()].filter(([k]) => k !== key).map(([, host]) => host),
    ];
    return uniqueServerHost(appLabel(this.session), s.port, taken);
  }

  /** The route that already sends requests to `s`'s socket, from the settings, detection or `switchyard run`. */
  private routeServing(s: DetectedServer): RouteTarget | undefined {
    return routeServing(s, this.session.routes());
  }

  private async found(s: DetectedServer): Promise<void> {
    if (!this.session.currentSettings.devServers.detect) return;
    // Not Switchyard itself (a serve or run proxy in a terminal) nor a server `switchyard run` routes.
    if (this.session.bindings().some((b) => b.port === s.port)) return;
    if (this.session.dynamicRoutes().some((r) => r.source === "run" && new URL(r.upstream).port === String(s.port)))
      return;
    if (s.label === "Switchyard") return;
    const key = `${s.rootPid}:${s.port}`;
    if (this.announced.has(key)) return;
    this.announced.add(key);
    const what = serverText(s);
    const where = socketAddress(s);
    this.log.info(`dev server found: ${what} (pid ${s.pid}) listens on ${where}`);
    // In a remote window VS Code announces the port itself: one toast per server, so not a second one.
    const vscodeToast = vscodeAnnouncesPort(s.port, s.command, portNoticeSettings());
    const existing = this.routeServing(s);
    if (existing) return this.tellUp(existing.host, what, where, vscodeToast);
    let host: string;
    try {
      host = this.hostFor(s);
    } catch (e) {
      this.log.warn(`no name for ${what}: ${(e as Error).message}`);
      return;
    }
    if (this.session.currentSettings.devServers.autoRoute) return this.route(s, host, false);
    if (vscodeToast) {
      this.log.info(`VS Code announces port ${s.port} itself; Switchyard adds no toast (Add Route lists it first)`);
      this.disposables.push(
        vscode.window.setStatusBarMessage(
          `$(plug) Switchyard: ${what} on ${where}. Add Route gives it an https name.`,
          STATUS_MESSAGE_MS,
        ),
      );
      return;
    }
    this.offered.set(key, host);
    this.log.info(`offering https://${host} for ${what}`);
    const open = "Open";
    const always = "Always for this Workspace";
    let answer: string | undefined;
    try {
      answer = await vscode.window.showInformationMessage(
        `${what} is listening on ${where}: open https://${host} through Switchyard?`,
        open,
        always,
      );
    } finally {
      this.offered.delete(key);
    }
    if (answer === always)
      await vscode.workspace
        .getConfiguration("switchyard")
        .update("devServers.autoRoute", true, vscode.ConfigurationTarget.Workspace);
    if (!answer) return;
    // While the toast was up a route to this port may have been added (Add Route): open that one.
    const now = this.routeServing(s);
    if (now) return void (await vscode.env.openExternal(vscode.Uri.parse(this.session.publicUrl(now.host))));
    if (!this.detector.servers().some((x) => x.rootPid === s.rootPid && x.port === s.port)) {
      void vscode.window.showWarningMessage(`Switchyard: ${what} stopped listening on ${where}; nothing was routed.`);
      return;
    }
    // Taken meanwhile (another server's route): the next free name.
    if (this.session.routes().some((r) => r.host === host)) host = this.hostFor(s);
    await this.route(s, host, true);
  }

  /** A server came up behind a route that exists: say so, once, and offer to open it. */
  private async tellUp(host: string, what: string, where: string, vscodeToast: boolean): Promise<void> {
    const text = `${host} is up: ${what} is listening on ${where}.`;
    this.log.info(text);
    if (vscodeToast) {
      this.disposables.push(vscode.window.setStatusBarMessage(`$(check) Switchyard: ${text}`, STATUS_MESSAGE_MS));
      return;
    }
    const open = `Open ${host}`;
    if ((await vscode.window.showInformationMessage(text, open)) === open)
      await vscode.env.openExternal(vscode.Uri.parse(this.session.publicUrl(host)));
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
      if (open) await vscode.env.openExternal(vscode.Uri.parse(this.session.publicUrl(host)));
    } catch (e) {
      void vscode.window.showWarningMessage(`Switchyard: ${(e as Error).message}`);
    }
  }

  private async gone(s: DetectedServer): Promise<void> {
    const key = `${s.rootPid}:${s.port}`;
    this.announced.delete(key);
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
