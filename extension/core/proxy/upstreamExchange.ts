/**
 * The response side of one HTTP/1.x request: reads the upstream's head (1xx, 101 upgrade, final),
 * frames its body so the socket can carry the next request, pipes the bytes to the client with
 * backpressure, and turns every way it can fail into a page or a record.
 */
import type net from "node:net";
import { STATUS_CODES } from "node:http";
import { performance } from "node:perf_hooks";
import { bodyCursor, type BodyCursor } from "./bodyFraming";
import type { ConnectionRecorder } from "./connectionRecord";
import { explainUpstreamFailure, type Explained } from "./explain";
import { findHeadEnd, MAX_HEAD_BYTES, parseResponseHead, responseFraming, type RequestHead } from "./httpHead";
import { renderPage } from "./pages";
import { dialledAddresses, type UpstreamOrigin } from "./upstream";

/** How an exchange ended, for the session. */
export interface ExchangeResult {
  /** The client connection may carry another request. */
  keepClient: boolean;
  /** The upstream socket ended its response cleanly and may carry another request. */
  reusable: boolean;
  /** Set after a 101: the upstream socket to splice to the client. */
  tunnel?: net.Socket;
}

/** One request in flight on an upstream socket. */
export class UpstreamExchange {
  private upstream: net.Socket | undefined;
  private buf: Buffer = Buffer.alloc(0);
  private phase: "connecting" | "head" | "body" | "done" = "connecting";
  private cursor: BodyCursor | undefined;
  /** The response has no length: its end is the upstream closing. */
  private untilClose = false;
  private status: number | undefined;
  private keepAlive = true;
  private sentBytes = 0;
  private lastError: Error | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly started = performance.now();

  constructor(
    private readonly client: net.Socket,
    private readonly rec: ConnectionRecorder,
    private readonly request: RequestHead,
    private readonly origin: UpstreamOrigin,
    private readonly responseTimeoutMs: number,
    private readonly onDone: (result: ExchangeResult) => void,
  ) {}

  /** Sends the request head and starts reading the response. */
  start(upstream: net.Socket, head: Buffer): void {
    this.upstream = upstream;
    this.phase = "head";
    upstream.on("data", this.onData);
    upstream.on("error", this.onError);
    upstream.on("close", this.onClose);
    this.timer = setTimeout(
      () =>
        this.failBeforeResponse(
          explainUpstreamFailure(
            Object.assign(new Error(`no response head within ${this.responseTimeoutMs} ms`), {
              code: "UPSTREAM_TIMEOUT",
            }),
            this.target(),
          ),
        ),
      this.responseTimeoutMs,
    );
    upstream.write(head);
    upstream.resume();
  }

  private target(): { url: string; dialled: string[] } {
    return { url: this.origin.url, dialled: dialledAddresses(this.origin) };
  }

  private readonly onData = (chunk: Buffer): void => {
    this.rec.mark("firstResponse");
    if (this.phase === "body") return this.forwardBody(chunk);
    if (this.phase !== "head") return;
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    this.readHeads();
  };

  private readHeads(): void {
    while (this.phase === "head") {
      if (
        this.sentBytes === 0 &&
        this.buf.length >= 2 &&
        (this.buf[0] === 0x16 || this.buf[0] === 0x15) &&
        this.buf[1] === 0x03 &&
        !this.origin.secure
      ) {
        return this.failBeforeResponse(
          explainUpstreamFailure(
            Object.assign(new Error("TLS record"), { code: "TLS_FROM_PLAIN_UPSTREAM" }),
            this.target(),
          ),
        );
      }
      const end = findHeadEnd(this.buf);
      if (end < 0) {
        if (this.buf.length > MAX_HEAD_BYTES)
          this.failBeforeResponse({
            code: "UPSTREAM_HEAD_TOO_LARGE",
            explanation: `${this.origin.url} sent a response head over ${MAX_HEAD_BYTES / 1024} KB`,
          });
        return;
      }
      const raw = this.buf.subarray(0, end);
      this.buf = this.buf.subarray(end);
      let response;
      try {
        response = parseResponseHead(raw);
      } catch (e) {
        return this.failBeforeResponse({
          code: "UPSTREAM_BAD_RESPONSE",
          explanation: `${this.origin.url} answered something that is not HTTP/1.x: ${(e as Error).message}`,
        });
      }
      this.send(raw);
      if (response.status === 101 && this.request.upgrade) {
        this.status = 101;
        return this.finish({ keepClient: false, reusable: false, tunnel: this.detach(true) });
      }
      if (response.status < 200) continue;
      clearTimeout(this.timer);
      this.status = response.status;
      this.keepAlive = response.keepAlive && this.request.keepAlive;
      try {
        const framing = responseFraming(response, this.request.method);
        this.untilClose = framing.kind === "until-close";
        this.cursor = bodyCursor(framing);
      } catch (e) {
        return this.midResponse({
          code: "UPSTREAM_BAD_FRAMING",
          explanation: `${this.origin.url} sent a response with unusable framing: ${(e as Error).message}`,
        });
      }
      this.phase = "body";
      if (this.cursor.done)
        return this.finish({ keepClient: this.keepAlive, reusable: this.buf.length === 0 && response.keepAlive });
      const rest = this.buf;
      this.buf = Buffer.alloc(0);
      if (rest.length > 0) this.forwardBody(rest);
    }
  }

  private forwardBody(chunk: Buffer): void {
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
    if (step.take > 0) this.send(chunk.subarray(0, step.take));
    if (step.done) this.finish({ keepClient: this.keepAlive, reusable: step.take === chunk.length && this.keepAlive });
  }

  private send(bytes: Buffer): void {
    this.sentBytes += bytes.length;
    if (!this.client.write(bytes) && this.upstream) {
      const upstream = this.upstream;
      upstream.pause();
      this.client.once("drain", () => upstream.resume());
    }
  }

  private readonly onError = (e: Error): void => {
    this.lastError = e;
  };

  private readonly onClose = (): void => {
    if (this.phase === "head") {
      const err = this.lastError ?? Object.assign(new Error("closed"), { code: "UPSTREAM_CLOSED" });
      return this.failBeforeResponse(explainUpstreamFailure(err, this.target()));
    }
    if (this.phase !== "body") return;
    if (this.untilClose) return this.finish({ keepClient: false, reusable: false });
    const err = this.lastError ?? Object.assign(new Error("closed"), { code: "ECONNRESET" });
    this.midResponse(explainUpstreamFailure(err, this.target(), true));
  };

  /** No byte of the response reached the client yet: answer with an error page, then close. */
  failBeforeResponse(explained: Explained): void {
    if (this.phase === "done") return;
    if (this.sentBytes > 0) return this.midResponse(explained);
    const status = explained.code === "UPSTREAM_TIMEOUT" ? 504 : 502;
    this.status = status;
    const page = renderPage({
      status,
      title: status === 504 ? "Upstream timed out" : "Upstream unavailable",
      message: explained.explanation,
    });
    let head = `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n`;
    for (const [n, v] of Object.entries(page.headers)) head += `${n}: ${v}\r\n`;
    this.send(Buffer.concat([Buffer.from(`${head}connection: close\r\n\r\n`, "latin1"), page.body]));
    this.rec.setOutcome({
      kind: "failed",
      stage: "upstream",
      error: explained.code,
      explanation: explained.explanation,
    });
    this.finish({ keepClient: false, reusable: false }, explained.explanation);
  }

  /** Part of the response is already with the client: the only honest signal left is a reset. */
  private midResponse(explained: Explained): void {
    this.rec.setOutcome({
      kind: "failed",
      stage: "upstream",
      error: explained.code,
      explanation: explained.explanation,
    });
    this.finish({ keepClient: false, reusable: false }, explained.explanation);
    this.client.destroy();
  }

  /** The client went away: stop reading the upstream (the link destroys it). */
  clientGone(): void {
    if (this.phase === "done") return;
    clearTimeout(this.timer);
    this.phase = "done";
    this.detach(false);
  }

  private detach(keepFlowing: boolean): net.Socket | undefined {
    const upstream = this.upstream;
    if (!upstream) return undefined;
    upstream.off("data", this.onData);
    upstream.off("error", this.onError);
    upstream.off("close", this.onClose);
    if (keepFlowing) {
      upstream.on("error", () => this.client.destroy());
      upstream.on("close", () => this.client.destroy());
      this.client.on("close", () => upstream.destroy());
      if (this.buf.length > 0) this.client.write(this.buf);
      this.buf = Buffer.alloc(0);
    }
    return upstream;
  }

  private finish(result: ExchangeResult, error?: string): void {
    if (this.phase === "done") return;
    clearTimeout(this.timer);
    if (!result.tunnel) this.detach(false);
    this.phase = "done";
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
