/**
 * What protocol do the first bytes speak?
 *
 * Like Caddy's http_redirect listener wrapper and sslh's probes, this is a pure function over the
 * bytes received so far, so it can be tested on byte arrays before any socket is involved.
 */

/** What the first bytes of a connection look like. */
export type SniffResult = "tls" | "http" | "need-more" | "unknown";

/** HTTP method tokens are short upper-case words (GET, PROPFIND, MKCALENDAR, PRI for the h2c preface). */
const MAX_METHOD_LENGTH = 16;

/**
 * Classifies the first bytes of a connection. Answers "need-more" only while the bytes are a
 * prefix of something that could still turn out to be TLS or HTTP, so a caller that keeps
 * reading always reaches a verdict within {@link MAX_METHOD_LENGTH} + 1 bytes.
 */
export function sniff(bytes: Uint8Array): SniffResult {
  if (bytes.length === 0) return "need-more";
  if (bytes[0] === 0x16) return sniffTlsRecord(bytes);
  return sniffHttpMethod(bytes);
}

/** A TLS handshake record: type 0x16, version 3.x with x <= 4 (SSL 3.0 .. TLS 1.3 record versions). */
function sniffTlsRecord(bytes: Uint8Array): SniffResult {
  if (bytes.length < 2) return "need-more";
  if (bytes[1] !== 0x03) return "unknown";
  if (bytes.length < 3) return "need-more";
  return bytes[2]! <= 0x04 ? "tls" : "unknown";
}

function sniffHttpMethod(bytes: Uint8Array): SniffResult {
  const limit = Math.min(bytes.length, MAX_METHOD_LENGTH + 1);
  for (let i = 0; i < limit; i++) {
    const b = bytes[i]!;
    if (b === 0x20) return i > 0 ? "http" : "unknown";
    const isMethodChar = (b >= 0x41 && b <= 0x5a) || b === 0x2d || b === 0x5f;
    if (!isMethodChar) return "unknown";
  }
  return bytes.length > MAX_METHOD_LENGTH ? "unknown" : "need-more";
}

/** The first bytes as lower-case hex, for "unknown protocol" records. */
export function firstBytesHex(bytes: Uint8Array, max = 32): string {
  return Buffer.from(bytes.subarray(0, max)).toString("hex");
}
