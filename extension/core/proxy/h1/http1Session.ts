/**
 * The front end for HTTP/1.x clients (plain, or TLS with ALPN http/1.1): each client connection
 * leases one socket at a time from the proxy's shared upstream pool (upstreamLink.ts), and body
 * bytes are copied through, not re-encoded. Heads are parsed (to route, add forwarding headers
 * and answer redirects) and bodies are framed on both sides, so pipelined requests are forwarded
 * one at a time and never bleed into each other.
 */
import type net from "node:net";
import { bodyCursor, type BodyCursor } from "../http/bodyFraming";
import type { ConnectionRecorder } from "../records/connectionRecorder";
import type { ProxyContext } from "../context";
import { explainUpstreamFailure, refuseBadBody, refuseSlowHead, type Refusal } from "../records/explain";
import { Deadline } from "./deadline";
import { ConnectionForwarding } from "../http/forwarding";
import { MAX_HEAD_BYTES, type RequestHead } from "../http/httpHead";
import { takeRequestHead } from "../http/requestHead";
import { upstreamTarget } from "../http/responseHead";
import { closingPageBytes } from "../http/pages";
import { endClientConnection, spliceTunnel, writeLocalAnswer, writePage } from "./localAnswer";
import { decideRequest, noteDecision } from "../requestDecision";
import type { UpstreamOrigin } from "../upstream/dial";
import { Http1Exchange, type ExchangeResult } from "./http1Exchange";
import { upstreamRequest } from "./upstreamRequest";
import type { UpstreamConnection } from "../upstream/upstreamConnection";
import { UpstreamLink } from "../upstream/upstreamLink";

/** How the session treats requests. */
export interface Http1Mode {
  scheme: "http" | "https";
  /** The optional plain-HTTP port: every request is redirected. */
  redirectOnly: boolean;
  /** The SNI name a TLS connection was terminated for: requests for other hosts get 421. */
  tlsServerName?: string;
  /** The wildcard route's shared leaf the connection presents: the names it covers are not misdirected. */
  sharedLeaf?: string;
}

type State = "head" | "waiting" | "body" | "tunnel" | "closed";

/** One client connection speaking HTTP/1.x. */
export class Http1Session {
  private buf: Buffer = Buffer.alloc(0);
  private state: State = "head";
  private cursor: BodyCursor | undefined;
  /** Where request body bytes go: the upstream, or nowhere for requests answered locally. */
  private sink: net.Socket | undefined;
  private exchange: Http1Exchange | undefined;
  private readonly link: UpstreamLink;
  /** A keep-alive client with no request in flight is closed after clientIdleMs. */
  private readonly idle: Deadline;
  /** Once a request head has started, it must end within sniffTimeoutMs (no slowloris heads). */
  private readonly headDeadline: Deadline;
  /** The upstream must send its response head within upstreamResponseMs. */
  private readonly responseDeadline: Deadline;
  /** The request in flight was already re-sent once after a stale pooled socket. */
  private retried = false;
  /** The forwarding fields' per-connection part, from the first forwarded request on. */
  private forwarding: ConnectionForwarding | undefined;

  constructor(
    private readonly client: net.Socket,
    private readonly ctx: ProxyContext,
    private readonly rec: ConnectionRecorder,
    private readonly mode: Http1Mode,
    initial: Buffer,
  ) {
    this.link = new UpstreamLink(ctx, rec);
    this.idle = new Deadline(ctx.timeouts.clientIdleMs, () => this.endClient());
    const headMs = ctx.settings().sniffTimeoutMs;
    this.headDeadline = new Deadline(headMs, () => this.refuse(refuseSlowHead(headMs)));
    this.responseDeadline = new Deadline(ctx.timeouts.upstreamResponseMs, () =>
      this.exchange?.timedOut(ctx.timeouts.upstreamResponseMs),
    );
    client.on("data", this.onData);
    client.on("error", () => this.close());
    client.on("close", () => this.close());
    client.on("end", () => {
      if (this.state === "head" && this.buf.length === 0) client.end();
    });
    this.idle.arm();
    if (initial.length > 0) this.onData(initial);
    client.resume();
  }

  private readonly onData = (chunk: Buffer): void => {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    this.pump();
  };

  /** Moves through as many states as the buffered bytes allow. */
  private pump(): void {
    for (;;) {
      if (this.state === "head") {
        if (this.exchange) return this.holdWhileBusy();
        const read = takeRequestHead(this.buf);
        if (read.kind === "refused") return this.refuse(read.refusal);
        if (read.kind === "partial") this.headDeadline.armOnce();
        if (read.kind !== "head") return;
        this.buf = read.rest;
        this.idle.disarm();
        this.headDeadline.disarm();
        this.startRequest(read.head);
        continue;
      }
      if (this.state === "body" && this.cursor) {
        if (this.buf.length === 0) return;
        let step;
        try {
          step = this.cursor.feed(this.buf);
        } catch (e) {
          return this.refuse(refuseBadBody((e as Error).message));
        }
        const part = this.buf.subarray(0, step.take);
        this.buf = this.buf.subarray(step.take);
        if (this.sink && part.length > 0) {
          // The response deadline counts from the last request byte sent: a long upload that keeps
          // moving is not cut off, and the upstream still gets the full time once it has it all.
          if (this.exchange?.awaitingHead) this.responseDeadline.arm();
          if (!this.sink.write(part)) this.backpressure(this.client, this.sink);
        }
        if (!step.done) return;
        // The upstream has the whole request as its head framed it (a local answer has no sink).
        if (this.sink) this.link.requestWritten();
        this.cursor = undefined;
        this.state = "head";
        if (!this.exchange) this.idle.arm();
        continue;
      }
      return;
    }
  }

  /** Pipelined bytes wait until the response in flight is done; a flood is stopped by pausing. */
  private holdWhileBusy(): void {
    if (this.buf.length > MAX_HEAD_BYTES) this.client.pause();
  }

  private startRequest(head: RequestHead): void {
    const ctx = this.ctx;
    const decision = decideRequest(ctx, {
      scheme: this.mode.scheme,
      redirectOnly: this.mode.redirectOnly,
      host: head.host,
      path: head.target,
      headers: head.headers,
      // The addresses as the record read them off the accepted socket: asking a TLS socket again
      // costs a getsockname/getpeername system call per connection.
      localPort: this.rec.record.local.port || 443,
      ...(this.mode.tlsServerName !== undefined ? { tlsServerName: this.mode.tlsServerName } : {}),
      ...(this.mode.sharedLeaf !== undefined ? { sharedLeaf: this.mode.sharedLeaf } : {}),
    });
    noteDecision(this.rec, decision);
    if (decision.kind === "redirect") {
      const headers = { location: decision.location, "content-length": "0" };
      return this.answered(
        head,
        writeLocalAnswer(this.client, this.rec, head, decision.status, headers, Buffer.alloc(0)),
      );
    }
    if (decision.kind === "page") return this.answered(head, writePage(this.client, this.rec, head, decision.page));
    this.forwarding ??= new ConnectionForwarding(this.rec.record.client.address, this.mode.scheme, ctx.via);
    const { headText, retryable } = upstreamRequest(head, decision, this.forwarding);
    this.state = "waiting";
    this.forward(head, decision.origin, headText, retryable, false);
  }

  /** Sends one request head upstream: on an idle pooled socket at once, else after a dial. */
  private forward(
    head: RequestHead,
    origin: UpstreamOrigin,
    headText: string,
    retryable: boolean,
    fresh: boolean,
  ): void {
    const exchange = new Http1Exchange(
      this.client,
      this.rec,
      head,
      origin,
      (r) => this.exchangeDone(exchange, r, head, origin, headText),
      retryable,
    );
    this.exchange = exchange;
    this.responseDeadline.arm();
    const idle = fresh ? undefined : this.link.takeIdle(origin);
    if (idle) {
      // Called from pump(), which goes on to forward the body bytes already buffered.
      this.begin(exchange, idle, head, headText);
      process.nextTick(uncork, idle.socket);
      return;
    }
    this.client.pause();
    this.link.dial(origin).then(
      (conn) => {
        if (this.state === "closed" || this.exchange !== exchange) return this.link.close();
        this.begin(exchange, conn, head, headText);
        this.client.resume();
        this.pump();
        conn.socket.uncork();
      },
      (e: unknown) => exchange.failBeforeResponse(explainUpstreamFailure(e, upstreamTarget(origin, undefined, e))),
    );
  }

  /** Writes the head (corked: the first body bytes join it in one write) and switches to the body. */
  private begin(exchange: Http1Exchange, conn: UpstreamConnection, head: RequestHead, headText: string): void {
    conn.socket.cork();
    exchange.start(conn, headText);
    this.sink = conn.socket;
    this.cursor = bodyCursor(head.framing);
    this.state = this.cursor.done ? "head" : "body";
    if (!this.cursor.done) return;
    this.cursor = undefined;
    conn.requestWritten();
  }

  private exchangeDone(
    exchange: Http1Exchange,
    result: ExchangeResult,
    head: RequestHead,
    origin: UpstreamOrigin,
    headText: string,
  ): void {
    if (this.exchange !== exchange) return;
    this.exchange = undefined;
    this.responseDeadline.disarm();
    if (result.tunnel) this.link.handOff();
    // A response that came before the request body ended (413, an early 401) leaves the upstream
    // reading the rest of that body: the socket cannot carry another request.
    else this.link.release(result.reusable && this.state !== "body");
    if (result.retry && !this.retried && this.state !== "closed") {
      // A pooled socket the upstream had closed while idle: the request never reached it.
      this.retried = true;
      this.state = "waiting";
      this.forward(head, origin, headText, false, true);
      return;
    }
    this.retried = false;
    if (result.tunnel) {
      this.state = "tunnel";
      this.client.off("data", this.onData);
      spliceTunnel(this.client, result.tunnel, this.buf);
      this.buf = Buffer.alloc(0);
      return;
    }
    const requestFinished = this.state !== "body" && this.state !== "waiting";
    if (!result.keepClient || !requestFinished) {
      this.sink = undefined;
      return this.endClient();
    }
    this.sink = undefined;
    if (this.client.isPaused()) this.client.resume();
    this.idle.arm();
    this.pump();
  }

  /** A local answer (page, redirect) was written; the request body, if any, is read and dropped. */
  private answered(head: RequestHead, close: boolean): void {
    if (close) return this.endClient();
    this.sink = undefined;
    this.cursor = bodyCursor(head.framing);
    this.state = this.cursor.done ? "head" : "body";
    if (this.cursor.done) this.cursor = undefined;
    this.idle.arm();
  }

  /** Answers a request that cannot be parsed, then closes: its framing is unknown. */
  private refuse({ status, title, explained }: Refusal): void {
    this.rec.fail("http", explained);
    this.client.write(closingPageBytes({ status, title, message: explained.explanation }));
    this.endClient();
  }

  private backpressure(from: net.Socket, to: net.Socket): void {
    from.pause();
    to.once("drain", () => {
      if (this.state !== "closed" && this.state !== "waiting") from.resume();
    });
  }

  private endClient(): void {
    if (this.state === "closed") return;
    this.state = "closed";
    this.idle.dispose();
    this.headDeadline.dispose();
    this.responseDeadline.dispose();
    this.client.off("data", this.onData);
    endClientConnection(this.client);
    this.link.close();
  }

  private close(): void {
    this.idle.dispose();
    this.headDeadline.dispose();
    this.responseDeadline.dispose();
    if (this.state !== "tunnel") this.exchange?.clientGone();
    this.state = "closed";
    this.link.close();
  }
}

function uncork(socket: net.Socket): void {
  socket.uncork();
}
