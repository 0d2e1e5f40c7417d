/**
 * The upstream side of one HTTP/1.x client connection: it leases at most one pooled socket at a
 * time (upstreamPool.ts) and gives it back, closes it, or hands it to a WebSocket tunnel.
 */
import type { ConnectionRecorder } from "../records/connectionRecorder";
import type { ProxyContext } from "../context";
import type { UpstreamOrigin } from "./dial";
import type { UpstreamConnection } from "./upstreamConnection";

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

  /** The request's body was all written: its framing is complete (see UpstreamPool.release). */
  requestWritten(): void {
    this.leased?.requestWritten();
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
