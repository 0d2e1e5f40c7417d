/**
 * The adapter's state for one window: current settings, the proxy (when running), the CA, and the
 * connection records the panel streams. Engines are imported on first use so activation stays cheap.
 */
import { join } from "node:path";
import type * as vscode from "vscode";
import type { LocalCa } from "../core/ca/authority";
import type { ControlServer } from "../core/control/controlServer";
import { routeSettingFor, withDynamicRoutes, type DynamicRoute } from "../core/control/protocol";
import type { WorkerProxy } from "../core/proxy/workerProxy";
import type { BindingRecord, HandshakeRecord } from "../core/proxy/records";
import type { SettingsProblem, SwitchyardSettings } from "../core/settings";
import type { CaView, PanelSnapshot, RecordView, RouteView, WebviewMessage } from "../../webview/protocol";
import type { StatusBarState } from "./statusBar";
import { engines } from "./engines";
import { proxyStatus, type ProxyStatus } from "./proxyStatus";
import {
  bindingView,
  caView,
  configuredTlsPort,
  interfaceView,
  mismatchView,
  recordView,
  resolutionView,
  routeView,
} from "./views";

export interface SessionHooks {
  log: vscode.LogOutputChannel;
  globalStorage: string;
  onChange(): void;
  onRecords(records: RecordView[]): void;
  /** A route's last status changed (the Routes view redraws its health icon). */
  onRoutesHealth?(): void;
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
  /** The one start in flight: a second Start (status bar and panel at once) joins it. */
  private starting: Promise<BindingRecord[]> | undefined;
  /** Why the last start or CA reload failed as a whole, until the next start or stop. */
  private startError: string | undefined;
  private settingsProblems: SettingsProblem[] = [];
  /** The status of the last request per route host, for the Routes view's health icon. */
  private readonly lastStatus = new Map<string, number>();
  private readonly recordById = new Map<number, RecordView>();
  private proxy: WorkerProxy | undefined;
  /** The CA the running proxy issues from (root and key type), to reload only when it changed. */
  private servingCa: string | undefined;
  private ca: LocalCa | undefined;
  private trusted: boolean | undefined;
  private caView: Promise<CaView> | undefined;
  private recordViews: RecordView[] = [];
  private pending = new Map<number, RecordView>();
  private flushTimer: NodeJS.Timeout | undefined;
  /** Routes to dev servers found in VS Code's terminals and tasks, by host. */
  private readonly detected = new Map<string, DynamicRoute>();
  /** Routes `switchyard run` added through this proxy's control socket. */
  private controlRoutes: DynamicRoute[] = [];
  private control: ControlServer | undefined;

  constructor(
    private settings: SwitchyardSettings,
    private readonly hooks: SessionHooks,
  ) {}

  /** The proxy's state as the status bar, the panel and the tree views show it. */
  status(): ProxyStatus {
    return proxyStatus({
      starting: this.starting !== undefined,
      running: this.proxy !== undefined,
      startError: this.startError,
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
    const port = this.tlsPort() ?? configuredTlsPort(this.settings.proxy.listen);
    const withStatus = (view: RouteView): RouteView => {
      const status = this.lastStatus.get(view.host);
      return status === undefined ? view : { ...view, lastStatus: status };
    };
    const configured = this.settings.proxy.routes.map((r, i) => withStatus(routeView(r, port, i)));
    const dynamic = this.dynamicRoutes().map((d) =>
      withStatus({
        ...routeView(routeSettingFor(d), port),
        source: d.source,
        owner: `${d.owner.command ?? "pid"} ${d.owner.pid}`,
      }),
    );
    return [...configured, ...dynamic];
  }

  /** Routes that are not in the settings: detected dev servers, then those added by `switchyard run`. */
  dynamicRoutes(): DynamicRoute[] {
    return [...this.detected.values(), ...this.controlRoutes];
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
    if (this.settings.proxy.routes.some((r) => r.host === route.host))
      throw new Error(`${route.host} is already a route in your settings`);
    const run = this.controlRoutes.find((r) => r.host === route.host);
    if (run) throw new Error(`${route.host} is already routed by switchyard run (pid ${run.owner.pid})`);
    this.detected.set(route.host, route);
    this.hooks.log.info(
      `route ${route.host} -> ${route.upstream} (found in VS Code: ${route.owner.command ?? ""} pid ${route.owner.pid})`,
    );
    if (this.proxy) await this.applyRoutes();
    else await this.startProxy();
    this.hooks.onChange();
  }

  /** Takes a detected server's route away (its server stopped). */
  async removeDetectedRoute(host: string): Promise<void> {
    if (!this.detected.delete(host)) return;
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

  /** The per-user control socket beside a started proxy, so `switchyard run` can add routes to it. */
  private async openControl(): Promise<void> {
    try {
      const { ControlServer } = await import("../core/control/controlServer");
      const { controlBindings } = await import("../core/control/dynamicRoutes");
      const { controlSocketPath, stateDirFor } = await import("../core/control/stateDir");
      const { homedir, userInfo } = await import("node:os");
      const socketPath = controlSocketPath(stateDirFor(process.env, homedir()), process.platform, userInfo().username);
      const control = await ControlServer.listen({
        socketPath,
        configuredRoutes: () => [...this.settings.proxy.routes, ...[...this.detected.values()].map(routeSettingFor)],
        bindings: () => controlBindings(this.bindings()),
      });
      control.on("routes", (routes) => {
        this.controlRoutes = routes;
        void this.applyRoutes().then(() => this.hooks.onChange());
      });
      this.control = control;
      this.hooks.log.info(`control socket ${socketPath}: switchyard run adds its routes to this proxy`);
    } catch (e) {
      // Another proxy of this user (a `switchyard serve`) owns it: run talks to that one.
      this.hooks.log.info(`no control socket for this proxy: ${(e as Error).message}`);
    }
  }

  private async closeControl(): Promise<void> {
    const control = this.control;
    this.control = undefined;
    this.controlRoutes = [];
    await control?.close();
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
      const serving = `${ca.rootPem()}|${this.settings.ca.keyType}|${ca.material.dir}`;
      if (serving === this.servingCa || proxy !== this.proxy) return;
      await proxy.reloadCa({ dir: ca.material.dir, keyType: this.settings.ca.keyType });
      this.servingCa = serving;
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
    let proxy: WorkerProxy | undefined;
    try {
      const { ca } = await this.openCa();
      const { WorkerProxy } = await engines();
      const caFiles = { dir: ca.material.dir, keyType: this.settings.ca.keyType };
      proxy = new WorkerProxy({ settings: this.effectiveSettings(), ca: caFiles, recordCapacity: 1000 });
      proxy.on("live", (r) => this.addRecord(r));
      proxy.on("record", (r) => this.addRecord(r));
      proxy.on("binding", (b) => {
        if (b.state === "failed") this.hooks.log.warn(`proxy: ${b.spec} ${b.address}:${b.port} failed: ${b.reason}`);
        this.hooks.onChange();
      });
      const startedWith = JSON.stringify(this.effectiveSettings());
      const bindings = await proxy.start();
      this.proxy = proxy;
      // Settings or routes that changed while it started (applyRoutes had no proxy yet) apply now.
      if (JSON.stringify(this.effectiveSettings()) !== startedWith) await this.applyRoutes();
      this.servingCa = `${ca.rootPem()}|${this.settings.ca.keyType}|${ca.material.dir}`;
      for (const b of bindings)
        this.hooks.log.info(`proxy: ${b.spec} → ${b.address}:${b.port} ${b.state}${b.reason ? ` (${b.reason})` : ""}`);
      void this.checkTrust();
      await this.openControl();
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
    await this.closeControl();
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
    };
  }

  /** Everything the panel shows, gathered now. Each part fails on its own, into the view. */
  async snapshot(): Promise<PanelSnapshot> {
    const [net, ca, hosts] = await Promise.all([this.networkSnapshot(), this.caSnapshot(), this.hostsSnapshot()]);
    const status = this.status();
    return {
      proxy: {
        state: status.state,
        summary: status.summary,
        error: status.problems.length ? status.problems.join("; ") : undefined,
        bindings: this.bindings().map(bindingView),
        routes: this.routes(),
      },
      settingsProblems: this.settingsProblems.map((p) => ({ key: p.key, message: p.message })),
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
      this.trusted = status.trust.some((t) => t.trusted);
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

  private fail(e: unknown): void {
    this.startError = (e as Error).message ?? String(e);
    this.hooks.log.error(`proxy: ${this.startError}`);
  }

  /**
   * Takes a record as it is published (open, updated, closed: always the whole record) and keeps
   * one row per connection, replaced in place. Rows go to the panel in batches, so a burst of
   * connections costs one message per 50 ms, and a row still shows within a fraction of a second.
   */
  private addRecord(record: HandshakeRecord): void {
    const view = recordView(record);
    const known = this.recordById.get(view.id);
    if (known) {
      const at = this.recordViews.lastIndexOf(known);
      if (at >= 0) this.recordViews[at] = view;
    } else {
      this.recordViews.push(view);
      if (this.recordViews.length > RECORD_CAPACITY) {
        this.recordViews = this.recordViews.slice(-RECORD_CAPACITY / 2);
        this.recordById.clear();
        for (const v of this.recordViews) this.recordById.set(v.id, v);
      }
    }
    this.recordById.set(view.id, view);
    const status = record.requests[record.requests.length - 1]?.status;
    if (record.route && status !== undefined && this.lastStatus.get(record.route.host) !== status) {
      this.lastStatus.set(record.route.host, status);
      this.hooks.onRoutesHealth?.();
    }
    this.pending.delete(view.id);
    this.pending.set(view.id, view);
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      const batch = [...this.pending.values()];
      this.pending = new Map();
      this.hooks.onRecords(batch);
    }, 50);
  }

  dispose(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    void this.closeControl();
    void this.proxy?.stop();
    this.proxy = undefined;
  }
}
