/**
 * Failures in plain words. Every failed connection or request gets an explanation a user can act
 * on, because "ECONNRESET" or "alert 48" alone does not say what to do.
 */
import http2 from "node:http2";
import type { HostCheckRefusal } from "../../net/hostCheck";

/** A failure ready for a record and an error page. */
export interface Explained {
  /** The socket error code, TLS alert or our own code (TLS_FROM_PLAIN_UPSTREAM, …). */
  code: string;
  explanation: string;
}

/**
 * A dev server answered 403 from its host check (Vite's "Blocked request", webpack-dev-server's
 * "Invalid Host header"): the proxy worked, the dev server refused the name it was asked for.
 */
export function explainHostCheckRefusal(refusal: HostCheckRefusal, host: string | undefined): Explained {
  const server = refusal.framework === "vite" ? "Vite" : "webpack-dev-server";
  const name = refusal.host ?? host ?? "this name";
  return {
    code: "HOST_CHECK_REFUSED",
    explanation: `${server} refused the name "${name}" with 403 (its host check allows only names it knows); to fix: ${refusal.fix}.`,
  };
}

/** The TRUST hint shared by every "client rejected our certificate" case. */
const TRUST_HINT = 'run "Switchyard: Trust Local CA" (or `switchyard ca trust`) and restart the client';

/** Error codes that carry a `code` property (Node system and OpenSSL errors). */
export function errorCode(error: unknown): string {
  if (typeof error === "object" && error !== null && "code" in error && typeof error.code === "string")
    return error.code;
  return error instanceof Error ? error.name : "UNKNOWN";
}

/**
 * Explains a server-side TLS handshake failure. `certificateSent` says whether the client got as
 * far as receiving our certificate: a client that hangs up right then almost always rejected it.
 */
export function explainHandshakeFailure(error: unknown, certificateSent: boolean): Explained {
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : "";
  if (
    /ALERT_UNKNOWN_CA|ALERT_BAD_CERTIFICATE|ALERT_CERTIFICATE_UNKNOWN|alert number (42|46|48)\b/i.test(code + message)
  ) {
    return {
      code,
      explanation: `the client rejected the certificate: it does not trust the Switchyard root; ${TRUST_HINT}`,
    };
  }
  if (/NO_SHARED_CIPHER|UNSUPPORTED_PROTOCOL|VERSION_TOO_LOW|PROTOCOL_VERSION|alert number 70/i.test(code + message)) {
    return {
      code,
      explanation:
        "the client and Switchyard have no TLS version or cipher in common (the client is very old or restricted)",
    };
  }
  if (/NO_APPLICATION_PROTOCOL|alert number 120/i.test(code + message)) {
    return {
      code,
      explanation: "the client offered no application protocol Switchyard speaks (it offers h2 and http/1.1)",
    };
  }
  if (/HTTP_REQUEST|HTTPS_PROXY_REQUEST/i.test(code + message)) {
    return { code, explanation: "the client sent plain HTTP in the middle of a TLS handshake" };
  }
  if (code === "ECONNRESET" || code === "EPIPE" || code === "CLOSED") {
    return certificateSent
      ? {
          code,
          explanation: `the client closed the connection right after receiving the certificate: it most likely does not trust the root; ${TRUST_HINT}`,
        }
      : {
          code,
          explanation:
            "the client closed the connection before the handshake got going (a port scanner, or a client that gave up)",
        };
  }
  if (code === "ERR_SSL_TLSV1_ALERT_DECRYPT_ERROR" || /alert number 51/.test(message)) {
    return {
      code,
      explanation: "the client could not verify the handshake signature (a broken or intercepting client)",
    };
  }
  return { code, explanation: `the TLS handshake failed: ${message || code}` };
}

/** Where the proxy was trying to reach, for the explanation. */
export interface UpstreamTarget {
  /** The route's upstream URL as configured. */
  url: string;
  /** The socket addresses dialled, e.g. ["[::1]:3000", "127.0.0.1:3000"]. */
  dialled: string[];
  /** The one address the request went to, once a connection was made (`[::1]:3000` for localhost). */
  connected?: string;
}

/** The upstream's URL, with the address it reached when the URL names a host (`http://localhost:3000 at [::1]:3000`). */
function reached(target: UpstreamTarget): string {
  return target.connected && !target.url.includes(target.connected)
    ? `${target.url} at ${target.connected}`
    : target.url;
}

/** A user, as a refusal names it: `nobody (uid 65534)`. */
export interface SocketOwner {
  uid: number;
  user?: string;
}

/** A loopback listener of the route's port that belongs to another user. */
export interface ForeignListener extends SocketOwner {
  /** The socket address it listens on, e.g. `[::1]:3000`. */
  address: string;
}

function ownerName(o: SocketOwner): string {
  return o.user !== undefined ? `${o.user} (uid ${o.uid})` : `uid ${o.uid}`;
}

/**
 * The route's loopback port is held by another user's program (issue 22: it would receive the
 * developer's requests, cookies and credentials included), so the request was not sent.
 */
export function explainOtherUsersListener(url: string, foreign: ForeignListener[], self: SocketOwner): Explained {
  const held = foreign.map((f) => `${f.address} is held by user ${ownerName(f)}`).join(", and ");
  return {
    code: "UPSTREAM_OTHER_USER",
    explanation: `${held}, not by you (${ownerName(self)}): another user's program listens where ${url} points, so Switchyard did not send it the request. Start your dev server (or stop that program), and point the route at the exact address your dev server listens on (for example http://127.0.0.1:PORT)`,
  };
}

/** Explains a failure to get a response from an upstream. */
export function explainUpstreamFailure(error: unknown, target: UpstreamTarget, midResponse = false): Explained {
  const code = errorCode(error);
  const where = target.dialled.length > 0 ? target.dialled.join(" or ") : target.url;
  const scheme = target.url.startsWith("https:") ? "https" : "http";
  const message = error instanceof Error ? error.message : "";
  if (midResponse) {
    return {
      code,
      explanation: `${reached(target)} closed the connection in the middle of its response (${code}): the dev server crashed or restarted`,
    };
  }
  switch (code) {
    case "ECONNREFUSED":
      return { code, explanation: `nothing is listening on ${where}: is the dev server running?` };
    case "UPSTREAM_OTHER_USER": {
      const { foreign, self } = error as { foreign?: ForeignListener[]; self?: SocketOwner };
      if (foreign && self) return explainOtherUsersListener(target.url, foreign, self);
      break;
    }
    case "ETIMEDOUT":
    case "UPSTREAM_TIMEOUT":
      return {
        code,
        explanation: `${reached(target)} did not answer in time (${message || "timeout"}): the dev server is stuck or still compiling`,
      };
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return {
        code,
        explanation: `the upstream host of ${target.url} does not resolve: check the route's URL and the hosts file`,
      };
    case "ECONNRESET":
    case "EPIPE":
    case "UPSTREAM_CLOSED":
      return {
        code,
        explanation: `${reached(target)} closed the connection without answering: the dev server crashed, or it speaks another protocol`,
      };
    case "TLS_FROM_PLAIN_UPSTREAM":
      return {
        code,
        explanation: `${where} answered with TLS bytes to a plain HTTP request: the route's upstream should say https:// instead of http://`,
      };
    case "EHOSTUNREACH":
    case "ENETUNREACH":
    case "EADDRNOTAVAIL":
      return { code, explanation: `${where} is unreachable from this machine (${code})` };
  }
  if (
    scheme === "https" &&
    /WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|wrong version number|packet length too long|EPROTO/i.test(
      code + message,
    )
  ) {
    return {
      code,
      explanation: `${where} answered plain HTTP to a TLS handshake: the route's upstream should say http:// instead of https://`,
    };
  }
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|HOSTNAME_MISMATCH|ERR_TLS_CERT_ALTNAME_INVALID/i.test(code)) {
    return {
      code,
      explanation: `${target.url} presented a certificate Switchyard does not trust (${code}): set "insecureUpstream": true on the route for a self-signed dev server`,
    };
  }
  return { code, explanation: `the request to ${target.url} failed: ${message || code}` };
}

/** The first bytes are neither a ClientHello nor an HTTP request. */
export function explainUnknownProtocol(): Explained {
  return {
    code: "UNKNOWN_PROTOCOL",
    explanation: "unknown protocol: the first bytes are neither a TLS ClientHello nor an HTTP request",
  };
}

/** The ClientHello parser's error (its code in upper case, e.g. CLIENT_HELLO_BAD_LENGTH). */
export function explainUnusableClientHello(parserCode: string, message: string): Explained {
  return {
    code: `CLIENT_HELLO_${parserCode.toUpperCase().replace(/-/g, "_")}`,
    explanation: `not a usable TLS ClientHello: ${message}`,
  };
}

/** The client said too little within the sniff timeout. */
export function explainSniffTimeout(receivedBytes: number, tls: boolean, timeoutMs: number): Explained {
  const what =
    receivedBytes === 0
      ? "sent nothing"
      : tls
        ? `sent only ${receivedBytes} bytes of its ClientHello`
        : `sent only ${receivedBytes} bytes`;
  return {
    code: "SNIFF_TIMEOUT",
    explanation: `the client connected and ${what} within ${timeoutMs} ms (switchyard.proxy.sniffTimeoutMs); closed`,
  };
}

/** The client's socket failed before the proxy knew what it speaks. */
export function explainEarlyClientError(error: NodeJS.ErrnoException): Explained {
  return {
    code: error.code ?? "SOCKET_ERROR",
    explanation: `the client's connection failed before it said anything useful (${error.code ?? error.message})`,
  };
}

/** The client closed before a whole request or ClientHello. */
export function explainEarlyClientClose(receivedBytes: number): Explained {
  return {
    code: "CLIENT_CLOSED",
    explanation:
      receivedBytes === 0
        ? "the client connected and closed without sending anything (a port check?)"
        : `the client closed after ${receivedBytes} bytes, before a whole request or ClientHello`,
  };
}

/** A bug of ours between the ClientHello and the handshake. */
export function explainInternalHandshakeError(error: unknown): Explained {
  return { code: "INTERNAL", explanation: `Switchyard failed to continue the handshake: ${String(error)}` };
}

/** The CA could not issue a leaf for the name the client asked for. */
export function explainNoCertificate(name: string, error: unknown): Explained {
  return {
    code: "NO_CERTIFICATE",
    explanation: `no certificate could be issued for ${name}: ${(error as Error).message}`,
  };
}

/**
 * The record's certificate note for an SNI name no route covers. Leaves are issued only for names
 * a route serves (a *. wildcard route counts), so a client inventing names cannot make the proxy
 * mint certificates and fill memory and the leaves folder (issue 22 item 3).
 */
export function unroutedNameNote(name: string, presented: string): string {
  return (
    `no route serves ${name}, and Switchyard issues certificates only for names a route covers (a *. wildcard route counts); ` +
    `presented the certificate for ${presented} instead. To serve ${name}: add a route for it (the switchyard.proxy.routes ` +
    `setting, Switchyard: Add Route, or switchyard run ${name} -- COMMAND), then connect again`
  );
}

/** The record's certificate note for an SNI that is not a host name (`sent` is already printable). */
export function refusedServerNameNote(sent: string, presented: string): string {
  return (
    `the client's SNI ${sent} is not a host name (RFC 6066: letters, digits and inner hyphens in dot-separated labels), ` +
    `so it gets no certificate of its own; presented the certificate for ${presented} instead`
  );
}

/** The record's certificate note for an SNI name the CA may not issue for (`refusal` says why). */
export function refusedNameNote(name: string, refusal: string, presented: string): string {
  return `no certificate for ${name}: ${refusal}; presented one for ${presented} instead`;
}

/** A passthrough route whose upstream is this proxy. */
export function explainPassthroughLoop(host: string, upstream: string): Explained {
  return { code: "LOOP", explanation: `the passthrough route for ${host} points at this proxy itself (${upstream})` };
}

/** The upstream's response head did not end within the limit. */
export function explainUpstreamHeadTooLarge(url: string, maxBytes: number): Explained {
  return { code: "UPSTREAM_HEAD_TOO_LARGE", explanation: `${url} sent a response head over ${maxBytes / 1024} KB` };
}

/** The upstream's bytes do not parse as an HTTP/1.x response head. */
export function explainUpstreamNotHttp(url: string, error: unknown): Explained {
  return {
    code: "UPSTREAM_BAD_RESPONSE",
    explanation: `${url} answered something that is not HTTP/1.x: ${(error as Error).message}`,
  };
}

/** The response head's framing fields contradict each other (RFC 9112 6.3). */
export function explainUnusableFraming(url: string, error: unknown): Explained {
  return {
    code: "UPSTREAM_BAD_FRAMING",
    explanation: `${url} sent a response with unusable framing: ${(error as Error).message}`,
  };
}

/** The chunked body broke off its framing in the middle of the response. */
export function explainBrokenChunking(url: string, error: unknown): Explained {
  return { code: "UPSTREAM_BAD_FRAMING", explanation: `${url} broke its chunked framing: ${(error as Error).message}` };
}

/** A status line whose code is not an HTTP status (RFC 9110 15: 100-599): the response is invalid. */
export function explainInvalidStatus(url: string, status: string): Explained {
  return {
    code: "UPSTREAM_BAD_STATUS",
    explanation: `${url} answered with status ${status}, which is not an HTTP status (100-599), so its response cannot be relayed; fix the dev server's status code`,
  };
}

/** A 101 Switching Protocols to a request that did not ask to switch (RFC 9110 15.2.2). */
export function explainUnaskedSwitch(url: string): Explained {
  return {
    code: "UPSTREAM_UNASKED_SWITCH",
    explanation: `${url} answered 101 Switching Protocols to a request that did not ask to upgrade; a dev server may only switch protocols when the request carries Upgrade (RFC 9110 15.2.2)`,
  };
}

/** More 1xx responses to one request than the proxy relays (`max`). */
export function explainTooManyInterim(url: string, max: number): Explained {
  return {
    code: "UPSTREAM_TOO_MANY_INTERIM",
    explanation: `${url} sent more than ${max} interim (1xx) responses to one request without a final one; Switchyard stopped waiting and closed that connection`,
  };
}

/**
 * An RFC 8441 WebSocket (extended CONNECT over h2) the dev server answered with a 2xx other than
 * 101: on h2 a 2xx to CONNECT means "tunnel open", so relaying it would pass the page off as a
 * WebSocket.
 */
export function explainWebSocketNotAccepted(url: string, status: number): Explained {
  return {
    code: "UPSTREAM_NO_WEBSOCKET",
    explanation: `${url} answered the WebSocket upgrade with ${status} instead of 101 Switching Protocols: the dev server did not accept the WebSocket (is a WebSocket server listening on this path?)`,
  };
}

/** Response header fields Node's http2 refuses to send. */
export function explainHeadersNotForH2(url: string, error: unknown): Explained {
  return {
    code: "UPSTREAM_BAD_RESPONSE",
    explanation: `${url} sent response headers HTTP/2 cannot carry: ${(error as Error).message}`,
  };
}

/** An h2 client that read none of a response for `ms` (its flow-control window stayed shut): the stream is cancelled. */
export function explainClientStall(ms: number): Explained {
  return {
    code: "CLIENT_STALLED",
    explanation: `the client read none of the response for ${ms} ms; the stream was cancelled`,
  };
}

/** A request the HTTP/1.1 front end answers with an error page and a close. */
export interface Refusal {
  status: number;
  /** The page's title. */
  title: string;
  explained: Explained;
}

function refusal(status: number, title: string, explanation: string): Refusal {
  return { status, title, explained: { code: `HTTP_${status}`, explanation } };
}

/** The client started a request head and did not finish it in time. */
export function refuseSlowHead(timeoutMs: number): Refusal {
  return refusal(408, "Request timeout", `the request head did not end within ${timeoutMs} ms`);
}

/** The request head did not end within the limit. */
export function refuseHeadTooLarge(maxBytes: number): Refusal {
  return refusal(431, "Request header too large", `the request head is over ${maxBytes / 1024} KB`);
}

/** The request head does not parse (status 400, or what the parser chose, e.g. 501). */
export function refuseUnreadableHead(problem: string, status = 400): Refusal {
  return refusal(status, "Bad request", `Switchyard could not read this request: ${problem}`);
}

/** The request body broke its framing. */
export function refuseBadBody(problem: string): Refusal {
  return refusal(400, "Bad request body", problem);
}

/** What went wrong, for an explanation: the error's message, else its code. */
function detail(error: unknown): string {
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  return message && message !== code ? `${code}: ${message}` : code;
}

/**
 * An exception nothing caught on the proxy's thread. The proxy goes on (one connection's bug must
 * not take every binding down), but what that connection was doing is lost.
 */
export function explainInternalError(error: unknown): Explained {
  const where = error instanceof Error && error.stack ? ` (${error.stack.split("\n")[1]?.trim() ?? ""})` : "";
  return {
    code: "INTERNAL_ERROR",
    explanation: `the proxy hit an internal error and kept running: ${detail(error)}${where}; a connection in flight may have been cut. If it happens again, restart the proxy (Switchyard: Restart Proxy, or stop and start switchyard serve) and report it with this log`,
  };
}

/** A listening socket that failed after it was bound (accept failed, the address went away). */
export function explainListenerFailure(error: unknown, where: string): Explained {
  const code = errorCode(error);
  const fix =
    code === "EMFILE" || code === "ENFILE"
      ? "the process ran out of file descriptors (raise `ulimit -n`, or close connections), then restart the proxy"
      : "restart the proxy (or change a proxy setting) to listen there again";
  return {
    code,
    explanation: `${where} stopped accepting connections (${detail(error)}): ${fix}`,
  };
}

/** An h2 session that failed (the client broke the protocol, or its socket failed). */
export function explainH2SessionError(error: unknown): Explained {
  const code = errorCode(error);
  const what =
    code === "ERR_HTTP2_ERROR" || code === "ERR_HTTP2_SESSION_ERROR"
      ? "the client broke the HTTP/2 protocol (a frame Switchyard could not accept), so the connection was closed"
      : "the HTTP/2 connection failed";
  return { code, explanation: `${what} (${detail(error)}); if a real browser did this, report it with this record` };
}

/** The h2 error codes' names (RFC 9113 7), by number. */
const H2_ERROR_NAMES = [
  "NO_ERROR",
  "PROTOCOL_ERROR",
  "INTERNAL_ERROR",
  "FLOW_CONTROL_ERROR",
  "SETTINGS_TIMEOUT",
  "STREAM_CLOSED",
  "FRAME_SIZE_ERROR",
  "REFUSED_STREAM",
  "CANCEL",
  "COMPRESSION_ERROR",
  "CONNECT_ERROR",
  "ENHANCE_YOUR_CALM",
  "INADEQUATE_SECURITY",
  "HTTP_1_1_REQUIRED",
];

/**
 * An h2 stream that closed with error code `rstCode` (RFC 9113 7) before its response was
 * complete: reset by the client, or its connection failed. Undefined for NO_ERROR and CANCEL
 * (a page that navigated away is not an error).
 */
export function explainH2StreamReset(rstCode: number | undefined): Explained | undefined {
  if (
    rstCode === undefined ||
    rstCode === http2.constants.NGHTTP2_NO_ERROR ||
    rstCode === http2.constants.NGHTTP2_CANCEL
  )
    return undefined;
  const name = H2_ERROR_NAMES[rstCode] ?? `HTTP/2 error ${rstCode}`;
  return {
    code: name,
    explanation: `the request was reset with ${name} before its response was complete: the client reset it (a broken or strict client), or its HTTP/2 connection failed (see the connection's outcome)`,
  };
}

/** The certificate was presented but its details could not be read back for the record. */
export function explainCertificateUnreadable(name: string, error: unknown): Explained {
  return {
    code: "CERTIFICATE_UNREADABLE",
    explanation: `the certificate for ${name} was presented, but the CA could not report its details (${detail(error)}); the connection went on. Run \`switchyard ca status\` to check the CA`,
  };
}

/** A leaf that could not be saved in the CA's leaves folder. */
export function explainLeafCacheWriteFailure(file: string, error: unknown): Explained {
  return {
    code: "LEAF_CACHE_WRITE_FAILED",
    explanation: `a certificate could not be saved as ${file} (${detail(error)}): the proxy still serves it, but issues it again after each restart. Make that folder writable by this user (or move what is in its way); this is reported once until a save succeeds`,
  };
}

/** An h2 client connection with no request for `ms`: closed with GOAWAY, as an idle HTTP/1.1 one is closed. */
export function explainClientIdle(ms: number): Explained {
  return {
    code: "CLIENT_IDLE",
    explanation: `the client sent no request for ${ms} ms, so Switchyard closed the connection (GOAWAY); a browser opens a new one when it needs it`,
  };
}
