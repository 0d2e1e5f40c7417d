/**
 * The one upstream socket behind one HTTP/1.x client connection. Reused for the client's next
 * request when it goes to the same upstream and the last response left it clean; replaced when
 * a request goes elsewhere (another route) or the upstream closed it while idle.
 */
import type net from "node:net";
import type { ConnectionRecorder } from "./connectionRecord";
import type { ProxyContext } from "./context";
import { dialUpstream, type UpstreamOrigin } from "./upstream";

/** Holds at most one upstream socket for a client connection. */
export class UpstreamLink {
  private socket: net.Socket | undefined;
  private key: string | undefined;
  private busy = false;

  constructor(
    private readonly ctx: ProxyContext,
    private readonly rec: ConnectionRecorder,
  ) {}

  /** A socket to `origin` ready for one request: the idle one if it fits, else a new one. */
  async acquire(origin: UpstreamOrigin): Promise<net.Socket> {
    const current = this.socket;
    if (
      current &&
      !this.busy &&
      this.key === origin.key &&
      !current.destroyed &&
      current.writable &&
      current.readable
    ) {
      this.busy = true;
      return current;
    }
    this.drop();
    const socket = await dialUpstream(origin, this.ctx.timeouts.upstreamConnectMs, this.ctx.leaves.rootPem());
    this.rec.mark("upstreamConnected");
    // Errors while idle are normal (dev server restarted); the next acquire dials again.
    socket.on("error", () => {});
    socket.on("close", () => {
      if (this.socket === socket) this.socket = undefined;
    });
    this.socket = socket;
    this.key = origin.key;
    this.busy = true;
    return socket;
  }

  /** The request is over; keep the socket for the next one only if its framing ended cleanly. */
  release(reusable: boolean): void {
    this.busy = false;
    if (!reusable) this.drop();
  }

  /** Gives up the socket without closing it: after a 101 it belongs to the WebSocket tunnel. */
  handOff(): void {
    this.socket = undefined;
    this.key = undefined;
    this.busy = false;
  }

  /** Closes the upstream socket: the client is gone. */
  close(): void {
    this.drop();
  }

  private drop(): void {
    this.socket?.destroy();
    this.socket = undefined;
    this.key = undefined;
    this.busy = false;
  }
}
