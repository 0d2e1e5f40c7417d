/**
 * The response side of one HTTP/1.x request: reads the upstream's head (1xx, 101 upgrade, final),
 * rewrites it for the client (hop-by-hop fields dropped, the proxy's own connection management),
 * frames its body so the upstream socket can carry the next request, relays the bytes to the
 * client with backpressure, and turns every way it can fail into a page or a record.
 */
import type net from "node:net";
import type tls from "node:tls";
import { performance } from "node:perf_hooks";
import type { BodyCursor } from "../http/bodyFraming";
import type { ConnectionRecorder } from "../records/connectionRecorder";
import { explainUpstreamFailure, type Explained } from "../records/explain";
import { responseHeadBytes } from "../http/forwarding";
import { stripHopByHop } from "../http/hopByHop";
import type { HeaderLine, RequestHead, ResponseHead } from "../http/httpHead";
import { closingPageBytes } from "../http/pages";
import { responseBody, takeResponseHead, upstreamTarget } from "../http/responseHead";
import { UpstreamError, type UpstreamOrigin } from "../upstream/dial";
import type { UpstreamConnection, UpstreamUser } from "../upstream/upstreamConnection";

/** How an exchange ended, for the session. */
export interface ExchangeResult {
  /** The client connection may carry another request. */
  keepClient: boolean;
  /** The upstream socket ended its response cleanly and may carry another request. */
  reusable: boolean;
  /** Set after a 101: the upstream socket to splice to the client. */
  tunnel?: net.Socket;
  /** A reused upstream socket closed before answering a retryable request: send it again on a new one. */
  retry?: boolean;
}

/**
 * Owned bytes queued towards the client before the upstream is paused. Larger than the socket's
 * 16 KiB high-water mark so a big download from an https upstream (16 KiB TLS records) is not
 * paused and resumed for every read.
 */
const CLIENT_BUFFER_LIMIT = 1024 * 1024;

/**
 * True when a write now goes straight into the client's TLS layer: nothing queued or corked, so
 * node's TLSWrap encrypts it (or, if it cannot, copies it) before write() returns, and a view of
 * the shared upstream read buffer may be written without a copy. A plain socket's write may stay
 * pending in libuv pointing at the buffer, and a queued write is read later: both need a copy.
 */
function encryptsNow(client: net.Socket): boolean {
  return (
    (client as tls.TLSSocket).encrypted === true &&
    client.writableLength === 0 &&
    client.writableCorked === 0 &&
    !client.connecting &&
    !client.destroyed
  );
}

/** One request in flight on an upstream socket. */
export class Http1Exchange implements UpstreamUser {
  private conn: UpstreamConnection | undefined;
  private buf: Buffer = Buffer.alloc(0);
  private phase: "connecting" | "head" | "body" | "done" = "connecting";
  private cursor: BodyCursor | undefined;
  /** The response has no length: its end is the upstream closing. */
  private untilClose = false;
  private status: number | undefined;
  private keepClient = true;
  private reusable = true;
  private sentBytes = 0;
  private receivedBytes = 0;
  private paused = false;
  private readonly started = performance.now();

  constructor(
    private readonly client: net.Socket,
    private readonly rec: ConnectionRecorder,
    private readonly request: RequestHead,
    private readonly origin: UpstreamOrigin,
    private readonly onDone: (result: ExchangeResult) => void,
    /** A stale reused socket may be replaced and the request sent again (idempotent, no body, not retried yet). */
    private readonly retryable: boolean,
  ) {}

  /** Sends the request head and starts reading the response. */
  start(conn: UpstreamConnection, head: Buffer): void {
    this.conn = conn;
    this.phase = "head";
    conn.user = this;
    conn.socket.write(head);
  }

  /** Still waiting for the response head: what the session's response deadline checks. */
  get awaitingHead(): boolean {
    return this.phase === "head" || this.phase === "connecting";
  }

  /** The response head did not come in time. */
  timedOut(timeoutMs: number): void {
    if (!this.awaitingHead) return;
    this.failBeforeResponse(
      explainUpstreamFailure(
        new UpstreamError("UPSTREAM_TIMEOUT", `no response head within ${timeoutMs} ms`),
        upstreamTarget(this.origin),
      ),
    );
  }

  /** `chunk` may be a view of the shared read buffer (upstreamConnection.ts): it is copied unless written at once. */
  onUpstreamData(chunk: Buffer): void {
    this.receivedBytes += chunk.length;
    // Plain upstreams read into the shared buffer; an https upstream's chunks are its own.
    if (this.phase === "body") return this.forwardBody(chunk, !this.origin.secure);
    if (this.phase !== "head") return;
    this.rec.mark("firstResponse");
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]);
    // Head and the first body bytes leave in one write (one TLS record) instead of two.
    this.client.cork();
    try {
      this.readHeads();
    } finally {
      this.client.uncork();
    }
  }

  private readHeads(): void {
    while (this.phase === "head") {
      const read = takeResponseHead(this.buf, this.origin, this.sentBytes === 0);
      if (read.kind === "need-more") return;
      if (read.kind === "failed") return this.failBeforeResponse(read.explained);
      const response = read.response;
      this.buf = read.rest;
      if (response.status === 101 && this.request.upgrade) {
        this.send(this.headFor(response, stripHopByHop(response.headers, { upgrade: true, teTrailers: false })));
        this.status = 101;
        return this.finish({ keepClient: false, reusable: false, tunnel: this.detachForTunnel() });
      }
      if (response.status < 200) {
        this.send(this.headFor(response, stripHopByHop(response.headers, { upgrade: false, teTrailers: false })));
        continue;
      }
      this.status = response.status;
      const body = responseBody(response, this.request.method, this.origin);
      if (body.kind === "failed") return this.midResponse(body.explained);
      this.cursor = body.cursor;
      this.untilClose = body.untilClose;
      // The two hops are managed separately: the upstream's Connection: close ends the upstream
      // socket only, the client's ends the client connection only.
      this.keepClient = this.request.keepAlive && !this.untilClose;
      this.reusable = response.keepAlive && this.request.version === "1.1";
      const headers = stripHopByHop(response.headers, { upgrade: false, teTrailers: false });
      const own: HeaderLine[] = headers === response.headers ? [...headers] : headers;
      if (!this.keepClient) own.push(["Connection", "close"]);
      else if (this.request.version === "1.0") own.push(["Connection", "keep-alive"]);
      this.send(this.headFor(response, own));
      this.phase = "body";
      if (this.cursor.done)
        return this.finish({ keepClient: this.keepClient, reusable: this.buf.length === 0 && this.reusable });
      const rest = this.buf;
      this.buf = Buffer.alloc(0);
      if (rest.length > 0) this.forwardBody(rest, false);
    }
  }

  private headFor(response: ResponseHead, headers: HeaderLine[]): Buffer {
    return responseHeadBytes(response.status, response.reason, headers);
  }

  /** `transient`: `chunk` is only valid during this call. */
  private forwardBody(chunk: Buffer, transient: boolean): void {
    const cursor = this.cursor!;
    let step;
    try {
      step = cursor.feed(chunk);
    } catch (e) {
      return this.midResponse({
        code: "UPSTREAM_BAD_FRAMING",
        explanation: `${this.origin.url} broke its chunked framing: ${(e as Error).message}`,
      });
    }
    if (step.take > 0) this.send(step.take === chunk.length ? chunk : chunk.subarray(0, step.take), transient);
    if (step.done) this.finish({ keepClient: this.keepClient, reusable: step.take === chunk.length && this.reusable });
  }

  private send(bytes: Buffer, transient = false): void {
    this.sentBytes += bytes.length;
    const client = this.client;
    const direct = !transient || encryptsNow(client);
    client.write(direct ? bytes : Buffer.from(bytes));
    // A big transient write pauses the upstream until it is flushed, so the next read is again
    // encrypted straight from the read buffer instead of being copied into the queue.
    const full = transient ? client.writableNeedDrain : client.writableLength > CLIENT_BUFFER_LIMIT;
    if (!this.paused && full && this.conn) {
      this.paused = true;
      const upstream = this.conn.socket;
      upstream.pause();
      this.client.once("drain", () => {
        this.paused = false;
        upstream.resume();
      });
    }
  }

  onUpstreamClose(error: Error | undefined): void {
    if (this.phase === "head") {
      if (this.retryable && this.conn?.reused && this.receivedBytes === 0 && this.sentBytes === 0)
        return this.finish({ keepClient: true, reusable: false, retry: true });
      const err = error ?? new UpstreamError("UPSTREAM_CLOSED", "closed");
      return this.failBeforeResponse(explainUpstreamFailure(err, upstreamTarget(this.origin)));
    }
    if (this.phase !== "body") return;
    if (this.untilClose) return this.finish({ keepClient: false, reusable: false });
    const err = error ?? new UpstreamError("ECONNRESET", "closed");
    this.midResponse(explainUpstreamFailure(err, upstreamTarget(this.origin), true));
  }

  /** No byte of the response reached the client yet: answer with an error page, then close. */
  failBeforeResponse(explained: Explained): void {
    if (this.phase === "done") return;
    if (this.sentBytes > 0) return this.midResponse(explained);
    const status = explained.code === "UPSTREAM_TIMEOUT" ? 504 : 502;
    this.status = status;
    const title = status === 504 ? "Upstream timed out" : "Upstream unavailable";
    this.send(closingPageBytes({ status, title, message: explained.explanation }));
    this.failed(explained);
  }

  /** Records the upstream failure and ends the exchange; neither side of it can be reused. */
  private failed(explained: Explained): void {
    this.rec.fail("upstream", explained);
    this.finish({ keepClient: false, reusable: false }, explained.explanation);
  }

  /** Part of the response is already with the client: the only honest signal left is a reset. */
  private midResponse(explained: Explained): void {
    this.failed(explained);
    this.client.destroy();
  }

  /** The client went away: stop reading the upstream (the link destroys it). */
  clientGone(): void {
    if (this.phase === "done") return;
    this.phase = "done";
    if (this.conn && this.conn.user === this) this.conn.user = undefined;
  }

  private detachForTunnel(): net.Socket | undefined {
    const conn = this.conn;
    if (!conn) return undefined;
    const upstream = conn.detach();
    upstream.on("error", () => this.client.destroy());
    upstream.on("close", () => this.client.destroy());
    this.client.on("close", () => upstream.destroy());
    if (this.buf.length > 0) this.client.write(this.buf);
    this.buf = Buffer.alloc(0);
    return upstream;
  }

  private finish(result: ExchangeResult, error?: string): void {
    if (this.phase === "done") return;
    if (!result.tunnel && this.conn && this.conn.user === this) this.conn.user = undefined;
    if (this.paused && this.conn) {
      // The socket goes back to the pool (or is destroyed): it must not stay paused.
      this.paused = false;
      this.conn.socket.resume();
    }
    this.phase = "done";
    if (!result.retry)
      this.rec.addRequest({
        method: this.request.method,
        ...(this.request.host ? { host: this.request.host } : {}),
        path: this.request.target,
        ...(this.status !== undefined ? { status: this.status } : {}),
        upstream: this.origin.url,
        bytes: this.sentBytes,
        durationMs: Math.round((performance.now() - this.started) * 1000) / 1000,
        ...(error ? { error } : {}),
      });
    this.onDone(result);
  }
}
