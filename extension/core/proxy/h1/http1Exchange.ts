/**
 * The response side of one HTTP/1.x request, on the shared response core (upstreamResponse.ts):
 * rewrites each head for the client (hop-by-hop fields dropped, the proxy's own connection
 * management, a 101 handed over as a tunnel), relays the body bytes with backpressure, and
 * answers a failure with a closing page or a reset of the client connection.
 */
import type net from "node:net";
import type tls from "node:tls";
import type { ConnectionRecorder } from "../records/connectionRecorder";
import type { Explained } from "../records/explain";
import { messageHeadBytes, statusLine } from "../http/messageHead";
import { stripHopByHop } from "../http/hopByHop";
import type { HeaderLine, RequestHead, ResponseHead } from "../http/httpHead";
import { closingPageBytes, type PageContent } from "../http/pages";
import type { UpstreamOrigin } from "../upstream/dial";
import type { UpstreamConnection } from "../upstream/upstreamConnection";
import { UpstreamResponse } from "../upstream/upstreamResponse";

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
export class Http1Exchange extends UpstreamResponse {
  private keepClient = true;
  private sentBytes = 0;
  /** Bytes of the 1xx heads relayed before the final one. */
  private interimBytes = 0;
  private paused = false;

  constructor(
    private readonly client: net.Socket,
    rec: ConnectionRecorder,
    private readonly request: RequestHead,
    origin: UpstreamOrigin,
    private readonly onDone: (result: ExchangeResult) => void,
    /** A stale reused socket may be replaced and the request sent again (idempotent, no body, not retried yet). */
    private readonly retryable: boolean,
  ) {
    super(rec, origin, {
      method: request.method,
      ...(request.host ? { host: request.host } : {}),
      path: request.target,
    });
  }

  /** Sends the request head and starts reading the response. */
  start(conn: UpstreamConnection, headText: string): void {
    this.conn = conn;
    this.phase = "head";
    conn.user = this;
    conn.requestStarted();
    conn.socket.write(headText, "latin1");
  }

  /** Still waiting for the response head: what the session's response deadline checks. */
  get awaitingHead(): boolean {
    return this.phase === "head" || this.phase === "connecting";
  }

  protected override headBytesArrived(): void {
    // Head and the first body bytes leave in one write (one TLS record) instead of two.
    this.client.cork();
    try {
      this.readHeads();
    } finally {
      this.client.uncork();
    }
  }

  /** Only 1xx heads went out (or nothing): a page can still be the final response. */
  protected relayedNothing(): boolean {
    return this.sentBytes === this.interimBytes;
  }

  protected upgradeRequested(): boolean {
    return this.request.upgrade;
  }

  protected interim(response: ResponseHead): boolean {
    // A 101 comes here only for a request that asked to upgrade (the core refuses any other).
    if (response.status === 101) {
      this.send(this.headFor(response, stripHopByHop(response.headers, { upgrade: true, teTrailers: false })));
      this.status = 101;
      this.finish({ keepClient: false, reusable: false, tunnel: this.detachForTunnel() });
      return false;
    }
    // RFC 9110 15.2: no 1xx to an HTTP/1.0 client, which would take it for the response.
    if (this.request.version === "1.0") return true;
    const head = this.headFor(response, stripHopByHop(response.headers, { upgrade: false, teTrailers: false }));
    this.interimBytes += head.length;
    this.send(head);
    return true;
  }

  protected sendHead(response: ResponseHead): boolean {
    // The two hops are managed separately: the upstream's Connection: close ends the upstream
    // socket only, the client's ends the client connection only.
    this.keepClient = this.request.keepAlive && !this.untilClose;
    this.reusable &&= this.request.version === "1.1";
    const headers = stripHopByHop(response.headers, { upgrade: false, teTrailers: false });
    const own: HeaderLine[] = headers === response.headers ? [...headers] : headers;
    if (!this.keepClient) own.push(["Connection", "close"]);
    else if (this.request.version === "1.0") own.push(["Connection", "keep-alive"]);
    this.send(this.headFor(response, own));
    return true;
  }

  private headFor(response: ResponseHead, headers: HeaderLine[]): Buffer {
    return messageHeadBytes(statusLine(response.status, response.reason), headers);
  }

  /** `transient`: `chunk` is only valid during this call. */
  protected relayBody(chunk: Buffer, transient: boolean): void {
    const step = this.feed(chunk);
    if (!step) return;
    if (step.take > 0) this.send(step.take === chunk.length ? chunk : chunk.subarray(0, step.take), transient);
    if (step.done) this.complete(step.take === chunk.length && this.reusable);
  }

  protected complete(reusable: boolean): void {
    this.finish({ keepClient: this.keepClient, reusable });
  }

  protected endedByClose(): void {
    this.finish({ keepClient: false, reusable: false });
  }

  protected retryStale(): boolean {
    if (!this.retryable || this.sentBytes !== 0) return false;
    this.finish({ keepClient: true, reusable: false, retry: true });
    return true;
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

  /** The closing page; neither side of the exchange can be reused. */
  protected answerFailure(page: PageContent, explained: Explained): void {
    this.status = page.status;
    this.send(closingPageBytes(page));
    this.finish({ keepClient: false, reusable: false }, explained.explanation);
  }

  protected abort(explained: Explained): void {
    this.finish({ keepClient: false, reusable: false }, explained.explanation);
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
    if (!result.retry) this.recordRequest(this.sentBytes, error);
    this.onDone(result);
  }
}
