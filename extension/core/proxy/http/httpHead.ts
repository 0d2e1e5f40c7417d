/**
 * HTTP/1.x message heads, parsed strictly enough that two proxies can never disagree about where
 * one request ends and the next begins (RFC 9112 6.3): no Content-Length together with
 * Transfer-Encoding, no conflicting lengths, no obs-fold, no bare CR or LF. Pure.
 */

/** How a message body is delimited. */
export type BodyFraming =
  | { kind: "none" }
  | { kind: "length"; length: number }
  | { kind: "chunked" }
  /** Responses only: the body runs until the upstream closes. */
  | { kind: "until-close" };

/** A header as received: name with its original case, value trimmed. */
export type HeaderLine = [name: string, value: string];

/** A parsed request line and headers. */
export interface RequestHead {
  method: string;
  target: string;
  version: "1.0" | "1.1";
  headers: HeaderLine[];
  /** The Host header (or the authority of an absolute-form target); undefined when absent. */
  host?: string;
  framing: BodyFraming;
  keepAlive: boolean;
  /** The client asks to switch protocols (WebSocket): Connection: upgrade plus an Upgrade header. */
  upgrade: boolean;
}

/** A parsed status line and headers. */
export interface ResponseHead {
  version: "1.0" | "1.1";
  status: number;
  /** The reason phrase as sent (may be empty). */
  reason: string;
  /**
   * The fields to send on. Framing fields the message may not carry are left out: Content-Length
   * and Transfer-Encoding of a 1xx or 204 (RFC 9110 8.6, RFC 9112 6.1), and Content-Length beside
   * Transfer-Encoding (RFC 9112 6.3); `contentLengths` and `transferCoding` still say what was sent.
   */
  headers: HeaderLine[];
  /** Each header's name lower-cased, parallel to `headers` (read once, while parsing). */
  names: string[];
  /** The Connection header's tokens, lower-cased. */
  connection: string[];
  /** The Transfer-Encoding header's tokens, lower-cased. */
  transferCoding: string[];
  /** Every Content-Length value as sent (before repeats were merged). */
  contentLengths: string[];
  keepAlive: boolean;
}

/** A head that cannot be forwarded safely; `status` is what to answer the client with. */
export class HttpHeadError extends Error {
  constructor(
    readonly status: 400 | 431 | 501 | 502 | 505,
    message: string,
  ) {
    super(message);
    this.name = "HttpHeadError";
  }
}

/** A status line whose code is not an HTTP status (RFC 9110 15: 100-599): the response is invalid. */
export class InvalidStatusError extends HttpHeadError {
  constructor(readonly received: string) {
    super(502, `status ${received} is not between 100 and 599`);
    this.name = "InvalidStatusError";
  }
}

/** Heads larger than this are refused with 431 (Node's own default limit is 16 KB). */
export const MAX_HEAD_BYTES = 64 * 1024;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Control characters are exactly what this pattern is for (a request target may not carry them).
// eslint-disable-next-line no-control-regex
const CTL = /[\x00-\x08\x0a-\x1f\x7f]/;

/** A CR not followed by LF, an LF not preceded by CR, or a NUL. */
const BARE_CR_LF_NUL = /\r(?!\n)|(?<!\r)\n|\0/;

/** The offset just past the blank line that ends a head, or -1 while it has not arrived. */
export function findHeadEnd(buf: Buffer): number {
  const i = buf.indexOf("\r\n\r\n", 0, "latin1");
  return i < 0 ? -1 : i + 4;
}

/** Parses a request head (the bytes up to and including the blank line). */
export function parseRequestHead(head: Buffer): RequestHead {
  const [requestLine, headers] = splitHead(head, 400);
  const parts = requestLine.split(" ");
  if (parts.length !== 3)
    throw new HttpHeadError(400, `the request line "${clip(requestLine)}" is not METHOD TARGET HTTP/1.1`);
  const [method, target, proto] = parts as [string, string, string];
  if (!TOKEN.test(method)) throw new HttpHeadError(400, `"${clip(method)}" is not an HTTP method`);
  if (target === "" || CTL.test(target))
    throw new HttpHeadError(400, "the request target is empty or has control characters");
  const version = proto === "HTTP/1.1" ? "1.1" : proto === "HTTP/1.0" ? "1.0" : undefined;
  if (!version) throw new HttpHeadError(505, `"${clip(proto)}" is not HTTP/1.0 or HTTP/1.1`);

  const hostValues = values(headers, "host");
  if (hostValues.length > 1) throw new HttpHeadError(400, "the request has more than one Host header");
  let host = hostValues[0];
  if (/^https?:\/\//i.test(target)) {
    try {
      host = new URL(target).host;
    } catch {
      throw new HttpHeadError(400, `the absolute request target "${clip(target)}" is not a URL`);
    }
  }
  if (host === undefined && version === "1.1")
    throw new HttpHeadError(400, "HTTP/1.1 requests must carry a Host header");
  if (host !== undefined && (host === "" || /[\s/@]/.test(host)))
    throw new HttpHeadError(400, `the Host header "${clip(host)}" is not a host name`);

  const connection = tokens(headers, "connection");
  const upgrade = connection.includes("upgrade") && values(headers, "upgrade").length > 0;
  const framing = requestFraming(headers, version);
  const request: RequestHead = {
    method,
    target,
    version,
    headers: singleContentLength(headers),
    framing,
    keepAlive: keepAlive(version, connection),
    upgrade,
  };
  if (host !== undefined) request.host = host;
  return request;
}

/**
 * Parses a response head (the bytes up to and including the blank line) in one pass over its
 * lines: each name is lower-cased once, and the fields that frame the message and manage the
 * connection (Content-Length, Transfer-Encoding, Connection) are picked up on the way.
 */
export function parseResponseHead(head: Buffer): ResponseHead {
  const text = head.toString("latin1");
  const end = text.endsWith("\r\n\r\n") ? text.length - 4 : text.length;
  const headers: HeaderLine[] = [];
  const names: string[] = [];
  const connection: string[] = [];
  const transferCoding: string[] = [];
  const contentLengths: string[] = [];
  // One scan of the whole head for a bare CR or LF or a NUL, instead of one per line.
  const clean = !BARE_CR_LF_NUL.test(text.slice(0, end));
  let at = text.indexOf("\r\n");
  if (at < 0 || at > end) at = end;
  const statusLine = text.slice(0, at);
  if (!clean && /[\r\n]/.test(statusLine)) throw new HttpHeadError(502, "the first line contains a bare CR or LF");
  const m = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(statusLine);
  if (!m) throw new HttpHeadError(502, `the upstream's status line "${clip(statusLine)}" is not HTTP/1.x`);
  const status = Number(m[2]);
  // RFC 9110 15: 100-599. Anything else (000, 099, 600) frames nothing anyone agrees on: a 0xx
  // read as a 1xx would swallow the body and wait for another head.
  if (status < 100 || status > 599) throw new InvalidStatusError(m[2]!);
  // RFC 9110 8.6 and RFC 9112 6.1: a 1xx or 204 carries neither Content-Length nor
  // Transfer-Encoding (it has no body, RFC 9112 6.3); sent on, h2 clients reset the stream.
  const bodiless = status < 200 || status === 204;
  while (at < end) {
    const start = at + 2;
    let next = text.indexOf("\r\n", start);
    if (next < 0 || next > end) next = end;
    const colon = text.indexOf(":", start);
    const c = text.charCodeAt(start);
    const name = colon > start && colon < next ? text.slice(start, colon) : "";
    // Anything unusual (obs-fold, no valid name, a bare CR or LF) gets its error from headerLine.
    if (!clean || c === 0x20 || c === 0x09 || !TOKEN.test(name)) headerLine(text.slice(start, next), 502);
    const value = text.slice(colon + 1, next).trim();
    const lower = name.toLowerCase();
    at = next;
    if (lower === "content-length") {
      contentLengths.push(value);
      if (bodiless) continue;
    } else if (lower === "transfer-encoding") {
      addTokens(transferCoding, value);
      if (bodiless) continue;
    } else if (lower === "connection") addTokens(connection, value);
    headers.push([name, value]);
    names.push(lower);
  }
  const version = m[1] === "1" ? "1.1" : "1.0";
  let kept = headers;
  let keptNames = names;
  if (!bodiless && transferCoding.length > 0 && contentLengths.length > 0) {
    // RFC 9112 6.3 item 3: Transfer-Encoding overrides Content-Length, and an intermediary that
    // forwards such a message MUST first remove the Content-Length. Left in, an h1 client could
    // frame by the length the body does not have, and an h2 client resets the stream.
    kept = headers.filter((_, i) => names[i] !== "content-length");
    keptNames = names.filter((n) => n !== "content-length");
  } else if (contentLengths.length > 1 || contentLengths[0]?.includes(",") === true) {
    kept = singleContentLength(headers);
    if (kept !== headers) keptNames = kept.map(([n]) => n.toLowerCase());
  }
  return {
    version,
    status,
    reason: m[3] ?? "",
    headers: kept,
    names: keptNames,
    connection,
    transferCoding,
    contentLengths,
    keepAlive: keepAlive(version, connection),
  };
}

/** How the body of a response to `requestMethod` is delimited (RFC 9112 6.3). */
export function responseFraming(response: ResponseHead, requestMethod: string): BodyFraming {
  const s = response.status;
  if (requestMethod === "HEAD" || (s >= 100 && s < 200) || s === 204 || s === 304) return { kind: "none" };
  const te = response.transferCoding;
  if (te.length > 0) return te[te.length - 1] === "chunked" ? { kind: "chunked" } : { kind: "until-close" };
  const length = lengthOf(response.contentLengths, 502);
  return length === undefined ? { kind: "until-close" } : { kind: "length", length };
}

function requestFraming(headers: HeaderLine[], version: "1.0" | "1.1"): BodyFraming {
  const te = tokens(headers, "transfer-encoding");
  const hasLength = values(headers, "content-length").length > 0;
  if (te.length > 0) {
    if (hasLength)
      throw new HttpHeadError(
        400,
        "the request has both Transfer-Encoding and Content-Length (a request smuggling pattern)",
      );
    if (version === "1.0") throw new HttpHeadError(400, "HTTP/1.0 requests cannot use Transfer-Encoding");
    if (te[te.length - 1] !== "chunked")
      throw new HttpHeadError(501, `Transfer-Encoding "${te.join(", ")}" does not end in chunked`);
    return { kind: "chunked" };
  }
  const length = contentLength(headers, 400);
  return length === undefined || length === 0 ? { kind: "none" } : { kind: "length", length };
}

function contentLength(headers: HeaderLine[], status: 400 | 502): number | undefined {
  return lengthOf(values(headers, "content-length"), status);
}

function lengthOf(contentLengths: string[], status: 400 | 502): number | undefined {
  if (contentLengths.length === 1 && /^\d{1,15}$/.test(contentLengths[0]!)) return Number(contentLengths[0]);
  const all = contentLengths.flatMap((v) => v.split(",").map((s) => s.trim()));
  if (all.length === 0) return undefined;
  if (!all.every((v) => /^\d{1,15}$/.test(v)) || new Set(all).size !== 1) {
    throw new HttpHeadError(status, `Content-Length "${clip(all.join(", "))}" is not one number`);
  }
  return Number(all[0]);
}

/**
 * Repeated Content-Length values that agree (`5, 5`, or two `Content-Length: 5` lines) are accepted
 * (RFC 9110 §8.6) but sent on as one `Content-Length: 5`, so no parser further along can read them
 * its own way. Disagreeing values never get here: framing refuses them.
 */
function singleContentLength(headers: HeaderLine[]): HeaderLine[] {
  const lines = headers.filter(([n]) => n.length === 14 && n.toLowerCase() === "content-length");
  if (lines.length === 0 || (lines.length === 1 && !lines[0]![1].includes(","))) return headers;
  const all = new Set(lines.flatMap(([, v]) => v.split(",").map((x) => x.trim())));
  if (all.size !== 1) return headers;
  const value = [...all][0]!;
  let kept = false;
  const out: HeaderLine[] = [];
  for (const line of headers) {
    if (!lines.includes(line)) out.push(line);
    else if (!kept) {
      out.push([line[0], value]);
      kept = true;
    }
  }
  return out;
}

function keepAlive(version: "1.0" | "1.1", connection: string[]): boolean {
  if (connection.includes("close")) return false;
  return version === "1.1" || connection.includes("keep-alive");
}

function splitHead(head: Buffer, status: 400 | 502): [string, HeaderLine[]] {
  const text = head.toString("latin1");
  const body = text.endsWith("\r\n\r\n") ? text.slice(0, -4) : text;
  const lines = body.split("\r\n");
  const headers: HeaderLine[] = [];
  for (let i = 1; i < lines.length; i++) headers.push(headerLine(lines[i]!, status));
  const first = lines[0]!;
  if (/[\r\n]/.test(first)) throw new HttpHeadError(status, "the first line contains a bare CR or LF");
  return [first, headers];
}

/** One `name: value` line, checked: no obs-fold, a token for a name, no CR, LF or NUL in the value. */
function headerLine(line: string, status: 400 | 502): HeaderLine {
  if (line.startsWith(" ") || line.startsWith("\t"))
    throw new HttpHeadError(status, "a folded header line (obs-fold) is not accepted");
  const colon = line.indexOf(":");
  const name = colon > 0 ? line.slice(0, colon) : "";
  if (!TOKEN.test(name)) throw new HttpHeadError(status, `the header line "${clip(line)}" has no valid name`);
  const value = line.slice(colon + 1).trim();
  if (/[\r\n\0]/.test(value)) throw new HttpHeadError(status, `header ${name} contains CR, LF or NUL`);
  return [name, value];
}

/** Appends the comma-separated tokens of `value`, lower-cased, to `into`. */
function addTokens(into: string[], value: string): void {
  for (const t of value.split(",")) {
    const token = t.trim().toLowerCase();
    if (token !== "") into.push(token);
  }
}

/** Every value of a header, by case-insensitive name. */
export function values(headers: HeaderLine[], name: string): string[] {
  const out: string[] = [];
  for (const [n, v] of headers) if (n.length === name.length && n.toLowerCase() === name) out.push(v);
  return out;
}

/** Comma-separated tokens of a header, lower-cased (Connection, Transfer-Encoding). */
export function tokens(headers: HeaderLine[], name: string): string[] {
  return values(headers, name)
    .flatMap((v) => v.split(","))
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t !== "");
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
