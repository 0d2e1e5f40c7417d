/**
 * Upstream sockets for HTTP/1.x clients. One pool per proxy keeps idle keep-alive sockets per
 * upstream origin, shared by every client connection: a browser's (or a load generator's) new
 * connection takes an idle upstream socket instead of dialling, and a client's own
 * `Connection: close` no longer costs the upstream its connection (hop-by-hop headers are not
 * forwarded, hopByHop.ts). Each client connection leases at most one socket at a time through its
 * {@link UpstreamLink}.
 */
import type net from "node:net";
import type { ConnectionRecorder } from "./connectionRecord";
import type { ProxyContext } from "./context";
import { dialUpstream, type UpstreamOrigin } from "./upstream";

/** What receives an upstream connection's bytes and its close while it carries a request. */
export interface UpstreamUser {
  /**
   * For plain upstreams `chunk` is a view of the shared read buffer, valid only during this
   * call: copy what is kept or written asynchronously.
   */
  onUpstreamData(chunk: Buffer): void;
  onUpstreamClose(error: Error | undefined): void;
}

/** Idle sockets kept per origin; more are closed when released. */
const MAX_IDLE_PER_ORIGIN = 64;

/**
 * Upstream connections per origin (in use, idle or being dialled) beyond which h2 streams wait for
 * one instead of dialling: one h2 connection may carry 250 streams at once, and a dev server
 * should not see 250 new connections from one page load. HTTP/1.x clients never wait (each holds
 * at most one upstream socket), but their sockets count.
 */
export const DEFAULT_CONNECTIONS_PER_ORIGIN = 64;

/** Called with a released socket to use, or with undefined when a dial is allowed again. */
export type PoolWaiter = (conn: UpstreamConnection | undefined) => void;

/**
 * One read buffer for every plain upstream socket (net's `onread`). A default read is at most
 * 64 KiB into a new buffer; reading up to 1 MiB at once cut a 100 MiB download from ~1600
 * reads and TLS writes to ~100 when the client keeps up, and the bytes can be encrypted straight out of this buffer
 * (upstreamExchange.ts). Sharing is safe because each read is handled synchronously before the
 * next one overwrites it.
 */
const READ_BUFFER = Buffer.allocUnsafe(1024 * 1024);

/** The most one read of a plain upstream hands over. */
export const READ_BUFFER_SIZE = READ_BUFFER.length;

/** One upstream socket with its listeners installed once, dispatching to whoever leases it. */
export class UpstreamConnection {
  user: UpstreamUser | undefined;
  /** True once it has carried a request: a failure before any response byte may be a stale keep-alive. */
  reused = false;
  private lastError: Error | undefined;
  /** Handed to a WebSocket tunnel: bytes read through `onread` are pushed as owned 'data' chunks. */
  private detached = false;
  /** Still counted in the pool's per-origin connection count. */
  counted = true;

  constructor(
    readonly socket: net.Socket,
    readonly key: string,
    private readonly pool: UpstreamPool,
  ) {
    // Sockets dialled with `onread` get their bytes through onRead; the others emit 'data'.
    socket.on("data", this.onData);
    socket.on("error", this.onError);
    socket.on("end", this.onEnd);
    socket.on("close", this.onClose);
  }

  /** Open both ways and not ended by the upstream. */
  get usable(): boolean {
    return !this.socket.destroyed && this.socket.writable && this.socket.readable;
  }

  /** Removes the pool's listeners and gives the raw socket away (a WebSocket tunnel after 101). */
  detach(): net.Socket {
    this.socket.off("data", this.onData);
    this.socket.off("error", this.onError);
    this.socket.off("end", this.onEnd);
    this.socket.off("close", this.onClose);
    this.user = undefined;
    this.detached = true;
    this.pool.forget(this);
    this.pool.gone(this);
    return this.socket;
  }

  /** `onread` callback: `buf` is the shared READ_BUFFER. False stops reading (a tunnel's backpressure). */
  readonly onRead = (n: number, buf: Uint8Array): boolean => {
    const chunk = (buf as Buffer).subarray(0, n);
    if (this.detached) return this.socket.push(Buffer.from(chunk));
    this.onData(chunk);
    return true;
  };

  private readonly onData = (chunk: Buffer): void => {
    // Bytes on an idle socket belong to no request (a broken upstream): never hand them to the next one.
    if (this.user) this.user.onUpstreamData(chunk);
    else this.socket.destroy();
  };

  private readonly onError = (e: Error): void => {
    // Errors while idle are normal (dev server restarted); the next request dials again.
    this.lastError = e;
  };

  private readonly onEnd = (): void => {
    if (!this.user) this.pool.forget(this);
  };

  private readonly onClose = (): void => {
    const user = this.user;
    this.user = undefined;
    this.pool.forget(this);
    this.pool.gone(this);
    user?.onUpstreamClose(this.lastError);
  };
}

/** Idle keep-alive sockets per upstream origin, shared by all client connections of one proxy. */
export class UpstreamPool {
  private readonly idle = new Map<string, UpstreamConnection[]>();
  /** Connections per origin: open or being dialled. */
  private readonly open = new Map<string, number>();
  private readonly waiters = new Map<string, PoolWaiter[]>();
  private closed = false;

  constructor(readonly connectionsPerOrigin = DEFAULT_CONNECTIONS_PER_ORIGIN) {}

  /** Whether a new connection to `origin` stays within the per-origin limit. */
  hasRoom(origin: UpstreamOrigin): boolean {
    return (this.open.get(origin.key) ?? 0) < this.connectionsPerOrigin;
  }

  /**
   * Queues `waiter` for the next socket to `origin` released in reusable shape, or for the next
   * free slot (then it dials); returns a function that leaves the queue.
   */
  wait(origin: UpstreamOrigin, waiter: PoolWaiter): () => void {
    let list = this.waiters.get(origin.key);
    if (!list) this.waiters.set(origin.key, (list = []));
    list.push(waiter);
    return () => {
      const i = list.indexOf(waiter);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0 && this.waiters.get(origin.key) === list) this.waiters.delete(origin.key);
    };
  }

  /** A connection closed or left the pool (a tunnel): its slot goes to the next waiter. */
  gone(conn: UpstreamConnection): void {
    if (!conn.counted) return;
    conn.counted = false;
    this.count(conn.key, -1);
    this.offerSlot(conn.key);
  }

  private count(key: string, by: number): void {
    const n = (this.open.get(key) ?? 0) + by;
    if (n > 0) this.open.set(key, n);
    else this.open.delete(key);
  }

  private nextWaiter(key: string): PoolWaiter | undefined {
    const list = this.waiters.get(key);
    const waiter = list?.shift();
    if (list && list.length === 0) this.waiters.delete(key);
    return waiter;
  }

  /** Lets the next waiter dial if the origin has room (also when a woken waiter no longer needs its turn). */
  offerSlot(key: string): void {
    if ((this.open.get(key) ?? 0) >= this.connectionsPerOrigin) return;
    const waiter = this.nextWaiter(key);
    if (waiter) process.nextTick(waiter, undefined);
  }

  /** The most recently used idle socket to `origin` that is still open, or undefined. */
  take(origin: UpstreamOrigin): UpstreamConnection | undefined {
    const list = this.idle.get(origin.key);
    while (list !== undefined && list.length > 0) {
      const conn = list.pop()!;
      if (conn.usable) return conn;
      conn.socket.destroy();
    }
    return undefined;
  }

  /** Opens a new connection to `origin` (TLS included for https). */
  async dial(origin: UpstreamOrigin, timeoutMs: number, extraCaPem?: string): Promise<UpstreamConnection> {
    // The socket exists before its UpstreamConnection: reads reach it through this slot.
    const slot: { conn?: UpstreamConnection; early?: boolean } = {};
    const callback = (n: number, buf: Uint8Array): boolean => {
      if (slot.conn) return slot.conn.onRead(n, buf);
      slot.early = true;
      return false;
    };
    this.count(origin.key, 1);
    let socket: net.Socket;
    try {
      socket = await dialUpstream(origin, timeoutMs, extraCaPem, { buffer: READ_BUFFER, callback });
    } catch (e) {
      this.count(origin.key, -1);
      this.offerSlot(origin.key);
      throw e;
    }
    // Bytes before any request was sent belong to nothing (as on an idle socket).
    if (slot.early) socket.destroy();
    const conn = (slot.conn = new UpstreamConnection(socket, origin.key, this));
    return conn;
  }

  /** A request is over: keep the socket for the next one only if its framing ended cleanly. */
  release(conn: UpstreamConnection, reusable: boolean): void {
    conn.user = undefined;
    if (!reusable || this.closed || !conn.usable) {
      conn.socket.destroy();
      return;
    }
    conn.reused = true;
    const waiter = this.nextWaiter(conn.key);
    if (waiter) {
      // Straight to a waiting stream; on the next tick, so the releasing exchange unwinds first.
      process.nextTick(() => {
        if (conn.usable) return waiter(conn);
        // Closed meanwhile: the waiter goes back to the head of the queue for the slot it frees.
        this.waiters.set(conn.key, [waiter, ...(this.waiters.get(conn.key) ?? [])]);
        conn.socket.destroy();
        this.offerSlot(conn.key);
      });
      return;
    }
    let list = this.idle.get(conn.key);
    if (!list) this.idle.set(conn.key, (list = []));
    list.push(conn);
    if (list.length > MAX_IDLE_PER_ORIGIN) list.shift()!.socket.destroy();
  }

  /** Drops an idle socket that closed or ended. */
  forget(conn: UpstreamConnection): void {
    const list = this.idle.get(conn.key);
    if (!list) return;
    const i = list.indexOf(conn);
    if (i >= 0) list.splice(i, 1);
  }

  /** Accepts released sockets again after {@link destroy} (the proxy was restarted). */
  reopen(): void {
    this.closed = false;
  }

  /** Closes every idle socket; sockets in use close when their request ends. */
  destroy(): void {
    this.closed = true;
    // Streams still waiting dial for themselves (a stopped proxy has ended their sessions anyway).
    const waiting = [...this.waiters.values()].flat();
    this.waiters.clear();
    for (const waiter of waiting) process.nextTick(waiter, undefined);
    for (const list of this.idle.values()) for (const conn of list) conn.socket.destroy();
    this.idle.clear();
  }
}

/** The upstream socket one client connection is using, if any. */
export class UpstreamLink {
  private leased: UpstreamConnection | undefined;

  constructor(
    private readonly ctx: ProxyContext,
    private readonly rec: ConnectionRecorder,
  ) {}

  /** An idle pooled socket to `origin`, synchronously, or undefined when a dial is needed. */
  takeIdle(origin: UpstreamOrigin): UpstreamConnection | undefined {
    const conn = this.ctx.pool.take(origin);
    if (conn) this.leased = conn;
    return conn;
  }

  /** Dials a new socket to `origin`. */
  async dial(origin: UpstreamOrigin): Promise<UpstreamConnection> {
    const conn = await this.ctx.pool.dial(origin, this.ctx.timeouts.upstreamConnectMs, this.ctx.leaves.rootPem());
    this.rec.mark("upstreamConnected");
    this.leased = conn;
    return conn;
  }

  /** The request is over; the socket goes back to the pool when `reusable`. */
  release(reusable: boolean): void {
    const conn = this.leased;
    this.leased = undefined;
    if (conn) this.ctx.pool.release(conn, reusable);
  }

  /** Gives up the socket without closing it: after a 101 it belongs to the WebSocket tunnel. */
  handOff(): void {
    this.leased = undefined;
  }

  /** The client is gone: a socket in the middle of a request cannot be reused. */
  close(): void {
    const conn = this.leased;
    this.leased = undefined;
    if (conn) {
      conn.user = undefined;
      conn.socket.destroy();
    }
  }
}
