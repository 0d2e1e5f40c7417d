/**
 * The adapter's state for one window: current settings, the proxy (when running), the CA, and the
 * connection records the panel streams. Engines are imported on first use so activation stays cheap.
 * Core objects are turned into the panel's plain view models here (see webview/protocol.ts).
 */
import type * as vscode from "vscode";
import type { SwitchyardSettings } from "../core/settings";
import type { PanelSnapshot, ProxyState, RecordView, RouteView, WebviewMessage } from "../../webview/protocol";
import type { StatusBarState } from "./statusBar";

export interface SessionHooks {
  log: vscode.LogOutputChannel;
  globalStorage: string;
  onChange(): void;
  onRecords(records: RecordView[]): void;
}

/** One window's Switchyard: settings in, proxy/CA/hosts state out. */
export class SwitchyardSession implements vscode.Disposable {
  private proxyState: ProxyState = "off";
  private proxyError: string | undefined;
  private readonly recordViews: RecordView[] = [];

  constructor(
    private settings: SwitchyardSettings,
    private readonly hooks: SessionHooks,
  ) {}

  get state(): ProxyState {
    return this.proxyState;
  }

  get currentSettings(): SwitchyardSettings {
    return this.settings;
  }

  updateSettings(next: SwitchyardSettings): void {
    this.settings = next;
    this.hooks.log.info("settings changed");
    this.hooks.onChange();
  }

  routes(): RouteView[] {
    return this.settings.proxy.routes.map((r) => ({
      host: r.host,
      upstream: r.upstream,
      pathPrefix: r.pathPrefix,
      url: `https://${r.host.replace(/^\*\./, "www.")}${r.pathPrefix ?? "/"}`,
    }));
  }

  statusBarState(): StatusBarState {
    return { proxy: this.proxyState, ports: [], routes: this.routes(), problem: this.proxyError };
  }

  async snapshot(): Promise<PanelSnapshot> {
    return {
      proxy: { state: this.proxyState, error: this.proxyError, bindings: [], routes: this.routes() },
      resolutions: [],
      mismatches: [],
      interfaces: [],
    };
  }

  records(): RecordView[] {
    return this.recordViews;
  }

  async handle(message: WebviewMessage): Promise<void> {
    this.hooks.log.info(`panel asked for ${message.type}`);
  }

  dispose(): void {
    this.proxyState = "off";
  }
}
