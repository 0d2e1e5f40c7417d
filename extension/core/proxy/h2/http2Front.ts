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

/** What a session's streams need to know of their connection. */
interface SessionFacts {
  rec: ConnectionRecorder;
  tlsServerName: string | undefined;
  /** The forwarding fields' per-connection part. */
  forwarding: ConnectionForwarding;
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
      if (this.pending) this.sessions.set(session, this.pending);
      session.on("error", () => {});
    });
    this.server.on("stream", (stream, headers) => this.onStream(stream, headers));
  }

  /** Takes over a TLS socket whose ALPN is h2, terminated for `tlsServerName` (its SNI, if any). */
  accept(socket: tls.TLSSocket, rec: ConnectionRecorder, tlsServerName?: string): void {
    // Node's tls.Server clears this flag before 'secureConnection'; http2 waits for 'secureConnect' while it is set.
    (socket as tls.TLSSocket & { secureConnecting: boolean }).secureConnecting = false;
    this.pending = {
      rec,
      tlsServerName,
      forwarding: new ConnectionForwarding(socket.remoteAddress ?? "", "https", this.ctx.via),
    };
    try {
      this.server.emit("connection", socket);
    } finally {
      this.pending = undefined;
    }
  }

  private onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    const facts = this.sessions.get(stream.session as http2.ServerHttp2Session);
    const rec = facts?.rec;
    const started = performance.now();
    const method = String(headers[":method"] ?? "GET");
    const path = String(headers[":path"] ?? "/");
    const authority = String(headers[":authority"] ?? headers.host ?? "");
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
      localPort: stream.session?.socket?.localPort ?? 443,
      ...(facts?.tlsServerName !== undefined ? { tlsServerName: facts.tlsServerName } : {}),
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

  /** Stops accepting new streams on every session; streams in flight finish. */
  close(): void {
    this.server.close();
  }
}
