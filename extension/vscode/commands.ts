/**
 * Every palette command, as a small function over {@link CommandContext}. activate.ts only wires
 * them; the work happens in the session, the *Actions modules and the core.
 */
import * as vscode from "vscode";
import type { WebviewMessage } from "../../webview/protocol";
import { createCa, exportCertificate, showCaStatus, trustCa, untrustCa } from "./caActions";
import { engines } from "./engines";
import { addHostMapping, removeHostMapping, showHostsFile, syncHosts } from "./hostsActions";
import type { PanelHost } from "./panelHost";
import type { SwitchyardSession } from "./session";

export interface CommandContext {
  session: SwitchyardSession;
  panel: PanelHost;
  log: vscode.LogOutputChannel;
  extensionUri: vscode.Uri;
}

type Command = (ctx: CommandContext, ...args: unknown[]) => unknown;

const asString = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const asStrings = (v: unknown): string[] | undefined =>
  Array.isArray(v) && v.every((x) => typeof x === "string") ? v : undefined;

async function pickRouteUrl(ctx: CommandContext): Promise<string | undefined> {
  const routes = ctx.session.statusBarState().routes;
  if (routes.length === 0) {
    void vscode.window.showInformationMessage("Switchyard has no routes yet: add one under switchyard.proxy.routes.");
    return undefined;
  }
  if (routes.length === 1) return routes[0]?.url;
  return (await vscode.window.showQuickPick(routes.map((r) => ({ label: r.url, description: `→ ${r.upstream}` }))))
    ?.label;
}

async function probe(ctx: CommandContext, url?: string): Promise<string | undefined> {
  const target =
    url ??
    (await vscode.window.showInputBox({
      title: "Probe URL",
      prompt: "What does the port behind this URL speak?",
      value: ctx.session.statusBarState().routes[0]?.url ?? "https://my-awesome-service.test:8443/",
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

const COMMANDS: Record<string, Command> = {
  "switchyard.openPanel": (ctx) => ctx.panel.show(),
  "switchyard.startProxy": (ctx) => ctx.session.startProxy(),
  "switchyard.stopProxy": (ctx) => ctx.session.stopProxy(),
  "switchyard.toggleProxy": (ctx) => ctx.session.toggleProxy(),
  "switchyard.addHostMapping": (ctx, name, addresses) =>
    addHostMapping(ctx.session.currentSettings, ctx.log, asString(name), asStrings(addresses)),
  "switchyard.removeHostMapping": (ctx, name) =>
    removeHostMapping(ctx.session.currentSettings, ctx.log, asString(name)),
  "switchyard.showHostsFile": (ctx) => showHostsFile(ctx.session.currentSettings),
  "switchyard.syncHosts": (ctx) => syncHosts(ctx.session.currentSettings, ctx.log),
  "switchyard.createCa": (ctx) => createCa(ctx.session, ctx.log),
  "switchyard.trustCa": (ctx) => trustCa(ctx.session, ctx.log),
  "switchyard.untrustCa": (ctx) => untrustCa(ctx.session, ctx.log),
  "switchyard.showCaStatus": (ctx) => showCaStatus(ctx.session),
  "switchyard.issueCertificate": (ctx, names) => exportCertificate(ctx.session, ctx.log, asStrings(names), false),
  "switchyard.exportCertificate": (ctx, names) => exportCertificate(ctx.session, ctx.log, asStrings(names), true),
  "switchyard.probeUrl": (ctx, url) => probe(ctx, asString(url)),
  "switchyard.copyUrl": async (ctx) => {
    const url = await pickRouteUrl(ctx);
    if (url) await vscode.env.clipboard.writeText(url);
    return url;
  },
  "switchyard.openInBrowser": async (ctx) => {
    const url = await pickRouteUrl(ctx);
    if (url) await vscode.env.openExternal(vscode.Uri.parse(url));
    return url;
  },
};

/** Carries out what the panel asked for, through the same commands as the palette. */
export async function runPanelAction(message: WebviewMessage): Promise<void> {
  switch (message.type) {
    case "ready":
    case "recheckTrust": // handled by the panel host (it owns the cached CA view)
      return;
    case "addMapping":
      await vscode.commands.executeCommand("switchyard.addHostMapping", message.name, message.addresses);
      return;
    case "removeMapping":
      await vscode.commands.executeCommand("switchyard.removeHostMapping", message.name);
      return;
    case "probe":
      await vscode.commands.executeCommand("switchyard.probeUrl", message.url);
      return;
    case "action":
      if (message.action === "openSettings")
        await vscode.commands.executeCommand("workbench.action.openSettings", "switchyard");
      else await vscode.commands.executeCommand(`switchyard.${message.action}`);
      return;
  }
}

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
