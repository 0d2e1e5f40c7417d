/**
 * How an h2 stream gets an upstream socket from the shared pool: an idle one at once, else a new
 * one while the origin has room, else a turn in the origin's queue (after the pool's patience, a
 * dial anyway). A stream that ended meanwhile hands an unused socket back to the pool, or its
 * turn on. (An HTTP/1.1 session leases through upstreamLink.ts: one socket per client at a time.)
 */
import type { ProxyContext } from "../context";
import type { UpstreamOrigin } from "./dial";
import type { UpstreamConnection } from "./upstreamConnection";

/** What the lease reports to the stream's exchange. */
export interface LeaseEvents {
  /** The exchange is over (reset, failed): a socket that comes now is not used. */
  ended(): boolean;
  ready(conn: UpstreamConnection): void;
  failed(error: unknown): void;
  /** A new connection was dialled (before `ready`). */
  dialled(): void;
}

/** One stream's way to a socket of `origin`. */
export class StreamLease {
  private leaveQueue: (() => void) | undefined;

  constructor(
    private readonly ctx: ProxyContext,
    private readonly origin: UpstreamOrigin,
    private readonly events: LeaseEvents,
  ) {}

  /** `fresh`: never an idle pooled socket (the last one was stale). */
  acquire(fresh: boolean): void {
    const idle = fresh ? undefined : this.ctx.pool.take(this.origin);
    if (idle) return this.events.ready(idle);
    if (!this.ctx.pool.hasRoom(this.origin)) return this.queue();
    this.dial();
  }

  /** Leaves the origin's queue, if waiting in it. */
  cancel(): void {
    this.leaveQueue?.();
    this.leaveQueue = undefined;
  }

  private queue(): void {
    this.leaveQueue = this.ctx.pool.wait(this.origin, (conn) => {
      this.leaveQueue = undefined;
      if (this.events.ended()) {
        if (conn) this.ctx.pool.release(conn, true);
        else this.ctx.pool.offerSlot(this.origin.key);
        return;
      }
      if (conn) this.events.ready(conn);
      else this.dial();
    });
  }

  private dial(): void {
    this.ctx.pool.dial(this.origin, this.ctx.timeouts.upstreamConnectMs, this.ctx.leaves.rootPem()).then(
      (conn) => {
        this.events.dialled();
        // The stream was reset while dialling: the new socket never carried a request, so it is pooled.
        if (this.events.ended()) return this.ctx.pool.release(conn, true);
        this.events.ready(conn);
      },
      (e: unknown) => this.events.failed(e),
    );
  }
}
