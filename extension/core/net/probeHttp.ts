/**
 * The wire half of the probe: open a TCP connection with a bounded wait, send one HTTP/1.1 (or
 * HTTP/2) request over a socket, and classify whatever comes back, including the bytes of a
 * protocol that is not HTTP at all (a TLS alert in answer to plain HTTP is the tell-tale of an
 * HTTPS-only port).
 */
import http2 from "node:http2";
import net from "node:net";
import type { Duplex } from "node:stream";
import type { TLSSocket } from "node:tls";
import { hostCheckRefusal, type HostCheckRefusal } from "./hostCheck";

/** What came back for one HTTP request. */
export interface HttpAnswer {
  /** `http`: a parsable HTTP response; `tls`: TLS records (the port wants TLS); `closed`: no bytes before close; `silent`: nothing within the timeout. */
  kind: "http" | "tls" | "unknown" | "closed" | "silent" | "error";
  status?: number;
  /** `HTTP/1.1`, `HTTP/2`. */
  httpVersion?: string;
  /** The Location header of a redirect. */
  location?: string;
  server?: string;
  /** The first bytes in hex, for anything that is not HTTP. */
  firstBytesHex?: string;
  error?: string;
  /** Words for an `error` where a response began but never became one (its head did not end, 1xx without end). */
  problem?: string;
  /** The dev server refused the Host header (Vite's "Blocked request", webpack's "Invalid Host header"). */
  hostCheck?: HostCheckRefusal;
}

/** Connects to address:port, resolving with the socket or rejecting with the socket error (ETIMEDOUT after timeoutMs). */
export function connectTcp(address: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: address, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        Object.assign(new Error(`no answer from ${address}:${port} within ${timeoutMs} ms`), { code: "ETIMEDOUT" }),
      );
    }, timeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.removeAllListeners("error");
      resolve(socket);
    });
    socket.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** A response head longer than this without its blank line is not a head the probe waits for. */
export const MAX_PROBE_HEAD_BYTES = 16_384;

/** Interim (1xx) responses accepted before a final one; a server that never stops sending them never answers. */
export const MAX_INTERIM_RESPONSES = 10;

const HTTP_STATUS_LINE = /^HTTP\/\d(?:\.\d)? (\d{3})/;

/**
 * Sends `GET path` over an open HTTP/1.1 byte stream and reads the response head. Destroys the
 * stream after. Only a final response whose head ends counts as an HTTP answer: a head that does not
 * end (in time, within {@link MAX_PROBE_HEAD_BYTES}, or before the connection closes), an unasked
 * 101, or more than {@link MAX_INTERIM_RESPONSES} interim responses is an `error` that says so.
 */
export function requestHttp1(stream: Duplex, hostHeader: string, path: string, timeoutMs: number): Promise<HttpAnswer> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    /** Where the current response head starts: after the interim responses already read. */
    let headStart = 0;
    let interim = 0;
    let done = false;
    const finish = (answer: HttpAnswer): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      stream.removeAllListeners("data");
      stream.destroy();
      resolve(answer);
    };
    /** The answer when no more bytes will come: `nothing` when none came, `ending` (words) why not. */
    const settle = (nothing: "silent" | "closed", ending: string): HttpAnswer => {
      const head = buf.subarray(headStart);
      if (head.length === 0 && interim === 0) return { kind: nothing };
      if (head.length === 0)
        return failed(
          "NO_FINAL_RESPONSE",
          `only interim responses (${interim} × 1xx) came, and no final response ${ending}`,
        );
      if (!HTTP_STATUS_LINE.test(head.toString("latin1", 0, 16)) || head.includes("\r\n\r\n")) return classify(head);
      return failed("HEAD_NOT_ENDED", `the response head began (${statusLineOf(head)}) but did not end ${ending}`);
    };
    const timer = setTimeout(() => finish(settle("silent", `within ${timeoutMs} ms`)), timeoutMs);
    stream.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const head = buf.subarray(headStart);
        if (head[0] !== 0x48) return head.length > 0 ? finish(classify(head)) : undefined;
        const headEnd = head.indexOf("\r\n\r\n");
        if (headEnd < 0) {
          if (head.length > MAX_PROBE_HEAD_BYTES)
            finish(
              failed(
                "HEAD_TOO_LARGE",
                `the response head (${statusLineOf(head)}) did not end within ${MAX_PROBE_HEAD_BYTES} bytes`,
              ),
            );
          return;
        }
        const status = Number(HTTP_STATUS_LINE.exec(head.toString("latin1", 0, 16))?.[1] ?? 0);
        if (status === 101)
          return finish(
            failed(
              "UNASKED_UPGRADE",
              "the server answered 101 Switching Protocols, but the probe asked for no upgrade",
            ),
          );
        if (status >= 100 && status < 200) {
          interim += 1;
          if (interim >= MAX_INTERIM_RESPONSES)
            return finish(
              failed(
                "TOO_MANY_INTERIM",
                `the server sent ${interim} interim responses (1xx) and no final response; the probe stops at ${MAX_INTERIM_RESPONSES}`,
              ),
            );
          headStart += headEnd + 4;
          continue;
        }
        // A 403 is read a little further: its body tells a dev server's host check from other refusals.
        if (status !== 403 || head.length > headEnd + 4 + 200) finish(classify(head));
        return;
      }
    });
    stream.once("end", () => finish(settle("closed", "before the connection closed")));
    stream.once("close", () => finish(settle("closed", "before the connection closed")));
    stream.on("error", (e: NodeJS.ErrnoException) =>
      finish(
        buf.length > 0
          ? settle("closed", `before the connection failed (${e.code ?? e.message})`)
          : { kind: e.code === "ECONNRESET" ? "closed" : "error", error: e.code ?? e.message },
      ),
    );
    stream.write(
      `GET ${path} HTTP/1.1\r\nHost: ${hostHeader}\r\nUser-Agent: switchyard-probe\r\nAccept: */*\r\nConnection: close\r\n\r\n`,
    );
  });
}

function failed(code: string, words: string): HttpAnswer {
  return { kind: "error", error: code, problem: words };
}

/** The status line of a head, for words: at most 60 characters, control characters shown as `?`. */
function statusLineOf(head: Buffer): string {
  const line = head.toString("latin1", 0, 80).split("\r\n")[0] ?? "";
  return `"${line.slice(0, 60).replace(/[^\x20-\x7e]/g, "?")}"`;
}

/** Sends `GET path` over a TLS socket that negotiated h2. Destroys the socket after. */
export function requestHttp2(
  socket: TLSSocket,
  authority: string,
  path: string,
  timeoutMs: number,
): Promise<HttpAnswer> {
  return new Promise((resolve) => {
    const session = http2.connect(`https://${authority}`, { createConnection: () => socket });
    let done = false;
    const finish = (answer: HttpAnswer): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      session.destroy();
      socket.destroy();
      resolve(answer);
    };
    let interim = 0;
    const timer = setTimeout(
      () =>
        finish(
          interim > 0
            ? failed(
                "NO_FINAL_RESPONSE",
                `only interim responses (${interim} × 1xx) came, and no final response within ${timeoutMs} ms`,
              )
            : { kind: "silent" },
        ),
      timeoutMs,
    );
    session.on("error", (e: NodeJS.ErrnoException) => finish({ kind: "error", error: e.code ?? e.message }));
    const req = session.request({ ":path": path, ":method": "GET", "user-agent": "switchyard-probe" });
    req.on("error", (e: NodeJS.ErrnoException) => finish({ kind: "error", error: e.code ?? e.message }));
    // 1xx header blocks arrive as 'headers' before the final 'response': as on HTTP/1.1, at most the cap.
    req.on("headers", () => {
      interim += 1;
      if (interim >= MAX_INTERIM_RESPONSES)
        finish(
          failed(
            "TOO_MANY_INTERIM",
            `the server sent ${interim} interim responses (1xx) and no final response; the probe stops at ${MAX_INTERIM_RESPONSES}`,
          ),
        );
    });
    req.on("response", (headers) => {
      const answer: HttpAnswer = { kind: "http", httpVersion: "HTTP/2", status: Number(headers[":status"]) };
      if (typeof headers.location === "string") answer.location = headers.location;
      if (typeof headers.server === "string") answer.server = headers.server;
      if (answer.status !== 403) return finish(answer);
      let body = "";
      req.setEncoding("utf8");
      const done = (): void => {
        const refusal = hostCheckRefusal(answer.status, body);
        finish(refusal ? { ...answer, hostCheck: refusal } : answer);
      };
      req.on("data", (c: string) => {
        body += c;
        if (body.length > 1024) done();
      });
      req.on("end", done);
    });
    req.end();
  });
}

/** Classifies the first bytes a server sent back; pure. */
export function classify(bytes: Buffer): HttpAnswer {
  const head = bytes.subarray(0, 32).toString("hex");
  // TLS record: content type 0x15 (alert) or 0x16 (handshake), then version 0x03 0x0X.
  if ((bytes[0] === 0x15 || bytes[0] === 0x16) && bytes[1] === 0x03) return { kind: "tls", firstBytesHex: head };
  const text = bytes.toString("latin1");
  const status = /^(HTTP\/\d(?:\.\d)?) (\d{3})/.exec(text);
  if (!status) return { kind: "unknown", firstBytesHex: head };
  const answer: HttpAnswer = { kind: "http", httpVersion: status[1]!, status: Number(status[2]) };
  const headEnd = text.indexOf("\r\n\r\n");
  for (const line of text
    .slice(0, headEnd < 0 ? undefined : headEnd)
    .split("\r\n")
    .slice(1)) {
    const colon = line.indexOf(":");
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === "location") answer.location = value;
    else if (name === "server") answer.server = value;
  }
  if (headEnd >= 0) {
    const refusal = hostCheckRefusal(answer.status, text.slice(headEnd + 4));
    if (refusal) answer.hostCheck = refusal;
  }
  // nginx answers plain HTTP on a TLS port with an HTTP 400 that says so.
  if (answer.status === 400 && /plain HTTP request was sent to HTTPS port/i.test(text)) answer.kind = "tls";
  return answer;
}
