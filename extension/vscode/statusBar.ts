/** The one Switchyard status bar item: off / on (with the port) / error; a click toggles the proxy. */
import * as vscode from "vscode";
import type { ProxyState, RouteView } from "../../webview/protocol";

export interface StatusBarState {
  proxy: ProxyState;
  ports: number[];
  routes: RouteView[];
  problem?: string;
}

/** Owns the status bar item and renders {@link StatusBarState} into it. */
export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;

  constructor() {
    this.item = vscode.window.createStatusBarItem("switchyard.status", vscode.StatusBarAlignment.Left, 50);
    this.item.name = "Switchyard";
    this.item.command = "switchyard.toggleProxy";
    this.render({ proxy: "off", ports: [], routes: [] });
    this.item.show();
  }

  render(state: StatusBarState): void {
    const { proxy, ports, routes, problem } = state;
    const portText = [...new Set(ports)].join(", ");
    if (proxy === "on" && !problem) {
      this.item.text = `$(radio-tower) Switchyard :${portText}`;
      this.item.backgroundColor = undefined;
    } else if (proxy === "error" || problem) {
      this.item.text = `$(warning) Switchyard${portText ? ` :${portText}` : ""}`;
      this.item.backgroundColor = new vscode.ThemeColor("statusBarItem.errorBackground");
    } else if (proxy === "starting") {
      this.item.text = "$(loading~spin) Switchyard";
      this.item.backgroundColor = undefined;
    } else {
      this.item.text = "$(circle-slash) Switchyard";
      this.item.backgroundColor = undefined;
    }
    const tooltip = new vscode.MarkdownString(undefined, true);
    tooltip.isTrusted = { enabledCommands: ["switchyard.openPanel", "switchyard.toggleProxy"] };
    tooltip.appendMarkdown(`**Switchyard** proxy is **${proxy}**${portText ? ` on port ${portText}` : ""}\n\n`);
    if (problem) tooltip.appendMarkdown(`$(warning) ${escapeMarkdown(problem)}\n\n`);
    if (routes.length === 0)
      tooltip.appendMarkdown("No routes yet: add `switchyard.proxy.routes` to your settings.\n\n");
    for (const r of routes)
      tooltip.appendMarkdown(`- [${escapeMarkdown(r.url)}](${r.url}) → \`${escapeMarkdown(r.upstream)}\`\n`);
    tooltip.appendMarkdown(
      `\n[Open panel](command:switchyard.openPanel) · [${proxy === "on" ? "Stop" : "Start"} proxy](command:switchyard.toggleProxy)`,
    );
    this.item.tooltip = tooltip;
  }

  get text(): string {
    return this.item.text;
  }

  dispose(): void {
    this.item.dispose();
  }
}

function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (c) => `\\${c}`);
}
