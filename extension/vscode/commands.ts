/**
 * Every palette command, as a small function over {@link CommandContext}. activate.ts only wires
 * them; the work happens in the session, the *Actions modules and the core.
 */
import * as vscode from "vscode";
import { createCa, exportCertificate, showCaStatus, trustCa, untrustCa } from "./caActions";
import { engines } from "./engines";
import { addHostMapping, removeHostMapping, showHostsFile, syncHosts } from "./hostsActions";
import type { PanelHost } from "./panelHost";
import type { WindowServer } from "../core/net/upstreamCandidates";
import { stopStandardPorts, useStandardPorts } from "./portsActions";
import { shareOnLan, showLanQrCode, stopSharingOnLan } from "./lanActions";
import { addRoute, editRoute, removeRoute } from "./routeActions";
import { openableUrl } from "./remoteWindow";
import { fixRoute } from "./settingsProblems";
import type { SwitchyardSession } from "./session";

export interface CommandContext {
  session: SwitchyardSession;
  panel: PanelHost;
  log: vscode.LogOutputChannel;
  extensionUri: vscode.Uri;
  /** Redraws the tree views (after an action that changed what they show). */
  onRefresh?(): void;
  /** Dev servers found in this window's terminals and tasks, which Add Route offers first. */
  windowServers?(): WindowServer[];
}

type Command = (ctx: CommandContext, ...args: unknown[]) => unknown;

const asString = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const asStrings = (v: unknown): string[] | undefined =>
  Array.isArray(v) && v.every((x) => typeof x === "string") ? v : undefined;

/** A tree node's route (the argument of an inline action), if `v` is one. */
function routeOf(v: unknown): { url: string; index?: number } | undefined {
  const route = (v as { route?: { url?: unknown; index?: unknown } } | undefined)?.route;
  if (typeof route?.url !== "string") return undefined;
  return { url: route.url, ...(typeof route.index === "number" ? { index: route.index } : {}) };
}

/** The position in `switchyard.proxy.routes` of a route node (valid or invalid), or a number given as is. */
function routeIndex(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  const invalid = (v as { invalid?: { index?: unknown } } | undefined)?.invalid?.index;
  return typeof invalid === "number" ? invalid : routeOf(v)?.index;
}

/** A tree node's host mapping name (the argument of its inline Remove), if `v` is one. */
function mappingName(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  const name = (v as { mapping?: { name?: unknown } } | undefined)?.mapping?.name;
  return typeof name === "string" ? name : undefined;
}

async function pickRouteUrl(ctx: CommandContext, title: string, arg?: unknown): Promise<string | undefined> {
  const given = typeof arg === "string" ? arg : routeOf(arg)?.url;
  if (given) return given;
  const routes = ctx.session.routes();
  if (routes.length === 0) {
    const answer = await vscode.window.showInformationMessage("Switchyard has no routes yet.", "Add Route…");
    if (answer) await vscode.commands.executeCommand("switchyard.addRoute");
    return undefined;
  }
  if (routes.length === 1) return routes[0]?.url;
  return (
    await vscode.window.showQuickPick(
      routes.map((r) => ({ label: r.url, description: `→ ${r.upstream}` })),
      { title, placeHolder: "The route to use", matchOnDescription: true },
    )
  )?.label;
}

async function probe(ctx: CommandContext, url?: string): Promise<string | undefined> {
  const target =
    url ??
    (await vscode.window.showInputBox({
      title: "Probe URL",
      prompt: "What does the port behind this URL speak? Switchyard connects and tells (TLS, HTTP, which certificate).",
      placeHolder: "https://my-awesome-service.test:8443/",
      value: ctx.session.routes()[0]?.url ?? ctx.session.publicUrl("my-awesome-service.test"),
    }));
  if (!target) return undefined;
  const { probeUrl, formatProbeReport } = await engines();
  const extraCaPem = await ctx.session
    .openCa()
    .then(({ ca }) => ca.rootPem())
    .catch(() => undefined);
  const report = await probeUrl(target, { extraCaPem });
  const text = formatProbeReport(report);
  ctx.log.info(`probe ${target}:\n${text}`);
  await ctx.panel.post({ type: "probeResult", url: target, text, ok: report.works });
  if (!ctx.panel.visible) {
    const doc = await vscode.workspace.openTextDocument({ content: text, language: "plaintext" });
    await vscode.window.showTextDocument(doc, { preview: true });
  }
  return text;
}

/** What to do about a proxy that failed (entirely or on some addresses): Retry, Change Port, Show Log. */
async function showProxyProblem(ctx: CommandContext): Promise<void> {
  const status = ctx.session.status();
  const problem = status.problems[0] ?? "The proxy is not listening.";
  const items: (vscode.QuickPickItem & { run: () => unknown })[] = [
    { label: "$(debug-restart) Retry", description: "Start the proxy again", run: () => ctx.session.restartProxy() },
    { label: "$(edit) Change Port…", description: "Listen on another port", run: () => changePort(ctx) },
    { label: "$(output) Show Log", run: () => ctx.log.show() },
  ];
  if (status.state === "partial") items.push({ label: "$(debug-stop) Stop Proxy", run: () => ctx.session.stopProxy() });
  const picked = await vscode.window.showQuickPick(items, {
    title: status.state === "partial" ? "The proxy listens on some addresses only" : "The proxy is not listening",
    placeHolder: problem,
  });
  await picked?.run();
}

/** Asks for a port and puts it into every `switchyard.proxy.listen` spec (the proxy rebinds live). */
async function changePort(ctx: CommandContext, portArg?: unknown): Promise<number | undefined> {
  const listen = ctx.session.currentSettings.proxy.listen;
  const current = /:(\d+)$/.exec(listen[0] ?? "")?.[1] ?? "8443";
  const text =
    typeof portArg === "number" || typeof portArg === "string"
      ? String(portArg)
      : await vscode.window.showInputBox({
          title: "Change Proxy Port",
          prompt: "The port the proxy listens on for HTTPS",
          value: String(Number(current) + 1),
          validateInput: (v) =>
            /^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 65535 ? undefined : "A port number from 1 to 65535",
        });
  if (!text) return undefined;
  const port = Number(text);
  const specs = listen.length ? listen : ["localhost:8443"];
  const next = specs.map((spec) => (/:\d+$/.test(spec) ? spec.replace(/:\d+$/, `:${port}`) : `${spec}:${port}`));
  const target = vscode.workspace.workspaceFolders?.length
    ? vscode.ConfigurationTarget.Workspace
    : vscode.ConfigurationTarget.Global;
  await vscode.workspace.getConfiguration("switchyard").update("proxy.listen", next, target);
  if (!ctx.session.status().ports.length && ctx.session.state !== "off") await ctx.session.restartProxy();
  return port;
}

const COMMANDS: Record<string, Command> = {
  "switchyard.openPanel": (ctx) => ctx.panel.show(),
  "switchyard.startProxy": (ctx) => ctx.session.startProxy(),
  "switchyard.stopProxy": (ctx) => ctx.session.stopProxy(),
  "switchyard.toggleProxy": (ctx) => ctx.session.toggleProxy(),
  "switchyard.restartProxy": (ctx) => ctx.session.restartProxy(),
  "switchyard.showProxyProblem": (ctx) => showProxyProblem(ctx),
  "switchyard.changePort": (ctx, port) => changePort(ctx, port),
  "switchyard.showLog": (ctx) => ctx.log.show(),
  "switchyard.refreshViews": (ctx) => {
    ctx.session.invalidateCaView();
    ctx.onRefresh?.();
  },
  "switchyard.addRoute": async (ctx, upstream, host) => {
    const added = await addRoute(asString(upstream), asString(host), {
      settings: ctx.session.currentSettings,
      log: ctx.log,
      windowServers: () => ctx.windowServers?.() ?? [],
      proxyPorts: () => ctx.session.bindings().map((b) => b.port),
    });
    ctx.onRefresh?.();
    return added;
  },
  "switchyard.editRoute": (_ctx, node) => editRoute(routeIndex(node)),
  "switchyard.removeRoute": (_ctx, node) => removeRoute(routeIndex(node)),
  "switchyard.fixRoute": (_ctx, node) => fixRoute(routeIndex(node)),
  "switchyard.addHostMapping": async (ctx, name, addresses) => {
    const added = await addHostMapping(ctx.session.currentSettings, ctx.log, asString(name), asStrings(addresses));
    if (added) void vscode.commands.executeCommand("setContext", "switchyard.hostMapped", true);
    ctx.onRefresh?.();
    return added;
  },
  "switchyard.removeHostMapping": async (ctx, name) => {
    const removed = await removeHostMapping(ctx.session.currentSettings, ctx.log, mappingName(name));
    ctx.onRefresh?.();
    return removed;
  },
  "switchyard.showHostsFile": (ctx) => showHostsFile(ctx.session.currentSettings),
  "switchyard.syncHosts": (ctx) => syncHosts(ctx.session.currentSettings, ctx.log),
  "switchyard.createCa": (ctx) => createCa(ctx.session, ctx.log),
  "switchyard.trustCa": async (ctx) => {
    const outcomes = await trustCa(ctx.session, ctx.log);
    // Read trust again so the views and the walkthrough's "trusted" step follow what happened.
    await ctx.session.caSnapshot();
    ctx.onRefresh?.();
    return outcomes;
  },
  "switchyard.untrustCa": (ctx) => untrustCa(ctx.session, ctx.log),
  "switchyard.showCaStatus": (ctx) => showCaStatus(ctx.session),
  "switchyard.useStandardPorts": async (ctx) => {
    const reached = await useStandardPorts(ctx.session, ctx.log);
    ctx.onRefresh?.();
    return reached;
  },
  "switchyard.shareOnLan": async (ctx) => {
    const on = await shareOnLan(ctx.session, ctx.log);
    if (on) await showLanQrCode(ctx.session);
    return on;
  },
  "switchyard.stopSharingOnLan": (ctx) => stopSharingOnLan(ctx.log),
  "switchyard.showLanQrCode": (ctx) => showLanQrCode(ctx.session),
  "switchyard.stopStandardPorts": async (ctx) => {
    await stopStandardPorts(ctx.session, ctx.log);
    ctx.onRefresh?.();
  },
  "switchyard.issueCertificate": (ctx, names) => exportCertificate(ctx.session, ctx.log, asStrings(names), false),
  "switchyard.exportCertificate": (ctx, names) => exportCertificate(ctx.session, ctx.log, asStrings(names), true),
  "switchyard.probeUrl": (ctx, url) => probe(ctx, asString(url) ?? routeOf(url)?.url),
  "switchyard.copyUrl": async (ctx, arg) => {
    const picked = await pickRouteUrl(ctx, "Copy URL", arg);
    if (!picked) return undefined;
    // In a remote window: the URL that works from the user's browser, else this one (remoteWindow.ts says why).
    const url = (await openableUrl(vscode, picked)) ?? picked;
    await vscode.env.clipboard.writeText(url);
    vscode.window.setStatusBarMessage(`$(check) Copied ${url}`, 4000);
    void vscode.window.showInformationMessage(`Copied ${url}`);
    return url;
  },
  "switchyard.openInBrowser": async (ctx, arg) => {
    const picked = await pickRouteUrl(ctx, "Open in Browser", arg);
    const url = picked && (await openableUrl(vscode, picked));
    if (url) await vscode.env.openExternal(vscode.Uri.parse(url));
    return url;
  },
};

/** Registers every command; a failing command shows its message, never a stack trace. */
export function registerCommands(ctx: CommandContext): vscode.Disposable[] {
  return Object.entries(COMMANDS).map(([id, run]) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await run(ctx, ...args);
      } catch (e) {
        const message = (e as Error).message ?? String(e);
        ctx.log.error(`${id}: ${message}`);
        void vscode.window.showErrorMessage(`Switchyard: ${message}`);
        return undefined;
      }
    }),
  );
}
