/**
 * Words for h2/: a failed h2 session, a stream reset before its response was complete, response
 * headers HTTP/2 cannot carry, and clients that stall or go idle.
 */
import http2 from "node:http2";
import { detail, errorCode, type Explained } from "./explained";

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

/** An h2 client connection with no request for `ms`: closed with GOAWAY, as an idle HTTP/1.1 one is closed. */
export function explainClientIdle(ms: number): Explained {
  return {
    code: "CLIENT_IDLE",
    explanation: `the client sent no request for ${ms} ms, so Switchyard closed the connection (GOAWAY); a browser opens a new one when it needs it`,
  };
}
