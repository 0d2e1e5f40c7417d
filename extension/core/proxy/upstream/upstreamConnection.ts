/**
 * One upstream socket as the pool keeps it: listeners installed once, bytes dispatched to
 * whichever request leases it ({@link UpstreamUser}), and plain upstreams read into one shared
 * buffer instead of a new one per read.
 */
import type net from "node:net";
import type { UpstreamPool } from "./upstreamPool";

/** What receives an upstream connection's bytes and its close while it carries a request. */
export interface UpstreamUser {
  /**
   * For plain upstreams `chunk` is a view of the shared read buffer, valid only during this
   * call: copy what is kept or written asynchronously.
   */
  onUpstreamData(chunk: Buffer): void;
  onUpstreamClose(error: Error | undefined): void;
}

/**
 * One read buffer for every plain upstream socket (net's `onread`). A default read is at most
 * 64 KiB into a new buffer; reading up to 1 MiB at once cut a 100 MiB download from ~1600
 * reads and TLS writes to ~100 when the client keeps up, and the bytes can be encrypted straight
 * out of this buffer (h1/http1Exchange.ts). Sharing is safe because each read is handled
 * synchronously before the next one overwrites it.
 */
export const READ_BUFFER = Buffer.allocUnsafe(1024 * 1024);

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
  /**
   * The last request written on it is complete as framed: its head and all the body its head
   * announced. Only such a socket may carry another request (UpstreamPool.release).
   */
  private framed = true;

  constructor(
    readonly socket: net.Socket,
    readonly key: string,
    private readonly pool: UpstreamPool,
    /** The socket address it reached (`[::1]:3000` for a `localhost` upstream), for records. */
    readonly address: string,
  ) {
    // Sockets dialled with `onread` get their bytes through onRead; the others emit 'data'.
    socket.on("data", this.onData);
    socket.on("error", this.onError);
    socket.on("end", this.onEnd);
    socket.on("close", this.onClose);
  }

  /** A request head was written: until {@link requestWritten}, the upstream expects more of it. */
  requestStarted(): void {
    this.framed = false;
  }

  /** The request's framing is complete: the head announced no body, or the whole body was written. */
  requestWritten(): void {
    this.framed = true;
  }

  /** Whether the last request's framing is complete (true before any request). */
  get requestComplete(): boolean {
    return this.framed;
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
