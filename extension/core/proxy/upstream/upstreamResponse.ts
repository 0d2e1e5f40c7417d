/**
 * The response side of one request on a pooled upstream socket, shared by both front ends (the
 * HTTP/1.1 exchange and the h2 stream exchange): reading the head (1xx, then the final one),
 * framing the body so the socket can carry the next request, the stale-socket retry, the 502/504
 * page while nothing was relayed yet and the reset once something was, and the request's entry in
 * the connection record. Each front end says how its client gets the head, the body bytes, a page
 * or a reset.
 */
import { performance } from "node:perf_hooks";
import type { BodyCursor, BodyStep, ContentSink } from "../http/bodyFraming";
import type { ResponseHead } from "../http/httpHead";
import type { PageContent } from "../http/pages";
import { responseBody, takeResponseHead, upstreamTarget } from "../http/responseHead";
import { msSince, type ConnectionRecorder } from "../records/connectionRecorder";
import { hostCheckRefusal } from "../../net/hostCheck";
import {
  explainBrokenChunking,
  explainHostCheckRefusal,
  explainTooManyInterim,
  explainUnaskedSwitch,
  explainUpstreamFailure,
  type Explained,
} from "../records/explain";
import { UpstreamError, type UpstreamOrigin } from "./dial";
import type { UpstreamConnection, UpstreamUser } from "./upstreamConnection";

/** How much of a 403's body is kept to recognise a dev server's host check. */
const REFUSAL_PROBE_BYTES = 1024;

/**
 * 1xx responses relayed per request; one more is a 502 and the upstream socket is closed. RFC 9110
 * 15.2 sets no limit, but a dev server sends one or two (100 Continue, 103 Early Hints), and an
 * endless stream of them would hold the request (and its client) forever.
 */
export const MAX_INTERIM_RESPONSES = 10;

/** The proxy's page title for a failure, by its code; the rest are "Upstream unavailable". */
const PAGE_TITLES: Record<string, string> = {
  UPSTREAM_TIMEOUT: "Upstream timed out",
  UPSTREAM_OTHER_USER: "Port held by another user",
  UPSTREAM_NO_WEBSOCKET: "WebSocket not accepted",
  UPSTREAM_BAD_STATUS: "Invalid response from upstream",
  UPSTREAM_UNASKED_SWITCH: "Invalid response from upstream",
  UPSTREAM_TOO_MANY_INTERIM: "Invalid response from upstream",
};

/** The request as its record names it. */
export interface RequestLabel {
  method: string;
  host?: string;
  path: string;
}

/** One response read from an upstream socket and relayed to a client. */
export abstract class UpstreamResponse implements UpstreamUser {
  private leased: UpstreamConnection | undefined;
  /** The address the last connection reached, kept for the record after the socket left (a tunnel). */
  private reached: string | undefined;
  protected phase: "connecting" | "head" | "body" | "done" = "connecting";
  /** Received bytes not handled yet: a partial head, or what followed it. */
  protected buf: Buffer = Buffer.alloc(0);
  protected cursor: BodyCursor | undefined;
  /** The response has no length: its end is the upstream closing. */
  protected untilClose = false;
  /** The final status, once its head was sent on. */
  protected status: number | undefined;
  /** The upstream socket may carry another request after this response. */
  protected reusable = true;
  /** Bytes received from the upstream for this request (a stale pooled socket sends none). */
  protected received = 0;
  private readonly started = performance.now();
  /** The start of a 403's body (copied), to tell a dev server's host check in the record. */
  private refusalProbe: Buffer[] | undefined;
  private probed = 0;
  /** 1xx heads read for this request (see MAX_INTERIM_RESPONSES). */
  private interimCount = 0;

  /** The upstream socket carrying this request, once there is one. */
  protected get conn(): UpstreamConnection | undefined {
    return this.leased;
  }

  protected set conn(conn: UpstreamConnection | undefined) {
    this.leased = conn;
    if (conn) this.reached = conn.address;
  }

  constructor(
    protected readonly rec: ConnectionRecorder | undefined,
    protected readonly origin: UpstreamOrigin,
    private readonly label: RequestLabel,
  ) {}

  /** True while nothing of the response reached the client, so a page can still answer instead. */
  protected abstract relayedNothing(): boolean;
  /** The request asked to switch protocols (an Upgrade request, or an RFC 8441 WebSocket): a 101 may answer it. */
  protected abstract upgradeRequested(): boolean;
  /** A 1xx head (a 101 only to a request that asked to upgrade); false when the exchange ended with it. */
  protected abstract interim(response: ResponseHead): boolean;
  /** Sends the final head on; false when it could not (and the exchange has ended). */
  protected abstract sendHead(response: ResponseHead): boolean;
  /** Body bytes; `transient`: a view of the shared read buffer, valid only during this call. */
  protected abstract relayBody(chunk: Buffer, transient: boolean): void;
  /** The response ended where its framing says; `reusable`: the socket may carry another request. */
  protected abstract complete(reusable: boolean): void;
  /** A response framed by the upstream's close ended that way. */
  protected abstract endedByClose(): void;
  /** A reused socket closed before a byte of the response: sends the request again when allowed. */
  protected abstract retryStale(): boolean;
  /** Answers with the proxy's own page (nothing was relayed yet) and ends the exchange. */
  protected abstract answerFailure(page: PageContent, explained: Explained): void;
  /** Part of the response is with the client: the honest signal left is a reset. */
  protected abstract abort(explained: Explained): void;

  onUpstreamData(chunk: Buffer): void {
    this.received += chunk.length;
    // Plain upstreams read into the shared buffer; an https upstream's chunks are its own.
    if (this.phase === "body") {
      if (this.refusalProbe) this.keepForRefusal(chunk);
      return this.relayBody(chunk, !this.origin.secure);
    }
    if (this.phase !== "head") return;
    this.rec?.mark("firstResponse");
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]);
    this.headBytesArrived();
  }

  /** Bytes of a head arrived (a front end may batch what it writes while the heads are read). */
  protected headBytesArrived(): void {
    this.readHeads();
  }

  protected readHeads(): void {
    while (this.phase === "head") {
      const read = takeResponseHead(this.buf, this.origin, this.relayedNothing(), this.conn?.address);
      if (read.kind === "need-more") return;
      if (read.kind === "failed") return this.failBeforeResponse(read.explained);
      this.buf = read.rest;
      if (read.response.status < 200) {
        // RFC 9110 15.2.2: a server switches protocols only to a request that asked; an unasked 101
        // would hand the client a tunnel (HTTP/1.1) or hang the stream (h2, which has no 101).
        if (read.response.status === 101 && !this.upgradeRequested())
          return this.failBeforeResponse(explainUnaskedSwitch(this.origin.url));
        if (++this.interimCount > MAX_INTERIM_RESPONSES)
          return this.failBeforeResponse(explainTooManyInterim(this.origin.url, MAX_INTERIM_RESPONSES));
        if (this.interim(read.response)) continue;
        return;
      }
      this.final(read.response);
    }
  }

  private final(response: ResponseHead): void {
    const body = responseBody(response, this.label.method, this.origin);
    if (body.kind === "failed") return this.failBeforeResponse(body.explained);
    this.cursor = body.cursor;
    this.untilClose = body.untilClose;
    // A 204 that announced a body (RFC 9110 8.6 forbids it) may send one anyway, which the next
    // request on the socket would read as its response: the socket is not reused.
    this.reusable = response.keepAlive && !(response.status === 204 && announcesBody(response));
    if (!this.sendHead(response)) return;
    this.status = response.status;
    this.phase = "body";
    if (response.status === 403) this.refusalProbe = [];
    if (this.cursor.done) return this.complete(this.buf.length === 0 && this.reusable);
    const rest = this.buf;
    this.buf = Buffer.alloc(0);
    if (rest.length > 0) {
      if (this.refusalProbe) this.keepForRefusal(rest);
      this.relayBody(rest, false);
    }
  }

  private keepForRefusal(chunk: Buffer): void {
    if (this.probed >= REFUSAL_PROBE_BYTES) return;
    const part = Buffer.from(chunk.subarray(0, REFUSAL_PROBE_BYTES - this.probed));
    this.refusalProbe!.push(part);
    this.probed += part.length;
  }

  /** Feeds body bytes to the framing; undefined when the framing broke (the exchange has ended). */
  protected feed(chunk: Buffer, content?: ContentSink): BodyStep | undefined {
    try {
      return this.cursor!.feed(chunk, content);
    } catch (e) {
      this.midResponse(explainBrokenChunking(this.origin.url, e));
      return undefined;
    }
  }

  onUpstreamClose(error: Error | undefined): void {
    if (this.phase === "head") {
      if (this.conn?.reused && this.received === 0 && this.retryStale()) return;
      const err = error ?? new UpstreamError("UPSTREAM_CLOSED", "closed");
      return this.failBeforeResponse(explainUpstreamFailure(err, upstreamTarget(this.origin, this.conn?.address)));
    }
    if (this.phase !== "body") return;
    if (this.untilClose) return this.endedByClose();
    const err = error ?? new UpstreamError("ECONNRESET", "closed");
    this.midResponse(explainUpstreamFailure(err, upstreamTarget(this.origin, this.conn?.address), true));
  }

  /** The response head did not come within `timeoutMs`. */
  timedOut(timeoutMs: number): void {
    if (this.phase !== "head" && this.phase !== "connecting") return;
    const e = new UpstreamError("UPSTREAM_TIMEOUT", `no response head within ${timeoutMs} ms`);
    this.failBeforeResponse(explainUpstreamFailure(e, upstreamTarget(this.origin, this.conn?.address)));
  }

  /** No response to relay: a 504 page for a timeout, 502 for the rest (or a reset once bytes went out). */
  failBeforeResponse(explained: Explained): void {
    if (this.phase === "done") return;
    if (!this.relayedNothing()) return this.midResponse(explained);
    this.rec?.fail("upstream", explained);
    const status = explained.code === "UPSTREAM_TIMEOUT" ? 504 : 502;
    const title = PAGE_TITLES[explained.code] ?? "Upstream unavailable";
    this.answerFailure({ status, title, message: explained.explanation }, explained);
  }

  protected midResponse(explained: Explained): void {
    this.rec?.fail("upstream", explained);
    this.abort(explained);
  }

  /** Adds this request to the connection's record (and a dev server's host-check refusal as its failure). */
  protected recordRequest(bytes: number, error?: string): void {
    const { method, host, path } = this.label;
    const refusal =
      this.refusalProbe && hostCheckRefusal(this.status, Buffer.concat(this.refusalProbe).toString("latin1"));
    this.refusalProbe = undefined;
    if (refusal) {
      const explained = explainHostCheckRefusal(refusal, host);
      this.rec?.fail("upstream", explained);
      error ??= explained.explanation;
    }
    this.rec?.addRequest({
      method,
      ...(host ? { host } : {}),
      path,
      ...(this.status !== undefined ? { status: this.status } : {}),
      upstream: this.origin.url,
      ...(this.reached !== undefined ? { dialled: this.reached } : {}),
      bytes,
      durationMs: msSince(this.started),
      ...(error ? { error } : {}),
    });
  }
}

/** The head announces a body: a Transfer-Encoding, or a Content-Length other than 0. */
function announcesBody(response: ResponseHead): boolean {
  return response.transferCoding.length > 0 || response.contentLengths.some((v) => v !== "0");
}
