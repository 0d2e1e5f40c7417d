/**
 * The sniffing dev proxy: one port speaks HTTPS (terminated with a leaf from the local CA, chosen
 * by SNI) and plain HTTP (redirected to https), routes by host and path to dev servers, and
 * records every connection. A connection's path through the folders is mapped in README.md:
 * accept/ -> http/ -> h1/ or h2/ -> upstream/ -> records/.
 */
import { standardPortsConfigured } from "../publicUrl";
import { EventEmitter } from "node:events";
import { randomBytes } from "node:crypto";
import net from "node:net";
import type { LeafSource } from "../ca/types";
import { resolveListenSpec } from "../net/listenSpec";
import type { ListenAddress } from "../net/types";
import type { SwitchyardSettings } from "../settings";
import { handleConnection } from "./accept/connection";
import type { ProxyContext, ProxyTimeouts } from "./context";
import { Http2Front } from "./h2/http2Front";
import { bind, bindingKey, unbind, type Binding } from "./accept/listen";
import { explainLeafCacheWriteFailure, type Explained } from "./records/explain";
import {
  MAX_PROBLEMS_KEPT,
  RecordRing,
  type BindingRecord,
  type ConnectionRecord,
  type ProxyEvents,
  type ProxyProblem,
} from "./records/records";
import { RouteTable } from "./routes";
import { isLocalhostName } from "../net/listenSpec";
import type { UpstreamOrigin } from "./upstream/dial";
import { UpstreamPool } from "./upstream/upstreamPool";
import { lanAddresses, type LanAddress } from "../lan/lanAddresses";
import { LanListeners } from "../lan/lanListeners";
import { LanShare, type LanState } from "../lan/lanShare";

/** DevProxy's events: the proxy's, and 'lan' when sharing on the LAN changes (addresses, names, conflicts). */
export type DevProxyEvents = ProxyEvents & { lan: [LanState] };

/** What a DevProxy needs. */
export interface DevProxyOptions {
  settings: SwitchyardSettings;
  leaves: LeafSource;
  /** Handshake records kept in the ring buffer; default 1000. */
  recordCapacity?: number;
  timeouts?: Partial<ProxyTimeouts>;
  /** Upstream connections per origin beyond which h2 streams wait; default DEFAULT_CONNECTIONS_PER_ORIGIN (64). */
  upstreamConnectionsPerOrigin?: number;
  /** Turns a listen spec into addresses; default resolveListenSpec from core/net. */
  resolveListen?: (spec: string) => Promise<ListenAddress[]>;
  /** This machine's LAN addresses when sharing; default lanAddresses() from core/lan. */
  lanAddresses?: () => LanAddress[];
}

const DEFAULT_TIMEOUTS: ProxyTimeouts = {
  upstreamConnectMs: 5_000,
  upstreamResponseMs: 60_000,
  handshakeMs: 10_000,
  clientIdleMs: 120_000,
  clientStallMs: 30_000,
};

/**
 * The running proxy. Events: 'live' (an open connection's record changed), 'record' (a connection
 * closed), 'binding' (a listen address changed state, also when a bound one fails later),
 * 'problem' (the proxy itself hit a problem: leaves that cannot be saved, an internal error).
 */
export class DevProxy extends EventEmitter<DevProxyEvents> {
  /** The latest handshake records (bounded ring buffer); also emits 'record'. */
  readonly records: RecordRing;
  private settings: SwitchyardSettings;
  private routeTable: RouteTable;
  private readonly ctx: ProxyContext;
  private readonly h2: Http2Front;
  private readonly live = new Map<string, Binding>();
  /** Listen specs that could not be resolved to any address, as failed bindings (by spec). */
  private readonly unresolved = new Map<string, BindingRecord>();
  private leaves: LeafSource;
  /** Unsubscribes from the current leaf source's disk-cache failures. */
  private unwatchLeaves: (() => void) | undefined;
  private readonly recentProblems: ProxyProblem[] = [];
  private readonly resolveListen: (spec: string) => Promise<ListenAddress[]>;
  private started = false;
  /** Listeners on the LAN addresses while sharing; what they serve is {@link lan}'s. */
  private readonly lanListeners: LanListeners;
  private readonly lan: LanShare;

  constructor(options: DevProxyOptions) {
    super();
    this.settings = options.settings;
    this.leaves = options.leaves;
    this.watchLeaves();
    this.lan = new LanShare(() => this.leaves.rootPem());
    this.lanListeners = new LanListeners({
      lanAddresses: options.lanAddresses ?? (() => lanAddresses()),
      onSocket: (socket, binding) =>
        handleConnection(
          socket,
          { redirectOnly: false, interfaceName: binding.record.interfaceName ?? "" },
          this.ctx,
          this.h2,
        ),
      onBinding: (record) => this.emit("binding", record),
    });
    this.routeTable = new RouteTable(options.settings.proxy.routes);
    // Names the responder claims (or gives up) change which `.local` aliases route.
    this.lan.on("state", (state) => {
      this.routeTable = this.routesFor(this.settings);
      this.emit("lan", state);
    });
    this.records = new RecordRing(options.recordCapacity ?? 1000);
    this.records.on("record", (r) => this.emit("record", r));
    this.records.on("live", (r) => this.emit("live", r));
    this.resolveListen = options.resolveListen ?? ((spec) => resolveListenSpec(spec));
    const id = randomBytes(4).toString("hex");
    this.ctx = {
      routes: () => this.routeTable,
      settings: () => this.settings.proxy,
      // Through this proxy's current source, so setLeaves() switches every later handshake.
      leaves: {
        leafFor: (name) => this.leaves.leafFor(name),
        secureContextFor: (name) => this.leaves.secureContextFor(name),
        refusalFor: (name) => this.leaves.refusalFor(name),
        rootPem: () => this.leaves.rootPem(),
      },
      log: this.records,
      pool: new UpstreamPool(options.upstreamConnectionsPerOrigin),
      timeouts: { ...DEFAULT_TIMEOUTS, ...options.timeouts },
      via: `1.1 switchyard-${id}`,
      isSelf: (origin) => this.isSelf(origin),
      tlsPortFor: (port) => this.tlsPortFor(port),
      lanOnboarding: (host, path) => this.lan.onboarding(host, path),
    };
    this.h2 = new Http2Front(this.ctx);
  }

  /** Every binding: listening, failed (with the reason, also for a spec that resolved to nothing), or closed. */
  get bindings(): BindingRecord[] {
    return [
      ...this.unresolved.values(),
      ...[...this.live.values(), ...this.lanListeners.bindings].map((b) => b.record),
    ];
  }

  /**
   * Issues leaves from `leaves` from now on (the CA was recreated or its settings changed).
   * Connections already past their handshake keep the certificate they got.
   */
  setLeaves(leaves: LeafSource): void {
    this.unwatchLeaves?.();
    this.leaves = leaves;
    this.watchLeaves();
    if (this.started) this.warmUpLeaves();
  }

  /** The latest problems of the proxy itself (not of one connection), oldest first. */
  get problems(): ProxyProblem[] {
    return [...this.recentProblems];
  }

  /**
   * Reports a problem of the proxy itself (an internal error the worker caught, leaves that
   * cannot be saved) to the 'problem' listeners: serve's log, the output channel, the views.
   */
  reportProblem(explained: Explained): ProxyProblem {
    const problem: ProxyProblem = { time: new Date().toISOString(), ...explained };
    this.recentProblems.push(problem);
    if (this.recentProblems.length > MAX_PROBLEMS_KEPT) this.recentProblems.shift();
    this.emit("problem", problem);
    return problem;
  }

  private watchLeaves(): void {
    this.unwatchLeaves = this.leaves.onCacheWriteFailure?.((f) =>
      this.reportProblem(explainLeafCacheWriteFailure(f.file, f.error)),
    );
  }

  /** The latest handshake records, oldest first (the same call as on WorkerProxy). */
  async recentRecords(): Promise<ConnectionRecord[]> {
    return this.records.list();
  }

  /** Binds every listen address; resolves with the binding records (failures included, never rejects for a bind error). */
  async start(): Promise<BindingRecord[]> {
    this.started = true;
    this.ctx.pool.reopen();
    await this.rebind();
    this.warmUpLeaves();
    return this.bindings;
  }

  /** The first never-seen name then finds its key made and the issuance code compiled (~7 ms CPU once). */
  private warmUpLeaves(): void {
    this.leaves.warmUp?.().catch(() => {
      // Only a head start: a name issued without it takes the same path, a little slower.
    });
  }

  /**
   * Applies new settings live. Routes and proxy options switch for the next request; requests in
   * flight finish on what they started with. Changed listen specs bind new addresses and stop
   * accepting on removed ones, without cutting their open connections.
   */
  async update(settings: SwitchyardSettings): Promise<BindingRecord[]> {
    this.settings = settings;
    this.routeTable = this.routesFor(settings);
    if (this.started) await this.rebind();
    return this.bindings;
  }

  /** Stops listening and ends open connections (destroyed after a short grace period). */
  async stop(): Promise<void> {
    this.started = false;
    await this.lan.stop();
    const all = [...this.live.values()];
    this.live.clear();
    this.unresolved.clear();
    this.h2.close();
    await Promise.all([
      this.lanListeners.close(),
      ...all.map(async (b) => {
        await unbind(b, true);
        this.emit("binding", b.record);
      }),
    ]);
    this.ctx.pool.destroy();
  }

  /**
   * The addresses the settings ask for. A spec that resolves to nothing becomes a failed binding
   * kept in {@link unresolved} (so start() and `bindings` report it with its reason); it is
   * announced once, not again on every update while it stays the same failure.
   */
  private async wanted(): Promise<{ address: ListenAddress; role: BindingRecord["role"] }[]> {
    const out: { address: ListenAddress; role: BindingRecord["role"] }[] = [];
    const failedNow = new Map<string, BindingRecord>();
    for (const spec of this.settings.proxy.listen) {
      let addresses: ListenAddress[];
      try {
        addresses = await this.resolveListen(spec);
      } catch (e) {
        failedNow.set(spec, {
          spec,
          address: "",
          family: 4,
          port: 0,
          role: "tls+http",
          state: "failed",
          reason: (e as Error).message,
        });
        continue;
      }
      for (const a of addresses) out.push({ address: a, role: "tls+http" });
    }
    const httpPort = this.settings.proxy.httpPort;
    if (httpPort !== undefined) {
      const seen = new Set<string>();
      for (const w of [...out]) {
        if (seen.has(w.address.address)) continue;
        seen.add(w.address.address);
        out.push({ address: { ...w.address, spec: `httpPort:${httpPort}`, port: httpPort }, role: "http-redirect" });
      }
    }
    for (const [spec, before] of this.unresolved) {
      if (failedNow.has(spec)) continue;
      this.unresolved.delete(spec);
      this.emit("binding", { ...before, state: "closed" });
    }
    for (const [spec, failed] of failedNow) {
      if (this.unresolved.get(spec)?.reason === failed.reason) continue;
      this.unresolved.set(spec, failed);
      this.emit("binding", failed);
    }
    return out;
  }

  private async rebind(): Promise<void> {
    const wanted = await this.wanted();
    const keys = new Set(wanted.map((w) => bindingKey(w.address, w.role)));
    for (const [key, b] of this.live) {
      if (keys.has(key) && b.record.state === "listening") continue;
      this.live.delete(key);
      await unbind(b, false);
      this.emit("binding", b.record);
    }
    const added = await Promise.all(
      wanted
        .filter((w) => !this.live.has(bindingKey(w.address, w.role)))
        .map((w) =>
          bind(
            w.address,
            w.role,
            (socket, binding) =>
              handleConnection(
                socket,
                {
                  redirectOnly: binding.record.role === "http-redirect",
                  ...(binding.record.interfaceName ? { interfaceName: binding.record.interfaceName } : {}),
                },
                this.ctx,
                this.h2,
              ),
            // A server that failed after it listened: the views show it failed, with the reason.
            (binding) => this.emit("binding", binding.record),
          ),
        ),
    );
    for (const b of added) {
      this.live.set(bindingKey({ address: b.record.address, port: b.requestedPort }, b.record.role), b);
      this.emit("binding", b.record);
    }
    await this.rebindLan();
  }

  /** The settings' routes, and while sharing the `.local` aliases of the names the responder claimed. */
  private routesFor(settings: SwitchyardSettings): RouteTable {
    const routes = settings.proxy.routes;
    return new RouteTable([...routes, ...this.lan.aliasRoutes(routes)]);
  }

  /**
   * Sharing on the LAN: the first TLS port also listens on the LAN addresses (lanListeners.ts), and
   * the responder answers for the routes' `.local` names on those that reach the proxy.
   */
  private async rebindLan(): Promise<void> {
    const main = [...this.live.values()].find((b) => b.record.role === "tls+http" && b.record.state === "listening");
    const port = this.started && this.settings.proxy.shareOnLan ? main?.record.port : undefined;
    const listening = await this.lanListeners.apply(port, [...this.live.values()]);
    await this.lan.apply({
      sharing: port !== undefined,
      port,
      addresses: listening,
      routes: this.settings.proxy.routes,
    });
  }

  /** Sharing on the LAN now: addresses, names, onboarding URLs, fingerprint. */
  get lanState(): LanState {
    return this.lan.state();
  }

  private listeningPorts(role: BindingRecord["role"]): BindingRecord[] {
    return this.bindings.filter((b) => b.state === "listening" && b.role === role);
  }

  private isSelf(origin: UpstreamOrigin): boolean {
    const host = origin.host.toLowerCase();
    return this.bindings.some((b) => {
      if (b.state !== "listening" || b.port !== origin.port) return false;
      if (b.address === "0.0.0.0" || b.address === "::") return true;
      if (isLocalhostName(host)) return b.address === "127.0.0.1" || b.address === "::1";
      return net.isIP(host) !== 0 && host === b.address;
    });
  }

  private tlsPortFor(localPort: number): number {
    const tls = this.listeningPorts("tls+http");
    // Standard ports enabled for this user (core/ports): loopback 443 leads here, so redirects name no port.
    if (tls.some((b) => standardPortsConfigured(b.port))) return 443;
    if (tls.some((b) => b.port === localPort)) return localPort;
    return tls[0]?.port ?? localPort;
  }
}
