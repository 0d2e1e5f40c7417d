/**
 * Step 4-5 for clients that chose h2 in ALPN: nghttp2 (Node's http2) speaks to the client, and
 * each stream becomes one HTTP/1.1 request on a keep-alive pool to the upstream, bodies streamed
 * both ways. Dev servers speak HTTP/1.1, so this is where h2 is translated.
 */
import http from "node:http";
import http2 from "node:http2";
import https from "node:https";
import type tls from "node:tls";
import { performance } from "node:perf_hooks";
import type { ConnectionRecorder } from "./connectionRecord";
import type { ProxyContext } from "./context";
import { explainUpstreamFailure, type Explained } from "./explain";
import { forwardedHeaders, hasLooped, upstreamHostHeader } from "./forwarding";
import type { HeaderLine } from "./httpHead";
import { renderPage, type PageContent } from "./pages";
import { dialledAddresses, originOf, UpstreamError, type UpstreamOrigin } from "./upstream";

/** Headers that describe one HTTP/1.1 connection and may not appear in HTTP/2 (RFC 9113 8.2.2). */
const CONNECTION_SPECIFIC = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "http2-settings",
  "te",
]);

/** Serves h2 connections handed over after the TLS handshake. */
export class Http2Front {
  private readonly server = http2.createServer({ settings: { maxConcurrentStreams: 250 } });
  private readonly sessions = new WeakMap<http2.ServerHttp2Session, ConnectionRecorder>();
  private pending: ConnectionRecorder | undefined;

  constructor(private readonly ctx: ProxyContext) {
    // 'session' fires synchronously inside emit('connection'), which is how a session finds its record.
    this.server.on("session", (session) => {
      if (this.pending) this.sessions.set(session, this.pending);
      session.on("error", () => {});
    });
    this.server.on("stream", (stream, headers) => this.onStream(stream, headers));
  }

  /** Takes over a TLS socket whose ALPN is h2. */
  accept(socket: tls.TLSSocket, rec: ConnectionRecorder): void {
    // Node's tls.Server clears this flag before 'secureConnection'; http2 waits for 'secureConnect' while it is set.
    (socket as tls.TLSSocket & { secureConnecting: boolean }).secureConnecting = false;
    this.pending = rec;
    try {
      this.server.emit("connection", socket);
    } finally {
      this.pending = undefined;
    }
  }

  private onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    const rec = this.sessions.get(stream.session as http2.ServerHttp2Session);
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
        durationMs: elapsed(started),
        ...(error ? { error } : {}),
      });
    };
    if (authority === "")
      return answer({
        status: 400,
        title: "No authority",
        message: "the request has no :authority, so Switchyard cannot tell which route it is for",
      });
    if (method === "CONNECT")
      return answer({
        status: 501,
        title: "CONNECT not supported",
        message: "Switchyard is a reverse proxy; CONNECT tunnels are not supported",
      });
    const route = this.ctx.routes().match(authority, path);
    if (!route) {
      rec?.setOutcome({ kind: "no-route", host: authority });
      return answer({
        status: 404,
        title: `No route for ${authority}`,
        message: `Switchyard has no route for ${authority}${path}. Add one in the switchyard.proxy.routes setting.`,
        routes: this.ctx.routes().routes,
      });
    }
    const origin = originOf(route);
    if (rec)
      rec.record.route = {
        host: route.host,
        upstream: route.upstream,
        ...(route.pathPrefix ? { pathPrefix: route.pathPrefix } : {}),
      };
    const lines = headerLines(headers);
    if (hasLooped(lines, this.ctx.via) || this.ctx.isSelf(origin)) {
      return answer({
        status: 508,
        title: "Loop detected",
        message: `the route for ${route.host} points at ${route.upstream}, which is this proxy itself; point it at the dev server instead`,
      });
    }
    const forwarded = forwardedHeaders(lines, {
      clientAddress: stream.session?.socket?.remoteAddress ?? "",
      proto: "https",
      host: authority,
      via: this.ctx.via,
      ...(route.rewriteHost ? { rewriteHostTo: upstreamHostHeader(origin) } : {}),
    });
    this.forward(stream, { method, host: authority, path }, forwarded, origin, rec, started, answer);
  }

  private forward(
    stream: http2.ServerHttp2Stream,
    request: { method: string; host: string; path: string },
    headers: HeaderLine[],
    origin: UpstreamOrigin,
    rec: ConnectionRecorder | undefined,
    started: number,
    answer: (page: PageContent, error?: string) => void,
  ): void {
    const { method, path } = request;
    const out: http.OutgoingHttpHeaders = {};
    for (const [n, v] of headers) {
      const prev = out[n];
      out[n] = prev === undefined ? v : `${String(prev)}, ${v}`;
    }
    const agent = this.ctx.agents.agentFor(origin);
    const options: http.RequestOptions = { method, path, headers: out, agent, host: origin.host, port: origin.port };
    const req = origin.secure ? https.request(options) : http.request(options);
    const target = { url: origin.url, dialled: dialledAddresses(origin) };
    let bytes = 0;
    let status: number | undefined;
    req.setTimeout(this.ctx.timeouts.upstreamResponseMs, () =>
      req.destroy(
        new UpstreamError("UPSTREAM_TIMEOUT", `no response within ${this.ctx.timeouts.upstreamResponseMs} ms`),
      ),
    );
    req.on("socket", () => rec?.mark("upstreamConnected"));
    req.on("response", (res) => {
      rec?.mark("firstResponse");
      status = res.statusCode ?? 502;
      const respHeaders: http2.OutgoingHttpHeaders = { ":status": status };
      const named = connectionNamed(res.headers.connection);
      for (const [n, v] of Object.entries(res.headers))
        if (!CONNECTION_SPECIFIC.has(n) && !named?.has(n) && v !== undefined) respHeaders[n] = v;
      if (stream.destroyed) return res.destroy();
      stream.respond(respHeaders, { endStream: method === "HEAD" || status === 204 || status === 304 });
      res.on("data", (chunk: Buffer) => (bytes += chunk.length));
      res.on("error", () => {});
      res.on("aborted", () => fail(new UpstreamError("ECONNRESET", "the upstream reset the response"), true));
      res.pipe(stream);
      res.on("end", () =>
        rec?.addRequest({ ...request, status, upstream: origin.url, bytes, durationMs: elapsed(started) }),
      );
    });
    let failed = false;
    const fail = (e: unknown, midResponse: boolean): void => {
      if (failed) return;
      failed = true;
      const explained = explainH1ClientError(e, target, midResponse || status !== undefined);
      rec?.setOutcome({ kind: "failed", stage: "upstream", error: explained.code, explanation: explained.explanation });
      if (status === undefined) {
        answer(
          {
            status: explained.code === "UPSTREAM_TIMEOUT" ? 504 : 502,
            title: "Upstream unavailable",
            message: explained.explanation,
          },
          explained.explanation,
        );
      } else {
        rec?.addRequest({
          ...request,
          status,
          upstream: origin.url,
          bytes,
          durationMs: elapsed(started),
          error: explained.explanation,
        });
        stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      }
    };
    req.on("error", (e) => fail(e, false));
    stream.on("close", () => {
      if (!req.writableFinished || status === undefined) req.destroy();
    });
    stream.pipe(req);
  }

  /** Stops accepting new streams on every session; streams in flight finish. */
  close(): void {
    this.server.close();
  }
}

/** Node's HTTP/1 parser errors carry the bytes it choked on: TLS bytes mean the route wants https://. */
function explainH1ClientError(e: unknown, target: { url: string; dialled: string[] }, midResponse: boolean): Explained {
  const raw = (e as { rawPacket?: Buffer }).rawPacket;
  if (
    !target.url.startsWith("https:") &&
    raw &&
    raw.length >= 2 &&
    (raw[0] === 0x15 || raw[0] === 0x16) &&
    raw[1] === 0x03
  ) {
    return explainUpstreamFailure(new UpstreamError("TLS_FROM_PLAIN_UPSTREAM", "TLS record"), target);
  }
  return explainUpstreamFailure(e, target, midResponse);
}

/** HTTP/2 headers as ordered lines: pseudo-headers dropped (except :authority, which becomes Host upstream). */
function headerLines(headers: http2.IncomingHttpHeaders): HeaderLine[] {
  const lines: HeaderLine[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(":") || CONNECTION_SPECIFIC.has(name) || name === "host" || value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) lines.push([name, v]);
    else lines.push([name, value]);
  }
  return lines;
}

/** Fields an HTTP/1.1 upstream named in Connection: hop-by-hop, never forwarded (RFC 9110 7.6.1). */
function connectionNamed(connection: string | undefined): Set<string> | undefined {
  if (!connection) return undefined;
  const names = connection
    .split(",")
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t !== "" && t !== "content-length");
  return names.length > 0 ? new Set(names) : undefined;
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 1000) / 1000;
}
