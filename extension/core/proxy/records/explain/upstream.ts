/**
 * Words for upstream/: a dev server that cannot be reached (dial, another user's listener on its
 * port) or whose answer cannot be relayed (head, framing, status, 1xx, upgrades), and a dev
 * server's host check refusing the name it was asked for.
 */
import type { HostCheckRefusal } from "../../../net/hostCheck";
import { errorCode, type Explained } from "./explained";

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
