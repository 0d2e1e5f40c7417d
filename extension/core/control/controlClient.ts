/**
 * A client of a running proxy's control socket. The connection is the lease: routes added on it
 * stay until it closes (or its owner process exits).
 */
import net from "node:net";
import { isPipePointer, readPipePointer } from "./pipeAddress";
import {
  CONTROL_PROTOCOL_VERSION,
  stripControls,
  type ControlReply,
  type DynamicRoute,
  type RouteOwner,
} from "./protocol";

/** No proxy answers on the control socket (none running, or a leftover socket file). */
export class NoProxyRunningError extends Error {
  constructor(readonly socketPath: string) {
    super(`no Switchyard proxy is running (nothing answers on ${socketPath})`);
    this.name = "NoProxyRunningError";
  }
}

type Request =
  | { op: "hello" }
  | { op: "list" }
  | { op: "remove"; host: string }
  | { op: "reserve"; host: string; owner: RouteOwner }
  | { op: "add"; route: DynamicRoute };

/** One connection to a running proxy's control socket; requests are answered in order by id. */
export class ControlClient {
  private nextId = 1;
  private buffered = "";
  private readonly waiting = new Map<number, (reply: ControlReply) => void>();
  private closedWith: Error | undefined;
  /** Why the proxy closed this connection, when it said so (a line with id 0: busy, idle). */
  private closedBecause: string | undefined;

  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => this.onData(chunk));
    socket.on("close", () => this.onClose());
    socket.on("error", (e) => (this.closedWith = e));
  }

  /** Connects, or rejects with {@link NoProxyRunningError} when no proxy answers. */
  static connect(socketPath: string, timeoutMs = 2000): Promise<ControlClient> {
    // Windows: the address is the file naming the proxy's pipe; no file, no proxy.
    const endpoint = isPipePointer(socketPath) ? readPipePointer(socketPath) : socketPath;
    if (endpoint === undefined) return Promise.reject(new NoProxyRunningError(socketPath));
    return new Promise((resolve, reject) => {
      const socket = net.connect(endpoint);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new NoProxyRunningError(socketPath));
      }, timeoutMs);
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.removeAllListeners("error");
        resolve(new ControlClient(socket));
      });
      socket.once("error", (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (e.code === "ENOENT" || e.code === "ECONNREFUSED") reject(new NoProxyRunningError(socketPath));
        else reject(new Error(`cannot reach the Switchyard proxy at ${socketPath}: ${e.message}`));
      });
    });
  }

  /** Sends one request and waits for its reply. */
  request(body: Request): Promise<ControlReply> {
    if (this.closedWith || this.socket.destroyed)
      return Promise.reject(new Error("the connection to the Switchyard proxy is closed"));
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.socket.write(`${JSON.stringify({ v: CONTROL_PROTOCOL_VERSION, id, ...body })}\n`);
    });
  }

  /** Resolves when the proxy closes the connection (it stopped, or dropped this client). */
  closed(): Promise<void> {
    if (this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => this.socket.once("close", () => resolve()));
  }

  close(): void {
    this.socket.end();
    this.socket.destroy();
  }

  private onData(chunk: string): void {
    this.buffered += chunk;
    let nl: number;
    while ((nl = this.buffered.indexOf("\n")) >= 0) {
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      let reply: ControlReply;
      try {
        reply = JSON.parse(line) as ControlReply;
      } catch {
        continue;
      }
      if (reply.id === 0 && !reply.ok) this.closedBecause = reply.error;
      const resolve = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      resolve?.(reply);
    }
  }

  private onClose(): void {
    for (const [id, resolve] of this.waiting)
      resolve({
        v: 1,
        id,
        ok: false,
        error: `the Switchyard proxy closed the connection${this.closedBecause ? `: ${stripControls(this.closedBecause)}` : ""}`,
        code: "bad-request",
      });
    this.waiting.clear();
  }
}
