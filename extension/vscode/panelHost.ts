/**
 * Hosts the Switchyard panel: a webview with a strict CSP (nonce, no inline script),
 * `localResourceRoots` limited to dist/, validated messages, and a serializer so the panel comes
 * back after a window reload (the pattern of vscode-extension-samples/webview-sample).
 */
import { randomBytes } from "node:crypto";
import * as vscode from "vscode";
import {
  parseWebviewMessage,
  type ClientCheckView,
  type HostMessage,
  type PanelSnapshot,
  type RecordView,
} from "../../webview/protocol";
import { runPanelAction } from "./panelActions";

export const PANEL_VIEW_TYPE = "switchyard.panel";

/** What the panel needs from the rest of the adapter. */
export interface PanelDataSource {
  snapshot(): Promise<PanelSnapshot>;
  /** The proxy's state alone, read in memory: the panel's first paint shows it. */
  proxyState(): PanelSnapshot["proxy"];
  /** The root certificate's file, for Export Root. */
  rootFile(): string;
  /** The LAN sharing's device page, while the proxy listens on a LAN address. */
  deviceOnboardingUrl(): string | undefined;
  /** The panel (re)opened: state that is cached because it is costly to read should be read again. */
  invalidateCaView(): void;
  records(): RecordView[];
  /** A real handshake from each client on the machine, as `switchyard ca check` makes. */
  checkClients(): Promise<ClientCheckView[]>;
}

/** The one Switchyard panel; created on demand, revived by the serializer. */
export class PanelHost implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  /** Messages rejected by validation; visible to tests through the extension's API. */
  rejectedMessages = 0;
  private checking = false;
  /** The last Check clients verdicts; visible to tests through the extension's API. */
  lastClientChecks: ClientCheckView[] | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly data: PanelDataSource,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel) => this.adopt(panel),
      }),
    );
  }

  get visible(): boolean {
    return this.panel?.visible ?? false;
  }

  /** Opens the panel, or reveals it when it is already open. */
  show(): void {
    if (this.panel) {
      this.panel.reveal();
      return;
    }
    const panel = vscode.window.createWebviewPanel(PANEL_VIEW_TYPE, "Switchyard", vscode.ViewColumn.Active, {
      enableScripts: true,
      retainContextWhenHidden: false,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, "dist")],
    });
    this.adopt(panel);
  }

  /** Sends fresh state to the panel, if it is open. */
  async refresh(): Promise<void> {
    if (this.panel) await this.post({ type: "snapshot", snapshot: await this.data.snapshot() });
  }

  /** Streams new connection records to the panel, if it is open. */
  pushRecords(records: RecordView[]): void {
    if (this.panel && records.length > 0) void this.post({ type: "records", records });
  }

  /** Check clients: the panel shows "running", then each client's verdict; the log gets them too. */
  private async checkClients(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    await this.post({ type: "clientChecks", running: true, checks: [] });
    try {
      const checks = await this.data.checkClients();
      this.lastClientChecks = checks;
      for (const c of checks)
        this.log.info(
          `ca check: ${c.client}: ${c.state}${c.reason ? ` (${c.reason})` : ""}${c.fix ? `; fix: ${c.fix}` : ""}`,
        );
      await this.post({ type: "clientChecks", running: false, checks });
    } catch (e) {
      const error = (e as Error).message ?? String(e);
      this.log.error(`ca check failed: ${error}`);
      await this.post({ type: "clientChecks", running: false, checks: [], error });
    } finally {
      this.checking = false;
    }
  }

  post(message: HostMessage): Thenable<boolean> {
    return this.panel?.webview.postMessage(message) ?? Promise.resolve(false);
  }

  private adopt(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, "media", "icon.png");
    panel.webview.options = {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, "dist")],
    };
    panel.webview.html = this.html(panel.webview);
    const subscriptions: vscode.Disposable[] = [];
    subscriptions.push(
      panel.webview.onDidReceiveMessage((raw: unknown) => this.receive(raw)),
      panel.onDidDispose(() => {
        this.panel = undefined;
        subscriptions.forEach((d) => d.dispose());
      }),
    );
  }

  /** Handles one message from the webview: validated first, malformed ones counted and dropped. */
  async receive(raw: unknown): Promise<void> {
    const message = parseWebviewMessage(raw);
    if (!message) {
      this.rejectedMessages += 1;
      this.log.warn(`panel: ignored a malformed message: ${safePreview(raw)}`);
      return;
    }
    try {
      if (message.type === "ready") {
        this.data.invalidateCaView();
        // The proxy's state first: the snapshot reads the CA and the network and takes seconds.
        await this.post({ type: "proxy", proxy: this.data.proxyState() });
        await this.post({ type: "records", records: this.data.records(), reset: true });
        await this.refresh();
        return;
      }
      if (message.type === "recheckTrust") {
        this.data.invalidateCaView();
        await this.refresh();
        return;
      }
      if (message.type === "checkClients") {
        await this.checkClients();
        return;
      }
      const notice = await runPanelAction(message, this.data);
      if (notice) await this.post({ type: "notice", level: "info", text: notice });
      await this.refresh();
    } catch (e) {
      const text = (e as Error).message ?? String(e);
      this.log.error(`panel: ${message.type} failed: ${text}`);
      await this.post({ type: "notice", level: "error", text });
    }
  }

  private html(webview: vscode.Webview): string {
    const nonce = randomBytes(16).toString("base64");
    const script = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, "dist", "webview.js"));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, "dist", "webview.css"));
    const csp = [
      "default-src 'none'",
      `img-src ${webview.cspSource} data:`,
      `style-src ${webview.cspSource}`,
      `font-src ${webview.cspSource}`,
      `script-src 'nonce-${nonce}'`,
    ].join("; ");
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style.toString()}">
<title>Switchyard</title>
</head>
<body>
<div id="app" aria-live="polite" data-proxy="${escapeAttribute(JSON.stringify(this.data.proxyState()))}">Loading Switchyard…</div>
<script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
  }

  dispose(): void {
    this.panel?.dispose();
    this.disposables.forEach((d) => d.dispose());
  }
}

/** Text for a double-quoted HTML attribute. */
function escapeAttribute(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function safePreview(raw: unknown): string {
  try {
    return JSON.stringify(raw).slice(0, 200);
  } catch {
    return typeof raw;
  }
}
