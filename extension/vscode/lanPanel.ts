/**
 * The device QR code: a small webview of its own (not the main panel) with the QR code of the
 * onboarding URL, the root's SHA-256 fingerprint beside it to compare on the device, the other
 * LAN addresses and the shared `.local` names. Static HTML drawn in the extension host (the QR
 * as inline SVG from core/lan/qrCode.ts), no script; redrawn when sharing changes.
 */
import { randomBytes } from "node:crypto";
import * as vscode from "vscode";
import type { LanState } from "../core/lan/lanShare";
import { qrSvg } from "../core/lan/qrCode";

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The panel's HTML for `state` (exported for the README screenshot and tests). */
export async function lanPanelHtml(state: LanState, cspSource = "'none'"): Promise<string> {
  const nonce = randomBytes(16).toString("base64");
  const url = state.onboardingUrls[0];
  const fp = state.fingerprint256 ?? "";
  const body = !state.sharing
    ? `<p>Sharing on the LAN is off. Run <b>Switchyard: Share on LAN</b> to open your routes on a phone.</p>`
    : !url
      ? `<p>Sharing is on, but this computer has no LAN address (Wi-Fi or Ethernet) right now.</p>`
      : `<div class="row"><div class="qr">${await qrSvg(url)}</div>
<div><p>Scan with the phone's camera, or open</p><p class="url">${escapeHtml(url)}</p>
<p>Then compare this fingerprint with the one the phone shows before installing the root:</p>
<p class="fp">SHA-256<br>${escapeHtml(fp.slice(0, 47))}<br>${escapeHtml(fp.slice(48))}</p></div></div>
${state.onboardingUrls.length > 1 ? `<p>Also at: ${state.onboardingUrls.slice(1).map(escapeHtml).join(", ")}</p>` : ""}
<h2>Shared</h2><ul>${
          state.names
            .map((n) => {
              const shared = state.sharedUrls.find((s) => s.url.startsWith(`https://${n.name}`));
              const renamed =
                n.name !== n.wanted ? ` <em>(${escapeHtml(n.renamedBecause ?? `${n.wanted} is taken`)})</em>` : "";
              return `<li>${shared ? escapeHtml(shared.url) : `${escapeHtml(n.name)} (probing)`} → ${escapeHtml(n.routeHost)}${renamed}</li>`;
            })
            .join("") || "<li>No route has a name to share yet.</li>"
        }</ul>
<p class="addr">${state.addresses.map((a) => `${escapeHtml(a.address)} (${escapeHtml(a.interfaceName)})`).join(" · ")}</p>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src ${cspSource} data:; style-src 'nonce-${nonce}';">
<style nonce="${nonce}">body{font-family:var(--vscode-font-family,system-ui);padding:1em 1.5em;color:var(--vscode-foreground,#222);background:var(--vscode-editor-background,#fff)}
.row{display:flex;gap:2em;flex-wrap:wrap;align-items:flex-start}.qr svg{width:260px;height:260px;background:#fff;padding:6px;border-radius:6px}
.url{font:bold 1.2em var(--vscode-editor-font-family,monospace)}.fp{font:bold 1.25em/1.5 var(--vscode-editor-font-family,monospace);word-break:break-all}
.addr{opacity:.75}h1{font-size:1.3em}h2{font-size:1.1em}</style></head>
<body><h1>Open your dev apps on a phone</h1>${body}</body></html>`;
}

/** The one QR panel of the window. */
export class LanPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private drawing: Promise<void> = Promise.resolve();

  /** Shows the panel (creating it) with `state`. */
  show(state: LanState): void {
    if (!this.panel) {
      this.panel = vscode.window.createWebviewPanel(
        "switchyard.lanQr",
        "Switchyard: Device QR Code",
        vscode.ViewColumn.Active,
        {
          enableScripts: false,
          localResourceRoots: [],
        },
      );
      this.panel.onDidDispose(() => (this.panel = undefined));
    }
    this.panel.reveal();
    this.update(state);
  }

  /** Redraws an open panel; nothing when it is closed. */
  update(state: LanState): void {
    const panel = this.panel;
    if (!panel) return;
    this.drawing = this.drawing.then(async () => {
      panel.webview.html = await lanPanelHtml(state, panel.webview.cspSource);
    });
  }

  dispose(): void {
    this.panel?.dispose();
  }
}
