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
 * One read buffer for every plain upstream socket (net's `onread`). A default read is at most
 * 64 KiB into a new buffer; reading up to 1 MiB at once cut a 100 MiB download from ~1600
 * reads and TLS writes to ~100 when the client keeps up, and the bytes can be encrypted straight out of this buffer
 * (upstreamExchange.ts). Sharing is safe because each read is handled synchronously before the
 * next one overwrites it.
 */
const READ_BUFFER = Buffer.allocUnsafe(1024 * 1024);

/** One upstream socket with its listeners installed once, dispatching to whoever leases it. */
export class UpstreamConnection {
  user: UpstreamUser | undefined;
  /** True once it has carried a request: a failure before any response byte may be a stale keep-alive. */
  reused = false;
  private lastError: Error | undefined;
  /** Handed to a WebSocket tunnel: bytes read through `onread` are pushed as owned 'data' chunks. */
  private detached = false;

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
    user?.onUpstreamClose(this.lastError);
  };
}

/** Idle keep-alive sockets per upstream origin, shared by all client connections of one proxy. */
export class UpstreamPool {
  private readonly idle = new Map<string, UpstreamConnection[]>();
  private closed = false;

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
    const socket = await dialUpstream(origin, timeoutMs, extraCaPem, { buffer: READ_BUFFER, callback });
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
