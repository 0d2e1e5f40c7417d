/**
 * The adapter's state for one window: current settings, the proxy (when running) and the CA. The
 * panel's model lives in panelModel.ts, the routes besides the settings' in dynamicRouteSet.ts,
 * standard ports and the URLs they allow in standardPortsWatch.ts.
 * Engines are imported on first use so activation stays cheap.
 */
import { join } from "node:path";
import type * as vscode from "vscode";
import type { LocalCa } from "../core/ca/authority";
import type { CaWatch } from "../core/ca/caWatch";
import { routeSettingFor, withDynamicRoutes, type DynamicRoute } from "../core/control/protocol";
import type { ServingCa } from "../core/proxy/worker/servingCa";
import type { WorkerProxy } from "../core/proxy/worker/workerProxy";
import { lanOff, type LanState } from "../core/lan/lanState";
import { lanSummary } from "./lanActions";
import type { BindingRecord, ConnectionRecord } from "../core/proxy/records/records";
import type { SettingsProblem, SwitchyardSettings } from "../core/settings";
import type { CaView, RouteView } from "../../webview/protocol";
import { DynamicRouteSet } from "./dynamicRouteSet";
import type { StatusBarState } from "./statusBar";
import { StandardPortsWatch, type StandardPortsState } from "./standardPortsWatch";
import { engines } from "./engines";
import { proxyStatus, type ProxyStatus } from "./proxyStatus";
import { caView, configuredTlsPort, routeView } from "./views";

export interface SessionHooks {
  log: vscode.LogOutputChannel;
  globalStorage: string;
  onChange(): void;
  /** A connection record was published (open, updated, closed: always the whole record). */
  onRecord(record: ConnectionRecord): void;
  /** A route's last status changed (the Routes view redraws its health icon). */
  onRoutesHealth?(): void;
  /** The permitted names changed in the settings: the existing CA no longer matches them. */
  onConstraintsChanged(): void;
}

function constraintsOf(s: SwitchyardSettings): string {
  return JSON.stringify([s.ca.permittedNames, s.ca.permittedIpRanges, s.ca.unconstrained]);
}

/** One window's Switchyard: settings in, proxy/CA/hosts state out. */
export class SwitchyardSession implements vscode.Disposable {
  /** The one start in flight: a second Start (status bar and panel at once) joins it. */
  private starting: Promise<BindingRecord[]> | undefined;
  /** Why the last start or CA reload failed as a whole, until the next start or stop. */
  private startError: string | undefined;
  private settingsProblems: SettingsProblem[] = [];
  /** The status of the last request per route host, for the Routes view's health icon. */
  private readonly lastStatus = new Map<string, number>();
  private proxy: WorkerProxy | undefined;
  /** The CA the running proxy issues from (core's ServingCa, as `switchyard serve` uses it). */
  private servingCa: ServingCa | undefined;
  /** Watches the CA folder while the proxy runs: a CA replaced from a terminal is reloaded. */
  private caWatch: CaWatch | undefined;
  /** The proxy's latest internal error while it runs, shown with its state (cleared by a stop or start). */
  private proxyProblem: string | undefined;
  private ca: LocalCa | undefined;
  private trusted: boolean | undefined;
  /** Standard ports (443 and 80 to this proxy) as last checked, and the URLs that follow. */
  private readonly standardPorts: StandardPortsWatch;
  private caView: Promise<CaView> | undefined;
  private readonly dynamic: DynamicRouteSet;
  private lastLanNote: string | undefined;

  constructor(
    private settings: SwitchyardSettings,
    private readonly hooks: SessionHooks,
  ) {
    this.dynamic = new DynamicRouteSet({
      log: hooks.log,
      configuredRoutes: () => this.settings.proxy.routes,
      bindings: () => this.bindings(),
      onControlRoutes: () => void this.applyRoutes().then(() => this.hooks.onChange()),
    });
    this.standardPorts = new StandardPortsWatch({
      tlsPort: () => this.tlsPort(),
      configuredTlsPort: () => configuredTlsPort(this.settings.proxy.listen),
      rootPem: () => this.ca?.rootPem(),
      isRunning: () => this.proxy !== undefined,
      onChange: () => hooks.onChange(),
    });
  }

  /** The proxy's state as the status bar, the panel and the tree views show it. */
  status(): ProxyStatus {
    return proxyStatus({
      starting: this.starting !== undefined,
      running: this.proxy !== undefined,
      startError: this.startError ?? this.proxyProblem,
      bindings: this.bindings(),
    });
  }

  get state(): ProxyStatus["state"] {
    return this.status().state;
  }

  /** Invalid settings that were ignored, as last read. */
  get problems(): SettingsProblem[] {
    return this.settingsProblems;
  }

  setSettingsProblems(problems: SettingsProblem[]): void {
    this.settingsProblems = problems;
  }

  /** Whether some trust store trusts the CA, once that was read (undefined before). */
  get caTrusted(): boolean | undefined {
    return this.trusted;
  }

  /** The routes with their URLs: the port the proxy listens on, else the one the settings ask for. */
  routes(): RouteView[] {
    const { tlsPort: port, standardPorts: standard } = this.standardPorts.publicPorts();
    const withStatus = (view: RouteView): RouteView => {
      const status = this.lastStatus.get(view.host);
      return status === undefined ? view : { ...view, lastStatus: status };
    };
    const configured = this.settings.proxy.routes.map((r, i) => withStatus(routeView(r, port, i, standard)));
    const dynamic = this.dynamicRoutes().map((d) =>
      withStatus({
        ...routeView(routeSettingFor(d), port, undefined, standard),
        source: d.source,
        owner: `${d.owner.command ?? "pid"} ${d.owner.pid}`,
      }),
    );
    return [...configured, ...dynamic];
  }

  /** Routes that are not in the settings: detected dev servers, then those added by `switchyard run`. */
  dynamicRoutes(): DynamicRoute[] {
    return this.dynamic.all();
  }

  /** The settings the proxy runs with: the configured routes, then the dynamic ones. */
  private effectiveSettings(): SwitchyardSettings {
    return withDynamicRoutes(this.settings, this.dynamicRoutes());
  }

  /**
   * Routes a dev server found in a terminal or task; starts the proxy when it is off. A host the
   * settings or `switchyard run` already use is refused with the reason.
   */
  async addDetectedRoute(route: DynamicRoute): Promise<void> {
    this.dynamic.addDetected(route);
    this.hooks.log.info(
      `route ${route.host} -> ${route.upstream} (found in VS Code: ${route.owner.command ?? ""} pid ${route.owner.pid})`,
    );
    if (this.proxy) await this.applyRoutes();
    else await this.startProxy();
    this.hooks.onChange();
  }

  /** Takes a detected server's route away (its server stopped). */
  async removeDetectedRoute(host: string): Promise<void> {
    if (!this.dynamic.removeDetected(host)) return;
    this.hooks.log.info(`route ${host} removed: its dev server stopped`);
    await this.applyRoutes();
    this.hooks.onChange();
  }

  private async applyRoutes(): Promise<void> {
    if (!this.proxy) return;
    try {
      await this.proxy.update(this.effectiveSettings());
    } catch (e) {
      this.fail(e);
    }
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

  /** Sharing on the LAN as the running proxy reports it (off when no proxy runs). */
  lanState(): LanState {
    return this.proxy?.lanState ?? lanOff();
  }

  /** Whether a proxy runs (started, whatever its bindings' state). */
  get isRunning(): boolean {
    return this.proxy !== undefined;
  }

  /** The proxy worker's V8 heap (used and resident bytes), for diagnostics and the cost bench; undefined when off. */
  proxyHeapStatistics(): Promise<{ usedBytes: number; physicalBytes: number } | undefined> {
    return this.proxy?.heapStatistics() ?? Promise.resolve(undefined);
  }

  /** The URL shown for `host`: no port when standard ports reach the running proxy (core/publicUrl.ts). */
  publicUrl(host: string, path = "/"): string {
    return this.standardPorts.publicUrl(host, path);
  }

  /** Whether loopback 443 reaches the running proxy, and what stands in the way (last check). */
  get standardPortsState(): StandardPortsState {
    return this.standardPorts.state;
  }

  /** Checks standard ports again (standardPortsWatch.ts); resolves with whether 443 reaches the proxy. */
  refreshStandardPorts(): Promise<boolean> {
    return this.standardPorts.refresh();
  }

  /** The first port the proxy listens on for TLS, if it runs. */
  tlsPort(): number | undefined {
    return this.bindings().find((b) => b.state === "listening" && b.role === "tls+http")?.port;
  }

  async updateSettings(next: SwitchyardSettings, problems: SettingsProblem[] = []): Promise<void> {
    const caChanged = JSON.stringify(next.ca) !== JSON.stringify(this.settings.ca);
    const constraintsChanged = constraintsOf(next) !== constraintsOf(this.settings);
    this.settings = next;
    this.settingsProblems = problems;
    if (caChanged) this.forgetCa();
    // Name constraints are signed into the CA: widening them means a new CA, and the user is told so.
    if (constraintsChanged) this.hooks.onConstraintsChanged();
    this.hooks.log.info("settings changed; applying them live");
    await this.applyRoutes();
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

  /**
   * Forgets the loaded CA (it was recreated on disk, or a CA setting changed). A running proxy
   * opens the CA again and issues its leaves from it, so clients that trust the new root get
   * certificates that chain to it.
   */
  forgetCa(): void {
    this.ca = undefined;
    this.caView = undefined;
    this.trusted = undefined;
    if (this.proxy && !this.starting) void this.reloadProxyCa(this.proxy);
  }

  private async reloadProxyCa(proxy: WorkerProxy): Promise<void> {
    try {
      const { ca } = await this.openCa();
      if (proxy !== this.proxy || !this.servingCa) return;
      const caFiles = { dir: ca.material.dir, keyType: this.settings.ca.keyType };
      if (await this.servingCa.switchTo(ca.rootPem(), caFiles))
        this.hooks.log.info(`proxy: now issuing certificates from the CA in ${ca.material.dir}`);
    } catch (e) {
      this.fail(e);
    }
    this.hooks.onChange();
  }

  /** Starts the proxy; while a start is in flight, every caller gets that same start. */
  startProxy(): Promise<BindingRecord[]> {
    if (this.starting) return this.starting;
    // A proxy that listens nowhere is started again rather than reported as running.
    if (this.proxy && this.state === "error") return this.restartProxy();
    if (this.proxy) return Promise.resolve(this.proxy.bindings);
    this.starting = this.start().finally(() => {
      this.starting = undefined;
      this.hooks.onChange();
    });
    this.hooks.onChange();
    return this.starting;
  }

  private async start(): Promise<BindingRecord[]> {
    this.startError = undefined;
    this.proxyProblem = undefined;
    let proxy: WorkerProxy | undefined;
    try {
      const { ca } = await this.openCa();
      const { WorkerProxy, ServingCa, watchCaDir } = await engines();
      const caFiles = { dir: ca.material.dir, keyType: this.settings.ca.keyType };
      proxy = new WorkerProxy({ settings: this.effectiveSettings(), ca: caFiles, recordCapacity: 1000 });
      proxy.on("live", (r) => this.noteRecord(r));
      proxy.on("record", (r) => this.noteRecord(r));
      proxy.on("binding", (b) => {
        if (b.state === "failed") this.hooks.log.warn(`proxy: ${b.spec} ${b.address}:${b.port} failed: ${b.reason}`);
        this.hooks.onChange();
      });
      proxy.on("lan", (lan) => {
        const note = lan.notes.at(-1);
        if (note && note !== this.lastLanNote) this.hooks.log.warn(`sharing on the LAN: ${note}`);
        this.lastLanNote = note;
        this.hooks.onChange();
      });
      proxy.on("problem", (p) => {
        this.hooks.log.warn(`proxy: ${p.explanation}`);
        // An internal error is part of the proxy's state in every view; the rest is for the log.
        if (p.code !== "INTERNAL_ERROR" || (this.proxy !== undefined && proxy !== this.proxy)) return;
        this.proxyProblem = p.explanation;
        this.hooks.onChange();
      });
      const startedWith = JSON.stringify(this.effectiveSettings());
      const bindings = await proxy.start();
      this.proxy = proxy;
      // Settings or routes that changed while it started (applyRoutes had no proxy yet) apply now.
      if (JSON.stringify(this.effectiveSettings()) !== startedWith) await this.applyRoutes();
      this.servingCa = new ServingCa(proxy, ca.rootPem(), caFiles);
      this.caWatch?.close();
      this.caWatch = watchCaDir(ca.material.dir, () => this.forgetCa());
      for (const b of bindings)
        this.hooks.log.info(`proxy: ${b.spec} → ${b.address}:${b.port} ${b.state}${b.reason ? ` (${b.reason})` : ""}`);
      void this.checkTrust();
      void this.refreshStandardPorts();
      await this.dynamic.openControl();
      return bindings;
    } catch (e) {
      void proxy?.stop();
      this.fail(e);
      throw e;
    }
  }

  async stopProxy(): Promise<void> {
    if (this.starting) await this.starting.catch(() => undefined);
    const proxy = this.proxy;
    this.proxy = undefined;
    this.startError = undefined;
    this.proxyProblem = undefined;
    this.caWatch?.close();
    this.caWatch = undefined;
    await this.dynamic.closeControl();
    if (proxy) await proxy.stop();
    this.hooks.onChange();
  }

  /** Stops a running proxy, starts one that is off; a proxy that failed entirely is started again. */
  async toggleProxy(): Promise<void> {
    if (this.starting) await this.starting;
    else if (this.proxy && this.state !== "error") await this.stopProxy();
    else await this.restartProxy();
  }

  /** Stops whatever runs and starts again (Retry after a failure, or after the port was changed). */
  async restartProxy(): Promise<BindingRecord[]> {
    await this.stopProxy();
    return this.startProxy();
  }

  statusBarState(): StatusBarState {
    return {
      status: this.status(),
      routes: this.routes(),
      caUntrusted: this.proxy !== undefined && this.trusted === false,
      ...(this.proxy !== undefined ? { standardPorts: this.standardPorts.state } : {}),
      ...(this.proxy !== undefined ? { lan: lanSummary(this.lanState()) } : {}),
    };
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
      const { ca, rootWithProbe } = await engines();
      const state = ca.inspectCaDir(directory);
      if (state !== "complete") return { exists: false, directory, trust: [], leaves: [] };
      const material = ca.loadCa(directory);
      // With a fresh leaf, each store is checked the way its client decides (certutil -V for NSS,
      // openssl verify for the system bundle), as `switchyard ca status` does, not by presence.
      const status = await ca.caStatus(
        material,
        ca.trustStoresFor(ca.defaultTrustContext()),
        process.env,
        await rootWithProbe(directory),
      );
      this.trusted = status.trust.some((t) => t.trusted);
      return caView(status);
    } catch (e) {
      return { exists: false, directory, trust: [], leaves: [], error: (e as Error).message };
    }
  }

  private async checkTrust(): Promise<void> {
    await this.caSnapshot();
    this.hooks.onChange();
  }

  private fail(e: unknown): void {
    this.startError = (e as Error).message ?? String(e);
    this.hooks.log.error(`proxy: ${this.startError}`);
  }

  /**
   * A record as the proxy publishes it: the route's last status (the Routes view's health icon)
   * is kept here, the record goes on to the panel's model.
   */
  private noteRecord(record: ConnectionRecord): void {
    const status = record.requests[record.requests.length - 1]?.status;
    if (record.route && status !== undefined && this.lastStatus.get(record.route.host) !== status) {
      this.lastStatus.set(record.route.host, status);
      this.hooks.onRoutesHealth?.();
    }
    this.hooks.onRecord(record);
  }

  dispose(): void {
    this.standardPorts.dispose();
    this.caWatch?.close();
    void this.dynamic.closeControl();
    void this.proxy?.stop();
    this.proxy = undefined;
  }
}
