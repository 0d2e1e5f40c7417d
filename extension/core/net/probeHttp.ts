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

/** Sends `GET path` over an open HTTP/1.1 byte stream and reads the response head. Destroys the stream after. */
export function requestHttp1(stream: Duplex, hostHeader: string, path: string, timeoutMs: number): Promise<HttpAnswer> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    const finish = (answer: HttpAnswer): void => {
      clearTimeout(timer);
      stream.removeAllListeners("data");
      stream.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => finish(buf.length > 0 ? classify(buf) : { kind: "silent" }), timeoutMs);
    stream.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf[0] !== 0x48 || buf.length > 16_384) return finish(classify(buf));
      const headEnd = buf.indexOf("\r\n\r\n");
      // A 403 is read a little further: its body tells a dev server's host check from other refusals.
      if (headEnd >= 0 && (!/^HTTP\/\S+ 403 /.test(buf.toString("latin1", 0, 16)) || buf.length > headEnd + 4 + 200))
        finish(classify(buf));
    });
    stream.once("end", () => finish(buf.length > 0 ? classify(buf) : { kind: "closed" }));
    stream.once("close", () => finish(buf.length > 0 ? classify(buf) : { kind: "closed" }));
    stream.on("error", (e: NodeJS.ErrnoException) =>
      finish(
        buf.length > 0
          ? classify(buf)
          : { kind: e.code === "ECONNRESET" ? "closed" : "error", error: e.code ?? e.message },
      ),
    );
    stream.write(
      `GET ${path} HTTP/1.1\r\nHost: ${hostHeader}\r\nUser-Agent: switchyard-probe\r\nAccept: */*\r\nConnection: close\r\n\r\n`,
    );
  });
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
    const timer = setTimeout(() => finish({ kind: "silent" }), timeoutMs);
    session.on("error", (e: NodeJS.ErrnoException) => finish({ kind: "error", error: e.code ?? e.message }));
    const req = session.request({ ":path": path, ":method": "GET", "user-agent": "switchyard-probe" });
    req.on("error", (e: NodeJS.ErrnoException) => finish({ kind: "error", error: e.code ?? e.message }));
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
