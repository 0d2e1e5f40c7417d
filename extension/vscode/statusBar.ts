/**
 * The one Switchyard status bar item, drawn from the session's {@link ProxyStatus}: off, starting,
 * on (with the port), partly listening, failed. A click toggles a healthy or stopped proxy; on a
 * failure it offers Retry / Change Port / Show Log instead of silently stopping.
 */
import * as vscode from "vscode";
import type { RouteView } from "../../webview/protocol";
import type { ProxyStatus } from "./proxyStatus";
import type { StandardPortsState } from "./standardPortsWatch";

export interface StatusBarState {
  status: ProxyStatus;
  routes: RouteView[];
  /** The proxy runs but no trust store trusts the CA yet. */
  caUntrusted?: boolean;
  /** While the proxy runs: whether loopback 443 and 80 reach it (portsActions.ts). */
  standardPorts?: StandardPortsState;
  /** While the proxy runs: sharing on the LAN, with the device page's URL when shared (lanActions.ts). */
  lan?: { sharing: boolean; onboardingUrl?: string };
}

/** Owns the status bar item and renders {@link StatusBarState} into it. */
export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private tooltipText = "";

  constructor() {
    this.item = vscode.window.createStatusBarItem("switchyard.status", vscode.StatusBarAlignment.Left, 50);
    this.item.name = "Switchyard";
    this.render({ status: { state: "off", ports: [], problems: [], summary: "off" }, routes: [] });
    this.item.show();
  }

  render(state: StatusBarState): void {
    const { status, routes, caUntrusted } = state;
    const portText = status.ports.length ? ` :${status.ports.join(", :")}` : "";
    const failing = status.state === "error" || status.state === "partial";
    this.item.command = failing ? "switchyard.showProxyProblem" : "switchyard.toggleProxy";
    this.item.backgroundColor = undefined;
    switch (status.state) {
      case "on":
        this.item.text = `${caUntrusted ? "$(warning)" : "$(radio-tower)"} Switchyard${portText}`;
        if (caUntrusted) this.item.backgroundColor = new vscode.ThemeColor("statusBarItem.warningBackground");
        break;
      case "partial":
        this.item.text = `$(warning) Switchyard${portText}`;
        this.item.backgroundColor = new vscode.ThemeColor("statusBarItem.warningBackground");
        break;
      case "error":
        this.item.text = "$(error) Switchyard";
        this.item.backgroundColor = new vscode.ThemeColor("statusBarItem.errorBackground");
        break;
      case "starting":
        this.item.text = "$(loading~spin) Switchyard";
        break;
      default:
        this.item.text = "$(circle-slash) Switchyard";
    }
    const tooltip = new vscode.MarkdownString(undefined, true);
    tooltip.isTrusted = {
      enabledCommands: [
        "switchyard.openPanel",
        "switchyard.toggleProxy",
        "switchyard.showProxyProblem",
        "switchyard.trustCa",
        "switchyard.addRoute",
        "switchyard.useStandardPorts",
        "switchyard.shareOnLan",
        "switchyard.stopSharingOnLan",
        "switchyard.showLanQrCode",
      ],
    };
    tooltip.appendMarkdown(`**Switchyard** proxy: ${escapeMarkdown(status.summary)}\n\n`);
    for (const p of status.problems) tooltip.appendMarkdown(`$(error) ${escapeMarkdown(p)}\n\n`);
    if (caUntrusted)
      tooltip.appendMarkdown("$(warning) The local CA is not trusted yet. [Trust it](command:switchyard.trustCa)\n\n");
    if (state.standardPorts?.warning)
      tooltip.appendMarkdown(`$(warning) Standard ports: ${escapeMarkdown(state.standardPorts.warning)}\n\n`);
    else if (state.standardPorts && !state.standardPorts.inPlace)
      tooltip.appendMarkdown("[Use standard ports (no :8443 in URLs)](command:switchyard.useStandardPorts)\n\n");
    if (state.lan?.sharing)
      tooltip.appendMarkdown(
        `$(broadcast) Shared on LAN: ${escapeMarkdown(state.lan.onboardingUrl ?? "no LAN address")} · [Device QR code](command:switchyard.showLanQrCode) · [Stop sharing](command:switchyard.stopSharingOnLan)\n\n`,
      );
    else if (state.lan) tooltip.appendMarkdown("[Share on LAN (phones, tablets)](command:switchyard.shareOnLan)\n\n");
    if (routes.length === 0) tooltip.appendMarkdown("No routes yet. [Add Route…](command:switchyard.addRoute)\n\n");
    for (const r of routes)
      tooltip.appendMarkdown(`- [${escapeMarkdown(r.url)}](${r.url}) → \`${escapeMarkdown(r.upstream)}\`\n`);
    const action = failing
      ? "[Fix…](command:switchyard.showProxyProblem)"
      : `[${status.state === "on" || status.state === "starting" ? "Stop" : "Start"} proxy](command:switchyard.toggleProxy)`;
    tooltip.appendMarkdown(`\n[Open panel](command:switchyard.openPanel) · ${action}`);
    this.item.tooltip = tooltip;
    this.tooltipText = tooltip.value;
    this.item.accessibilityInformation = { label: accessibleName(state), role: "button" };
  }

  /** What a screen reader says for the item, for the tests. */
  get accessibleName(): string {
    return this.item.accessibilityInformation?.label ?? "";
  }

  get text(): string {
    return this.item.text;
  }

  /** The tooltip's markdown, for the tests. */
  get tooltip(): string {
    return this.tooltipText;
  }

  /** The command a click runs, for the tests. */
  get command(): string | undefined {
    return typeof this.item.command === "string" ? this.item.command : this.item.command?.command;
  }

  dispose(): void {
    this.item.dispose();
  }
}

/**
 * The item's accessible name: a plain sentence of what it shows and what a click does, instead of
 * the icon ids of its text and the markdown of its tooltip that a screen reader would read.
 */
export function accessibleName({ status, routes, caUntrusted }: StatusBarState): string {
  const count = `${routes.length} route${routes.length === 1 ? "" : "s"}`;
  const problem = status.problems[0] ? `: ${status.problems[0]}` : "";
  switch (status.state) {
    case "on":
      return (
        `Switchyard proxy is on${status.ports.length ? ` at port ${status.ports.join(" and ")}` : ""}, ${count}.` +
        `${caUntrusted ? " The local certificate authority is not trusted yet." : ""} Activate to stop the proxy.`
      );
    case "partial":
      return `Switchyard proxy listens on some addresses only${problem}. Activate to fix it.`;
    case "error":
      return `Switchyard proxy failed${problem}. Activate to fix it.`;
    case "starting":
      return "Switchyard proxy is starting. Activate to stop it.";
    default:
      return `Switchyard proxy is off, ${count}. Activate to start the proxy.`;
  }
}

function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (c) => `\\${c}`);
}
