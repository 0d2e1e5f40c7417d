/**
 * The front end for clients that chose h2 in ALPN: nghttp2 (Node's http2) speaks to the client, and
 * each stream becomes one HTTP/1.1 exchange on the proxy's upstream pool (h2UpstreamExchange.ts),
 * bodies streamed both ways. Dev servers speak HTTP/1.1, so this is where h2 is translated.
 */
import http2 from "node:http2";
import type tls from "node:tls";
import { performance } from "node:perf_hooks";
import { msSince, type ConnectionRecorder } from "../records/connectionRecorder";
import type { ProxyContext } from "../context";
import { ConnectionForwarding, forwardedLines, upstreamHostHeader } from "../http/forwarding";
import { renderPage, type PageContent } from "../http/pages";
import { requestHeaderLines } from "./h2Headers";
import { H2UpstreamExchange } from "./h2UpstreamExchange";
import { isWebSocketConnect, upgradeRequestLines } from "./h2WebSocket";
import { decideRequest, noteDecision } from "../requestDecision";
import { explainClientIdle, explainH2SessionError } from "../records/explain";

/** What a session's streams need to know of their connection. */
interface SessionFacts {
  rec: ConnectionRecorder;
  tlsServerName: string | undefined;
  /** The wildcard route's shared leaf the connection presents, if it does. */
  sharedLeaf: string | undefined;
  /** The forwarding fields' per-connection part. */
  forwarding: ConnectionForwarding;
  /** Streams open on the session: an idle session has none. */
  openStreams: number;
  /** Counts a stream down; one function per session, not a closure per stream. */
  streamClosed: () => void;
}

/** Serves h2 connections handed over after the TLS handshake. */
export class Http2Front {
  private readonly server = http2.createServer({
    // enableConnectProtocol: WebSockets over h2 (RFC 8441, h2WebSocket.ts).
    settings: { maxConcurrentStreams: 250, enableConnectProtocol: true },
  });
  private readonly sessions = new WeakMap<http2.ServerHttp2Session, SessionFacts>();
  private pending: SessionFacts | undefined;

  constructor(private readonly ctx: ProxyContext) {
    // 'session' fires synchronously inside emit('connection'), which is how a session finds its record.
    this.server.on("session", (session) => {
      const facts = this.pending;
      if (facts) {
        this.sessions.set(session, facts);
        // Node emits a session's error only once its socket closed: the record waits for it.
        facts.rec.closeWith(session);
      }
      session.on("error", (e) => this.sessionFailed(facts, e));
      // Node's session timer runs on frame activity; a session that has open streams (a quiet
      // event stream, a WebSocket) is not idle, and its timer restarts with the next frame.
      const idleMs = this.ctx.timeouts.clientIdleMs;
      session.setTimeout(idleMs, () => {
        if (facts && facts.openStreams > 0) return;
        if (facts && !facts.rec.record.closeReason) facts.rec.record.closeReason = explainClientIdle(idleMs);
        // Not close(): a session nghttp2 ended itself (a client's bad frame: GOAWAY sent, nothing
        // read any more) would wait for the client forever. With no stream open, nothing is cut.
        session.goaway(http2.constants.NGHTTP2_NO_ERROR);
        session.destroy();
      });
    });
    this.server.on("stream", (stream, headers) => this.onStream(stream, headers));
  }

  /**
   * Takes over a TLS socket whose ALPN is h2, terminated for `tlsServerName` (its SNI, if any),
   * presenting `sharedLeaf` when that is a wildcard route's shared leaf.
   */
  accept(socket: tls.TLSSocket, rec: ConnectionRecorder, tlsServerName?: string, sharedLeaf?: string): void {
    // Node's tls.Server clears this flag before 'secureConnection'; http2 waits for 'secureConnect' while it is set.
    (socket as tls.TLSSocket & { secureConnecting: boolean }).secureConnecting = false;
    const facts: SessionFacts = {
      rec,
      tlsServerName,
      sharedLeaf,
      // The addresses as the record read them off the accepted socket: asking the TLS socket again
      // costs a getpeername/getsockname system call (per stream, for the port).
      forwarding: new ConnectionForwarding(rec.record.client.address, "https", this.ctx.via),
      openStreams: 0,
      streamClosed: () => {
        facts.openStreams--;
      },
    };
    this.pending = facts;
    try {
      this.server.emit("connection", socket);
    } finally {
      this.pending = undefined;
    }
  }

  private onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    const facts = this.sessions.get(stream.session as http2.ServerHttp2Session);
    const rec = facts?.rec;
    if (facts) {
      facts.openStreams++;
      stream.on("close", facts.streamClosed);
    }
    const started = performance.now();
    const method = String(headers[":method"] ?? "GET");
    const path = String(headers[":path"] ?? "/");
    const authority = String(headers[":authority"] ?? headers.host ?? "");
    // A stream's error is its reset (RST_STREAM, or its session failing): the exchange records it
    // when the response was not complete (explainH2StreamReset), the session's failure below.
    stream.on("error", () => {});
    const summary = { method, host: authority, path };
    const answer = (page: PageContent, error?: string): void => {
      const r = renderPage(page);
      if (!stream.headersSent && !stream.destroyed) {
        stream.respond({ ":status": r.status, ...r.headers });
        stream.end(method === "HEAD" ? undefined : r.body);
      }
      rec?.addRequest({
        ...summary,
        status: r.status,
        bytes: r.body.length,
        durationMs: msSince(started),
        ...(error ? { error } : {}),
      });
    };
    if (authority === "")
      return answer({
        status: 400,
        title: "No authority",
        message: "the request has no :authority, so Switchyard cannot tell which route it is for",
      });
    const websocket = isWebSocketConnect(headers);
    if (method === "CONNECT" && !websocket)
      return answer({
        status: 501,
        title: "CONNECT not supported",
        message: "Switchyard is a reverse proxy; CONNECT tunnels other than WebSockets (RFC 8441) are not supported",
      });
    const lines = requestHeaderLines(headers);
    const decision = decideRequest(this.ctx, {
      scheme: "https",
      redirectOnly: false,
      host: authority,
      path,
      headers: lines,
      localPort: (facts ? facts.rec.record.local.port : stream.session?.socket?.localPort) || 443,
      ...(facts?.tlsServerName !== undefined ? { tlsServerName: facts.tlsServerName } : {}),
      ...(facts?.sharedLeaf !== undefined ? { sharedLeaf: facts.sharedLeaf } : {}),
    });
    noteDecision(rec, decision);
    if (decision.kind === "page") return answer(decision.page);
    const { route, origin } = decision;
    const forwarding =
      facts?.forwarding ?? new ConnectionForwarding(stream.session?.socket?.remoteAddress ?? "", "https", this.ctx.via);
    const forwarded = forwardedLines(
      lines,
      forwarding,
      authority,
      route.rewriteHost ? upstreamHostHeader(origin) : undefined,
    );
    const request = websocket
      ? { method: "GET", host: authority, path, headers: upgradeRequestLines(forwarded), websocket }
      : { method, host: authority, path, headers: forwarded };
    new H2UpstreamExchange(this.ctx, stream, rec, request, origin, answer).start();
  }

  /**
   * The session failed: the client broke the protocol (the connection's outcome is a failure), or
   * its socket broke (the record says why it closed).
   */
  private sessionFailed(facts: SessionFacts | undefined, error: unknown): void {
    if (!facts) return;
    const explained = explainH2SessionError(error);
    if (explained.code.startsWith("ERR_HTTP2")) facts.rec.fail("http", explained);
    else facts.rec.record.closeReason ??= explained;
  }

  /** Stops accepting new streams on every session; streams in flight finish. */
  close(): void {
    this.server.close();
  }
}
