/**
 * One h2 stream forwarded as one HTTP/1.1 exchange on the proxy's own upstream pool (the pool the
 * HTTP/1.1 sessions use): the request head is written by us, the request body is framed for
 * HTTP/1.1 (Content-Length as sent, else chunked), and the response is read by the shared
 * response core (upstreamResponse.ts), so the upstream socket can carry the next request and large
 * bodies move in 1 MiB reads instead of through http.request's 64 KiB stream chunks.
 */
import http2 from "node:http2";
import { CopyPool, type Lease } from "./copyPool";
import type { ConnectionRecorder } from "../records/connectionRecorder";
import type { ProxyContext } from "../context";
import {
  explainClientStall,
  explainH2StreamReset,
  explainHeadersNotForH2,
  explainUpstreamFailure,
  explainWebSocketNotAccepted,
  type Explained,
} from "../records/explain";
import { h2Headers } from "./h2Headers";
import { acceptedHeaders, spliceWebSocket } from "./h2WebSocket";
import { messageHead, requestLine } from "../http/messageHead";
import { sendRequestBody } from "./h2RequestBody";
import type { HeaderLine, ResponseHead } from "../http/httpHead";
import { isIdempotent } from "../http/requestHead";
import type { PageContent } from "../http/pages";
import { upstreamTarget } from "../http/responseHead";
import type { UpstreamOrigin } from "../upstream/dial";
import { READ_BUFFER_SIZE, type UpstreamConnection } from "../upstream/upstreamConnection";
import { StreamLease } from "../upstream/streamLease";
import { UpstreamResponse } from "../upstream/upstreamResponse";

/** What the h2 front end knows about the request. */
export interface H2Request {
  method: string;
  host: string;
  path: string;
  /** The upstream request head without its framing header (added here). */
  headers: HeaderLine[];
  /** An extended CONNECT for a WebSocket (RFC 8441): sent on as an HTTP/1.1 Upgrade, no body. */
  websocket?: boolean;
}

/** Copies of plain-upstream reads for h2 (one per read of up to 1 MiB); a few stay for reuse. */
const COPIES = new CopyPool(READ_BUFFER_SIZE, 4, 64 * 1024);

/** Forwards one h2 stream; `answer` sends a local page when nothing of the response was relayed yet. */
export class H2UpstreamExchange extends UpstreamResponse {
  private requestSent: boolean;
  private readonly chunked: boolean;
  /** The head sent upstream has a Content-Length other than 0: a body must follow it. */
  private readonly announcesBody: boolean;
  private bytes = 0;
  private retried = false;
  /** The response ended cleanly before the request body did: the socket goes back once it has. */
  private releaseWhenSent = false;
  private paused = false;
  private timer: NodeJS.Timeout | undefined;
  /** Runs while the upstream is paused for a client that is not reading (see stalled()). */
  private stallTimer: NodeJS.Timeout | undefined;
  private readonly lease: StreamLease;

  constructor(
    private readonly ctx: ProxyContext,
    private readonly stream: http2.ServerHttp2Stream,
    rec: ConnectionRecorder | undefined,
    private readonly request: H2Request,
    origin: UpstreamOrigin,
    private readonly answer: (page: PageContent, error?: string) => void,
  ) {
    super(rec, origin, { method: request.method, host: request.host, path: request.path });
    // A WebSocket stream stays open for frames, which go on only after the upstream's 101.
    const hasBody = !stream.endAfterHeaders && !request.websocket;
    const length = request.headers.find(([n]) => n.toLowerCase() === "content-length");
    this.chunked = hasBody && !length;
    this.announcesBody = length !== undefined && length[1].trim() !== "0";
    this.requestSent = !hasBody;
    stream.on("close", () => this.streamClosed());
    this.lease = new StreamLease(ctx, origin, {
      ended: () => this.phase === "done",
      ready: (conn) => this.begin(conn),
      failed: (e) => this.failBeforeResponse(explainUpstreamFailure(e, upstreamTarget(this.origin, undefined, e))),
      dialled: () => this.rec?.mark("upstreamConnected"),
    });
  }

  /** Sends the request on an idle pooled socket, or on a new one. */
  start(fresh = false): void {
    this.timer ??= setTimeout(
      () => this.timedOut(this.ctx.timeouts.upstreamResponseMs),
      this.ctx.timeouts.upstreamResponseMs,
    );
    this.lease.acquire(fresh);
  }

  private begin(conn: UpstreamConnection): void {
    this.conn = conn;
    conn.user = this;
    this.phase = "head";
    const { method, path, headers } = this.request;
    const lines = this.chunked ? [...headers, ["Transfer-Encoding", "chunked"] as HeaderLine] : headers;
    const head = messageHead(requestLine(method, path, "1.1"), lines);
    conn.requestStarted();
    if (!this.requestSent) return this.sendWithBody(conn, head);
    conn.socket.write(head, "latin1");
    // A head that announces a body nobody sends leaves the request incomplete: the pool then
    // closes the socket instead of giving the next request to an upstream still reading that body.
    if (!this.announcesBody) conn.requestWritten();
  }

  /** The head, then DATA frames as the HTTP/1.1 body, with backpressure from the upstream socket. */
  private sendWithBody(conn: UpstreamConnection, head: string): void {
    sendRequestBody(this.stream, conn.socket, head, this.chunked, {
      current: () => this.conn === conn,
      // The head deadline counts from the last request byte sent (as for HTTP/1.1).
      onChunk: () => {
        if (this.phase === "head") this.timer?.refresh();
      },
      onSent: () => {
        conn.requestWritten();
        this.requestSent = true;
        if (!this.releaseWhenSent) return;
        this.conn = undefined;
        this.ctx.pool.release(conn, true);
      },
    });
  }

  protected relayedNothing(): boolean {
    return this.status === undefined;
  }

  protected upgradeRequested(): boolean {
    return this.request.websocket === true;
  }

  /**
   * 1xx: 100 Continue and 103 Early Hints go on as HEADERS before the final response (RFC 9113
   * 8.1); a 101 (which the core lets through only for a WebSocket) opens the WebSocket's tunnel.
   */
  protected interim(response: ResponseHead): boolean {
    if (response.status === 101) {
      this.tunnel(response);
      return false;
    }
    this.relayInterim(response);
    return true;
  }

  private relayInterim(response: ResponseHead): void {
    const stream = this.stream;
    if (stream.destroyed || stream.closed || stream.headersSent) return;
    try {
      const headers = h2Headers(response);
      stream.additionalHeaders(headers);
    } catch {
      // A 1xx is advisory (RFC 9110 15.2): one whose fields HTTP/2 refuses is left out, and the
      // final response, which the client needs, still comes (and is checked in sendHead).
    }
  }

  /** The upstream accepted the WebSocket: its socket leaves the pool and carries the stream's frames. */
  private tunnel(response: ResponseHead): void {
    clearTimeout(this.timer);
    const socket = this.conn!.detach();
    this.conn = undefined;
    this.phase = "done";
    if (this.stream.destroyed || this.stream.closed) return void socket.destroy();
    this.stream.respond(acceptedHeaders(response));
    this.status = response.status;
    this.recordRequest(0);
    spliceWebSocket(this.stream, socket, this.buf);
    this.buf = Buffer.alloc(0);
  }

  protected sendHead(response: ResponseHead): boolean {
    clearTimeout(this.timer);
    // RFC 8441 5 / RFC 9110 9.3.6: a 2xx to an extended CONNECT means "tunnel open". Only the
    // upstream's 101 opens one; its 200 page relayed as such would pass the body off as WebSocket
    // frames. Other answers (a 404, a 400 from a WebSocket server on another path) go on as they are.
    if (this.request.websocket && response.status < 300) {
      this.failBeforeResponse(explainWebSocketNotAccepted(this.origin.url, response.status));
      return false;
    }
    if (this.stream.destroyed || this.stream.closed) {
      this.finish(false);
      return false;
    }
    try {
      this.stream.respond(h2Headers(response), { endStream: this.cursor!.done });
    } catch (e) {
      // Headers HTTP/2 refuses (invalid characters, a pseudo-header name): nothing was sent yet.
      this.failBeforeResponse(explainHeadersNotForH2(this.origin.url, e));
      return false;
    }
    return true;
  }

  /** A plain upstream's `chunk` is a view of the shared read buffer: copied before it is queued. */
  protected relayBody(chunk: Buffer, transient: boolean): void {
    if (!transient) return this.relay(chunk);
    const lease = COPIES.copy(chunk);
    this.relay(lease.data, lease);
    lease.seal();
  }

  /** Relays the body's content (a chunked body is decoded: h2 frames the data itself). */
  private relay(chunk: Buffer, lease?: Lease): void {
    const step = this.feed(chunk, this.writeContent(chunk, lease));
    if (!step?.done) return;
    this.stream.end();
    this.finish(step.take === chunk.length && this.reusable);
  }

  /** `lease`: `chunk` is a pooled copy, reused once every write of it completed. */
  private writeContent(chunk: Buffer, lease?: Lease): (start: number, end: number) => void {
    return (start, end) => {
      this.bytes += end - start;
      const part = start === 0 && end === chunk.length ? chunk : chunk.subarray(start, end);
      // http2 calls back once nghttp2 has passed the bytes on to the TLS socket (or the stream died).
      const full = !(lease ? this.stream.write(part, lease.hold()) : this.stream.write(part));
      const socket = this.conn?.socket;
      if (!full || !socket || this.paused) return;
      this.paused = true;
      socket.pause();
      this.stallTimer = setTimeout(() => this.stalled(), this.ctx.timeouts.clientStallMs);
      this.stream.once("drain", () => {
        clearTimeout(this.stallTimer);
        if (!this.paused) return;
        this.paused = false;
        socket.resume();
      });
    };
  }

  protected complete(reusable: boolean): void {
    this.finish(reusable);
  }

  protected endedByClose(): void {
    this.stream.end();
    this.finish(false);
  }

  /** A pooled socket the upstream had closed while idle: the request never reached it. */
  protected retryStale(): boolean {
    if (this.retried || !this.stream.endAfterHeaders || !isIdempotent(this.request.method)) return false;
    this.retried = true;
    this.conn = undefined;
    this.start(true);
    return true;
  }

  protected answerFailure(page: PageContent, explained: Explained): void {
    this.phase = "done";
    this.dropConnection();
    this.answer(page, explained.explanation);
  }

  /** The stream is reset; the connection and its other streams go on. */
  protected abort(explained: Explained): void {
    this.recordRequest(this.bytes, explained.explanation);
    this.phase = "done";
    this.dropConnection();
    this.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
  }

  /**
   * The client has read nothing for clientStallMs while the response waits (its flow-control window
   * stayed shut): without this, each such stream would hold an upstream socket for as long as the
   * client keeps the connection. The stream is cancelled and its socket closed; the connection and
   * its other streams go on.
   */
  private stalled(): void {
    if (this.phase === "done" || !this.paused) return;
    this.recordRequest(this.bytes, explainClientStall(this.ctx.timeouts.clientStallMs).explanation);
    this.phase = "done";
    this.dropConnection();
    this.stream.close(http2.constants.NGHTTP2_CANCEL);
  }

  /** The client reset or closed the stream: a socket in the middle of an exchange cannot be reused. */
  private streamClosed(): void {
    if (this.phase === "done") {
      if (this.conn && this.releaseWhenSent && !this.requestSent) this.dropConnection();
      return;
    }
    // Reset with an error code before the response was complete: the request's entry says so.
    const reset = explainH2StreamReset(this.stream.rstCode);
    if (reset) this.recordRequest(this.bytes, reset.explanation);
    this.phase = "done";
    clearTimeout(this.timer);
    this.dropConnection();
  }

  private finish(reusable: boolean): void {
    if (this.phase === "done") return;
    this.phase = "done";
    clearTimeout(this.timer);
    clearTimeout(this.stallTimer);
    this.recordRequest(this.bytes);
    const conn = this.conn;
    if (!conn) return;
    conn.user = undefined;
    if (this.paused) {
      this.paused = false;
      conn.socket.resume();
    }
    if (!reusable) return this.dropConnection();
    if (!this.requestSent) {
      this.releaseWhenSent = true; // the request body's end releases it (sendWithBody)
      return;
    }
    this.conn = undefined;
    this.ctx.pool.release(conn, true);
  }

  private dropConnection(): void {
    clearTimeout(this.timer);
    clearTimeout(this.stallTimer);
    this.lease.cancel();
    const conn = this.conn;
    this.conn = undefined;
    if (!conn) return;
    if (conn.user === this) conn.user = undefined;
    this.ctx.pool.release(conn, false);
    // The rest of a request body has nowhere to go: read and drop it so the stream can end.
    if (!this.requestSent && this.stream.isPaused()) this.stream.resume();
  }
}
