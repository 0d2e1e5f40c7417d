/**
 * The adapter's state for one window: current settings, the proxy (when running), the CA, and the
 * connection records the panel streams. Engines are imported on first use so activation stays cheap.
 */
import { join } from "node:path";
import type * as vscode from "vscode";
import type { LocalCa } from "../core/ca/authority";
import type { WorkerProxy } from "../core/proxy/workerProxy";
import type { BindingRecord, HandshakeRecord } from "../core/proxy/records";
import type { SwitchyardSettings } from "../core/settings";
import type { CaView, PanelSnapshot, ProxyState, RecordView, WebviewMessage } from "../../webview/protocol";
import type { StatusBarState } from "./statusBar";
import { engines } from "./engines";
import { bindingView, caView, interfaceView, mismatchView, recordView, resolutionView, routeView } from "./views";

export interface SessionHooks {
  log: vscode.LogOutputChannel;
  globalStorage: string;
  onChange(): void;
  onRecords(records: RecordView[]): void;
  /** The permitted names changed in the settings: the existing CA no longer matches them. */
  onConstraintsChanged(): void;
  /** Carries out an action the panel asked for (the palette command of the same name). */
  runAction(message: WebviewMessage): Promise<void>;
}

function constraintsOf(s: SwitchyardSettings): string {
  return JSON.stringify([s.ca.permittedNames, s.ca.permittedIpRanges, s.ca.unconstrained]);
}

/** Records kept for the panel; the proxy's own ring buffer is bounded the same way. */
const RECORD_CAPACITY = 10_000;

/** One window's Switchyard: settings in, proxy/CA/hosts state out. */
export class SwitchyardSession implements vscode.Disposable {
  private proxyState: ProxyState = "off";
  private proxyError: string | undefined;
  private proxy: WorkerProxy | undefined;
  private ca: LocalCa | undefined;
  private caTrusted: boolean | undefined;
  private caView: Promise<CaView> | undefined;
  private recordViews: RecordView[] = [];
  private pending: RecordView[] = [];
  private flushTimer: NodeJS.Timeout | undefined;

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

  /** Where the CA lives: the setting, else $SWITCHYARD_CAROOT, else this extension's global storage. */
  caDirectory(): string {
    return this.settings.ca.directory ?? process.env.SWITCHYARD_CAROOT ?? join(this.hooks.globalStorage, "ca");
  }

  /** The bindings of the running proxy (empty when off). */
  bindings(): BindingRecord[] {
    return this.proxy?.bindings ?? [];
  }

  /** The first port the proxy listens on for TLS, if it runs. */
  tlsPort(): number | undefined {
    return this.bindings().find((b) => b.state === "listening" && b.role === "tls+http")?.port;
  }

  async updateSettings(next: SwitchyardSettings): Promise<void> {
    const caChanged = JSON.stringify(next.ca) !== JSON.stringify(this.settings.ca);
    const constraintsChanged = constraintsOf(next) !== constraintsOf(this.settings);
    this.settings = next;
    if (caChanged) this.forgetCa();
    // Name constraints are signed into the CA: widening them means a new CA, and the user is told so.
    if (constraintsChanged) this.hooks.onConstraintsChanged();
    this.hooks.log.info("settings changed; applying them live");
    if (this.proxy) {
      try {
        await this.proxy.update(next);
        this.refreshProxyState();
      } catch (e) {
        this.fail(e);
      }
    }
    this.hooks.onChange();
  }

  /** Opens the CA, creating it on first use. */
  async openCa(): Promise<{ ca: LocalCa; created: boolean }> {
    if (this.ca) return { ca: this.ca, created: false };
    const { LocalCa } = (await engines()).ca;
    const s = this.settings.ca;
    const { ca, created } = await LocalCa.openOrCreate({
      dir: this.caDirectory(),
      keyType: s.keyType,
      permittedNames: s.permittedNames,
      permittedIpRanges: s.permittedIpRanges,
      unconstrained: s.unconstrained,
      keepRootKey: s.keepRootKey,
    });
    if (created) {
      this.hooks.log.info(`created the local CA in ${created.dir}: ${created.rootSubject}`);
      this.caView = undefined;
    }
    this.ca = ca;
    return { ca, created: created !== undefined };
  }

  /** Forgets the loaded CA (after it was recreated on disk). */
  forgetCa(): void {
    this.ca = undefined;
    this.caView = undefined;
    this.caTrusted = undefined;
  }

  async startProxy(): Promise<BindingRecord[]> {
    if (this.proxy) return this.proxy.bindings;
    this.proxyState = "starting";
    this.proxyError = undefined;
    this.hooks.onChange();
    try {
      const { ca } = await this.openCa();
      const { WorkerProxy } = await engines();
      const caFiles = { dir: ca.material.dir, keyType: this.settings.ca.keyType };
      const proxy = new WorkerProxy({ settings: this.settings, ca: caFiles, recordCapacity: 1000 });
      proxy.on("record", (r) => this.addRecord(r));
      proxy.on("binding", (b) => {
        if (b.state === "failed") this.hooks.log.warn(`proxy: ${b.spec} ${b.address}:${b.port} failed: ${b.reason}`);
        this.refreshProxyState();
        this.hooks.onChange();
      });
      this.proxy = proxy;
      const bindings = await proxy.start();
      for (const b of bindings)
        this.hooks.log.info(`proxy: ${b.spec} → ${b.address}:${b.port} ${b.state}${b.reason ? ` (${b.reason})` : ""}`);
      this.refreshProxyState();
      void this.checkTrust();
      return bindings;
    } catch (e) {
      this.fail(e);
      throw e;
    } finally {
      this.hooks.onChange();
    }
  }

  async stopProxy(): Promise<void> {
    const proxy = this.proxy;
    this.proxy = undefined;
    this.proxyState = "off";
    this.proxyError = undefined;
    if (proxy) await proxy.stop();
    this.hooks.onChange();
  }

  async toggleProxy(): Promise<void> {
    if (this.proxy) await this.stopProxy();
    else await this.startProxy();
  }

  statusBarState(): StatusBarState {
    const tlsPort = this.tlsPort();
    const problem =
      this.proxyError ??
      (this.proxy && this.caTrusted === false
        ? "The local CA is not trusted yet: run Switchyard: Trust Local CA"
        : undefined);
    return {
      proxy: this.proxyState,
      ports: tlsPort === undefined ? [] : [tlsPort],
      routes: this.settings.proxy.routes.map((r) => routeView(r, tlsPort)),
      problem,
    };
  }

  /** Everything the panel shows, gathered now. Each part fails on its own, into the view. */
  async snapshot(): Promise<PanelSnapshot> {
    const [net, ca, hosts] = await Promise.all([this.networkSnapshot(), this.caSnapshot(), this.hostsSnapshot()]);
    const tlsPort = this.tlsPort();
    return {
      proxy: {
        state: this.proxyState,
        error: this.proxyError,
        bindings: this.bindings().map(bindingView),
        routes: this.settings.proxy.routes.map((r) => routeView(r, tlsPort)),
      },
      ...net,
      ca,
      hosts,
    };
  }

  records(): RecordView[] {
    return this.recordViews;
  }

  handle(message: WebviewMessage): Promise<void> {
    return this.hooks.runAction(message);
  }

  /**
   * The CA and its trust per store. Checking trust runs certutil, keytool and friends, so the
   * answer is kept until something that can change it happens (create, trust, untrust, a CA
   * setting) or the panel is opened again, instead of being recomputed on every refresh.
   */
  caSnapshot(): Promise<CaView> {
    this.caView ??= this.readCaView();
    return this.caView;
  }

  /** Forgets the cached CA view, e.g. when the panel opens (trust may have changed from a terminal). */
  invalidateCaView(): void {
    this.caView = undefined;
  }

  private async readCaView(): Promise<CaView> {
    const directory = this.caDirectory();
    try {
      const { ca } = await engines();
      const state = ca.inspectCaDir(directory);
      if (state !== "complete") return { exists: false, directory, trust: [], leaves: [] };
      const material = ca.loadCa(directory);
      const status = await ca.caStatus(material, ca.trustStoresFor(ca.defaultTrustContext()));
      this.caTrusted = status.trust.some((t) => t.trusted);
      return caView(status);
    } catch (e) {
      return { exists: false, directory, trust: [], leaves: [], error: (e as Error).message };
    }
  }

  private async hostsSnapshot(): Promise<PanelSnapshot["hosts"]> {
    const { hostsView } = await import("./hostsActions");
    return hostsView(this.settings);
  }

  private async networkSnapshot(): Promise<Pick<PanelSnapshot, "resolutions" | "mismatches" | "interfaces">> {
    const { listInterfaces, resolveName, findMismatches } = await engines();
    const interfaces = listInterfaces();
    const names = [...new Set(this.settings.proxy.routes.map((r) => r.host.replace(/^\*\./, "www.")))];
    const resolutions = await Promise.all(
      names.map((n) => resolveName(n, { hostsPath: this.settings.hosts.file, dnsTimeoutMs: 1000 })),
    );
    // The panel's binding view has the shape the mismatch rules read (ListenAddress + state).
    const bindings = this.bindings()
      .filter((b) => b.state !== "closed" && b.role === "tls+http")
      .map(bindingView);
    const mismatches = this.proxy ? findMismatches({ bindings, resolutions, interfaces }) : [];
    return {
      resolutions: resolutions.map(resolutionView),
      mismatches: mismatches.map(mismatchView),
      interfaces: interfaces.map(interfaceView),
    };
  }

  private async checkTrust(): Promise<void> {
    await this.caSnapshot();
    this.hooks.onChange();
  }

  private refreshProxyState(): void {
    if (!this.proxy) return;
    const bindings = this.proxy.bindings.filter((b) => b.state !== "closed");
    const failed = bindings.filter((b) => b.state === "failed");
    const listening = bindings.filter((b) => b.state === "listening");
    this.proxyState = listening.length === 0 ? "error" : "on";
    this.proxyError =
      failed.length > 0 ? failed.map((b) => `${b.address || b.spec}:${b.port}: ${b.reason}`).join("; ") : undefined;
  }

  private fail(e: unknown): void {
    this.proxyState = "error";
    this.proxyError = (e as Error).message ?? String(e);
    this.hooks.log.error(`proxy: ${this.proxyError}`);
  }

  /** Records are batched so a burst of connections costs the panel one message per 100 ms. */
  private addRecord(record: HandshakeRecord): void {
    const view = recordView(record);
    this.recordViews.push(view);
    if (this.recordViews.length > RECORD_CAPACITY) this.recordViews = this.recordViews.slice(-RECORD_CAPACITY / 2);
    this.pending.push(view);
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      const batch = this.pending;
      this.pending = [];
      this.hooks.onRecords(batch);
    }, 100);
  }

  dispose(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    void this.proxy?.stop();
    this.proxy = undefined;
  }
}
