/**
 * The control endpoint of a running proxy (`switchyard serve`, `switchyard run`'s own proxy, the
 * extension's): a Unix socket (0600, in the user's 0700 state folder) or, on Windows, a randomly
 * named pipe published in a file in the user's state folder (pipeAddress.ts). Clients add
 * routes they own; a route goes away when its client disconnects or its owner process exits.
 * The proxy itself is not touched here: whoever runs one listens for `routes` and applies them.
 */
import { EventEmitter } from "node:events";
import type net from "node:net";
import { hostMatches } from "../proxy/routes";
import type { RouteSetting } from "../settings";
import {
  ControlRequestError,
  parseControlRequest,
  type ControlBinding,
  type ControlReply,
  type ControlRequest,
  type DynamicRoute,
  type ListedRoute,
  type RouteOwner,
} from "./protocol";
import { listenControlEndpoint } from "./controlEndpoint";
import { checkClaimedOwner, describeOwner, ownerFromPeer, ownerWords } from "./claimedOwner";
import { IDLE_TIMEOUT_MS, MAX_CONNECTIONS, refuseAndClose, serveConnection } from "./controlConnection";
import { defaultPeerLookup, type PeerLookup, type PeerProcess } from "./peerProcess";

export { ControlSocketInUseError } from "./controlEndpoint";
export { IDLE_TIMEOUT_MS, MAX_CONNECTIONS } from "./controlConnection";

/** What the control endpoint needs to know of the proxy it serves. */
export interface ControlServerOptions {
  socketPath: string;
  /** The routes from settings: a dynamic route may not take one of their hosts. */
  configuredRoutes(): readonly RouteSetting[];
  /** Where the proxy listens, for `hello` and `list`. */
  bindings(): ControlBinding[];
  /** The root certificate file of the CA the proxy issues from (clients verify against it). */
  rootFile?: () => string | undefined;
  /** Whether an owner process still runs (default: signal 0). */
  isAlive?(pid: number): boolean;
  /** How often owners are checked, in ms (default 1000). */
  ownerPollMs?: number;
  /** With a pointer address (Windows): the endpoint to listen on (default: a fresh random pipe name). */
  newEndpoint?: () => string;
  /** Which process is on the other end of a connection (default: `ss` on Linux, unknown elsewhere). */
  peerProcess?: PeerLookup;
  /** How long a connection holding no route and no reservation may stay silent (default {@link IDLE_TIMEOUT_MS}). */
  idleTimeoutMs?: number;
  /** How many connections are served at once (default {@link MAX_CONNECTIONS}). */
  maxConnections?: number;
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * The control endpoint itself: answers requests, holds the dynamic routes per client, and emits
 * `routes` with the whole set whenever it changes.
 */
export class ControlServer extends EventEmitter<{ routes: [DynamicRoute[]] }> {
  private readonly dynamic = new Map<string, { route: DynamicRoute; client: net.Socket }>();
  /** Names held by a client before it has an upstream (`reserve`); its `add` turns one into a route. */
  private readonly reserved = new Map<string, { owner: RouteOwner; client: net.Socket }>();
  /** Every connected client, with or without routes: close() must not wait for any of them. */
  private readonly clients = new Set<net.Socket>();
  private readonly timer: NodeJS.Timeout;
  private readonly peerProcess: PeerLookup;

  private constructor(
    private readonly server: net.Server,
    private readonly options: ControlServerOptions,
  ) {
    super();
    this.peerProcess = options.peerProcess ?? defaultPeerLookup();
    server.on("connection", (c) => this.serve(c));
    this.timer = setInterval(() => this.dropDeadOwners(), options.ownerPollMs ?? 1000);
    this.timer.unref();
  }

  /**
   * Listens on `options.socketPath`, replacing a leftover socket file whose proxy is gone. A pointer
   * address (Windows) gets a new endpoint, published in the pointer once it listens.
   */
  static async listen(options: ControlServerOptions): Promise<ControlServer> {
    return new ControlServer(await listenControlEndpoint(options.socketPath, options.newEndpoint), options);
  }

  /** The routes clients hold now. */
  routes(): DynamicRoute[] {
    return [...this.dynamic.values()].map((d) => d.route);
  }

  /** Configured and dynamic routes together, as `list` reports them. */
  listed(): ListedRoute[] {
    const configured: ListedRoute[] = this.options
      .configuredRoutes()
      .map((r) => ({ host: r.host, upstream: r.upstream, source: "settings" }));
    return [
      ...configured,
      ...this.routes().map((r) => ({ host: r.host, upstream: r.upstream, source: r.source, owner: r.owner })),
    ];
  }

  /**
   * Stops accepting first (the socket file goes away with the listener), then drops the clients:
   * a client that hears its connection close and connects again must not reach this stopping
   * proxy, which would take its route and then close on it too.
   */
  async close(): Promise<void> {
    clearInterval(this.timer);
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const client of this.clients) client.destroy();
    this.clients.clear();
    this.dynamic.clear();
    this.reserved.clear();
    await closed;
  }

  private serve(client: net.Socket): void {
    const maxConnections = this.options.maxConnections ?? MAX_CONNECTIONS;
    if (this.clients.size >= maxConnections) {
      refuseAndClose(
        client,
        `this proxy already serves ${maxConnections} control connections; close some (or stop what opens them) and retry`,
        "busy",
      );
      return;
    }
    this.clients.add(client);
    // Asked once, now, while the connection's descriptor is certainly the accepted one; requests
    // that carry an owner wait for it, the others do not.
    const peer = this.peerProcess(client).catch(() => undefined);
    serveConnection(client, {
      answer: (line) => this.answerLine(line, client, peer),
      holdsAnything: () => this.holdsAnything(client),
      idleTimeoutMs: this.options.idleTimeoutMs ?? IDLE_TIMEOUT_MS,
    });
    client.on("close", () => {
      this.clients.delete(client);
      for (const [host, r] of this.reserved) if (r.client === client) this.reserved.delete(host);
      let changed = false;
      for (const [host, d] of this.dynamic) {
        if (d.client === client) {
          this.dynamic.delete(host);
          changed = true;
        }
      }
      if (changed) this.emit("routes", this.routes());
    });
  }

  private holdsAnything(client: net.Socket): boolean {
    for (const r of this.reserved.values()) if (r.client === client) return true;
    for (const d of this.dynamic.values()) if (d.client === client) return true;
    return false;
  }

  /**
   * Parses a line and answers it. A request with an owner first learns the peer process and takes
   * its owner from there; undefined when the client left (or the server closed) meanwhile, so no
   * route outlives its connection.
   */
  private async answerLine(
    line: string,
    client: net.Socket,
    peer: Promise<PeerProcess | undefined>,
  ): Promise<ControlReply | undefined> {
    let request: ControlRequest;
    try {
      request = parseControlRequest(line);
    } catch (e) {
      const err = e as ControlRequestError;
      return { v: 1, id: err.id ?? 0, ok: false, error: err.message, code: err.code ?? "bad-request" };
    }
    if (request.op !== "add" && request.op !== "reserve") return this.answer(request, client);
    const claimed = request.op === "add" ? request.route.owner : request.owner;
    const { owner, note } = ownerFromPeer(claimed, await peer);
    if (!this.clients.has(client)) return undefined;
    const reply =
      request.op === "add"
        ? this.answer({ ...request, route: { ...request.route, owner } }, client)
        : this.answer({ ...request, owner }, client);
    return reply.ok && note ? { ...reply, note } : reply;
  }

  private answer(request: ControlRequest, client: net.Socket): ControlReply {
    const { id } = request;
    switch (request.op) {
      case "hello": {
        const rootFile = this.options.rootFile?.();
        return {
          v: 1,
          id,
          ok: true,
          pid: process.pid,
          bindings: this.options.bindings(),
          ...(rootFile ? { rootFile } : {}),
        };
      }
      case "list":
        return { v: 1, id, ok: true, pid: process.pid, bindings: this.options.bindings(), routes: this.listed() };
      case "remove": {
        const held = this.dynamic.get(request.host);
        if (!held || held.client !== client)
          return {
            v: 1,
            id,
            ok: false,
            error: `this connection holds no route for ${request.host}`,
            code: "not-found",
          };
        this.dynamic.delete(request.host);
        this.emit("routes", this.routes());
        return { v: 1, id, ok: true };
      }
      case "add": {
        const { route } = request;
        // A settings route for *.localhost covers shop.localhost too: a dynamic route must not outrank it.
        const owner = this.options.configuredRoutes().find((r) => hostMatches(r.host, route.host));
        if (owner)
          return {
            v: 1,
            id,
            ok: false,
            error: `${route.host} is covered by the route ${owner.host} in your settings`,
            code: "taken",
          };
        const reservation = this.reserved.get(route.host);
        if (reservation && reservation.client !== client) return this.refusal(id, route.host, reservation);
        this.reserved.delete(route.host);
        const held = this.dynamic.get(route.host);
        if (held && held.client !== client)
          return {
            v: 1,
            id,
            ok: false,
            error: `${route.host} is already routed for ${ownerWords(held.route.owner)}`,
            code: "taken",
            owner: held.route.owner,
          };
        this.dynamic.set(route.host, { route, client });
        this.emit("routes", this.routes());
        return { v: 1, id, ok: true, bindings: this.options.bindings() };
      }
      case "reserve":
        return this.reserve(id, request.host, request.owner, client);
    }
  }

  /**
   * Holds `host` for `client` before it starts its dev server, atomically (one request at a time):
   * of two clients reserving one name, the second is refused. A holder whose claimed pid no longer
   * runs is stale: its hold is released and the name goes to the new client.
   */
  private reserve(id: number, host: string, owner: RouteOwner, client: net.Socket): ControlReply {
    const configured = this.options.configuredRoutes().find((r) => hostMatches(r.host, host));
    if (configured)
      return {
        v: 1,
        id,
        ok: false,
        error: `${host} is covered by the route ${configured.host} in your settings`,
        code: "taken",
      };
    const holder = this.reserved.get(host) ?? this.dynamic.get(host);
    const holderOwner = holder && ("route" in holder ? holder.route.owner : holder.owner);
    if (holder && holderOwner && holder.client !== client) {
      const check = checkClaimedOwner(holderOwner, this.options.isAlive ?? processIsAlive);
      if (check.state !== "gone")
        return this.refusal(id, host, { owner: holderOwner }, describeOwner(holderOwner, check));
      this.release(host);
    }
    if (!this.dynamic.has(host)) this.reserved.set(host, { owner, client });
    return { v: 1, id, ok: true, bindings: this.options.bindings() };
  }

  /** Drops whatever holds `host` for a stale owner (the connection stays: it may hold other names). */
  private release(host: string): void {
    this.reserved.delete(host);
    if (this.dynamic.delete(host)) this.emit("routes", this.routes());
  }

  private refusal(id: number, host: string, holder: { owner: RouteOwner }, who?: string): ControlReply {
    const { owner } = holder;
    const named = who ?? ownerWords(owner);
    const routed = this.dynamic.has(host);
    return {
      v: 1,
      id,
      ok: false,
      error: `${host} is already ${routed ? "routed" : "reserved (its dev server is starting)"} for ${named}`,
      code: "taken",
      owner,
    };
  }

  private dropDeadOwners(): void {
    const alive = this.options.isAlive ?? processIsAlive;
    for (const [host, r] of this.reserved) {
      if (!alive(r.owner.pid)) {
        this.reserved.delete(host);
        r.client.destroy();
      }
    }
    let changed = false;
    for (const [host, d] of this.dynamic) {
      if (!alive(d.route.owner.pid)) {
        this.dynamic.delete(host);
        d.client.destroy();
        changed = true;
      }
    }
    if (changed) this.emit("routes", this.routes());
  }
}
