/**
 * Upstream sockets for both front ends. One pool per proxy keeps idle keep-alive sockets per
 * upstream origin, shared by every client connection: a browser's (or a load generator's) new
 * connection takes an idle upstream socket instead of dialling, and a client's own
 * `Connection: close` no longer costs the upstream its connection (hop-by-hop headers are not
 * forwarded, hopByHop.ts). It also counts each origin's connections, so h2 streams wait for one
 * instead of dialling past the limit.
 */
import type net from "node:net";
import { dialUpstream, peerAddress, type UpstreamOrigin } from "./dial";
import { checkConnected, checkListeners, loopbackCandidates } from "./listenerCheck";
import { READ_BUFFER, UpstreamConnection } from "./upstreamConnection";

/** Idle sockets kept per origin; more are closed when released. */
const MAX_IDLE_PER_ORIGIN = 64;

/**
 * Upstream connections per origin (in use, idle or being dialled) beyond which h2 streams wait for
 * one instead of dialling: one h2 connection may carry 250 streams at once, and a dev server
 * should not see 250 new connections from one page load. HTTP/1.x clients never wait (each holds
 * at most one upstream socket), but their sockets count.
 */
export const DEFAULT_CONNECTIONS_PER_ORIGIN = 64;

/**
 * How long a waiter waits before it may dial anyway. The limit smooths a burst of short requests
 * (a page load's module requests take turns on the connections); when the origin's connections are
 * held by long responses (server-sent events, long polls), waiting for them to end would starve
 * every new request.
 */
export const QUEUE_PATIENCE_MS = 1000;

/** Called with a released socket to use, or with undefined when a dial is allowed (a free slot, or patience ran out). */
export type PoolWaiter = (conn: UpstreamConnection | undefined) => void;

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
   * free slot, or for {@link QUEUE_PATIENCE_MS} (then it dials); returns a function that leaves the
   * queue. The waiter is called once.
   */
  wait(origin: UpstreamOrigin, waiter: PoolWaiter): () => void {
    const patience = setTimeout(() => {
      leave();
      waiter(undefined);
    }, QUEUE_PATIENCE_MS);
    patience.unref();
    const queued: PoolWaiter = (conn) => {
      clearTimeout(patience);
      waiter(conn);
    };
    const leave = (): void => {
      clearTimeout(patience);
      // The queue's current list: a waiter put back at the front may sit in a newer one.
      const list = this.waiters.get(origin.key);
      const i = list ? list.indexOf(queued) : -1;
      if (i >= 0) list!.splice(i, 1);
      if (list && list.length === 0) this.waiters.delete(origin.key);
    };
    this.enqueue(origin.key, queued, "back");
    return leave;
  }

  private enqueue(key: string, waiter: PoolWaiter, end: "front" | "back"): void {
    let list = this.waiters.get(key);
    if (!list) this.waiters.set(key, (list = []));
    if (end === "front") list.unshift(waiter);
    else list.push(waiter);
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

  /**
   * Opens a new connection to `origin` (TLS included for https). A loopback upstream is dialled
   * only where this user (or root) listens, and refused when another user holds its port
   * (listenerCheck.ts): checked here, once per new connection, so pooled requests never pay for it.
   */
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
      const verdict = await checkListeners(origin);
      if (verdict.kind === "refuse") throw verdict.error;
      socket = await dialUpstream(origin, {
        timeoutMs,
        ...(extraCaPem !== undefined ? { extraCaPem } : {}),
        onread: { buffer: READ_BUFFER, callback },
        // Narrowed to vetted addresses: nothing more to check. Else nothing listened a moment ago,
        // and whatever answered now is checked before a byte is sent.
        ...(verdict.addresses
          ? { addresses: verdict.addresses }
          : loopbackCandidates(origin)
            ? { vetConnected: (address: string) => checkConnected(origin, address) }
            : {}),
      });
    } catch (e) {
      this.count(origin.key, -1);
      this.offerSlot(origin.key);
      throw e;
    }
    const address = peerAddress(socket);
    // Bytes before any request was sent belong to nothing (as on an idle socket).
    if (slot.early) socket.destroy();
    const conn = (slot.conn = new UpstreamConnection(socket, origin.key, this, address));
    return conn;
  }

  /**
   * A request is over: keep the socket for the next one only if its framing ended cleanly, both
   * ways. The invariant held here for every caller: a socket whose request is not complete as its
   * head framed it (a Content-Length whose body was never sent) is never pooled, since the
   * upstream would read the next request's head as that body.
   */
  release(conn: UpstreamConnection, reusable: boolean): void {
    conn.user = undefined;
    if (!reusable || this.closed || !conn.usable || !conn.requestComplete) {
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
        this.enqueue(conn.key, waiter, "front");
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
