/**
 * Issue 22 items 6 and 7: a dev server that answers with bytes no well-behaved server sends (a
 * status outside 100-599, an unasked 101, Transfer-Encoding with Content-Length, a 204 with a
 * length, an endless run of 1xx, a 200 to a WebSocket over h2). A raw upstream writes exactly those
 * bytes; curl (HTTP/1.1 and h2) and Node's http2 client show what each protocol's client gets, and
 * it is the same answer on both (RFC 9110, RFC 9112, RFC 8441). Loopback only.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import http2 from "node:http2";
import net from "node:net";
import { MAX_INTERIM_RESPONSES } from "../../../extension/core/proxy/upstream/upstreamResponse";
import { curl, needTools, startProxy, type ProxyFixture } from "./harness";

const HINT = "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n";

/** What the raw upstream writes for each path (after reading the request head). */
const ANSWERS: Record<string, string> = {
  "/status-000": "HTTP/1.1 000 Zero\r\nContent-Length: 5\r\n\r\nhello",
  "/status-099": "HTTP/1.1 099 Odd\r\nContent-Length: 5\r\n\r\nhello",
  "/status-600": "HTTP/1.1 600 Weird\r\nContent-Length: 5\r\n\r\nhello",
  "/unasked-101": "HTTP/1.1 101 Switching Protocols\r\nUpgrade: foo\r\nConnection: upgrade\r\n\r\ntunnel bytes",
  "/te-and-cl": "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
  "/204-with-length": "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n",
  "/304-with-length": "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n",
  "/head-with-length": "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
  "/many-1xx": HINT.repeat(MAX_INTERIM_RESPONSES + 2) + "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlate",
  "/ten-1xx": HINT.repeat(MAX_INTERIM_RESPONSES) + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
  "/not-a-websocket": "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 12\r\n\r\n<h1>app</h1>",
  "/websocket-elsewhere": "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nno socket",
};

/** A dev server that writes ANSWERS byte for byte; remembers which socket answered which path. */
async function rawUpstream(): Promise<{ server: net.Server; url: string; sockets: Map<string, net.Socket> }> {
  const sockets = new Map<string, net.Socket>();
  const server = net.createServer((s) => {
    let buf = "";
    s.on("error", () => {});
    s.on("data", (d: Buffer) => {
      buf += d.toString("latin1");
      for (let end = buf.indexOf("\r\n\r\n"); end >= 0; end = buf.indexOf("\r\n\r\n")) {
        const path = buf.slice(0, buf.indexOf("\r\n")).split(" ")[1] ?? "";
        buf = buf.slice(end + 4);
        sockets.set(path, s);
        s.write(ANSWERS[path] ?? "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", "latin1");
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, sockets };
}

interface H2Answer {
  status: number;
  headers: http2.IncomingHttpHeaders;
  interim: http2.IncomingHttpHeaders[];
  body: string;
  /** The stream's error (a reset), if it ended with one. */
  error?: string;
}

describe("a dev server that breaks HTTP's response rules", () => {
  let f: ProxyFixture;
  let up: Awaited<ReturnType<typeof rawUpstream>>;
  const sessions: http2.ClientHttp2Session[] = [];

  before(async () => {
    up = await rawUpstream();
    f = await startProxy([{ host: "app.test", upstream: up.url }], {}, { upstreamResponseMs: 5000 });
  });
  after(async () => {
    for (const s of sessions) s.destroy();
    await f.close();
    for (const s of up.sockets.values()) s.destroy();
    up.server.close();
  });

  const session = async (): Promise<http2.ClientHttp2Session> => {
    const s = http2.connect(`https://127.0.0.1:${f.port}`, { servername: "app.test", ca: f.leaves.rootPem() });
    s.on("error", () => {});
    sessions.push(s);
    if (!s.remoteSettings.enableConnectProtocol) await once(s, "remoteSettings");
    return s;
  };

  /** One request with Node's http2 client; resolves when the stream closes (or after 10 s, cancelled). */
  const h2 = async (headers: http2.OutgoingHttpHeaders): Promise<H2Answer> => {
    const s = await session();
    return new Promise((resolve) => {
      const req = s.request({ ":authority": "app.test", ...headers });
      const answer: H2Answer = { status: 0, headers: {}, interim: [], body: "" };
      req.on("headers", (h) => answer.interim.push(h));
      req.on("response", (h) => ((answer.status = Number(h[":status"])), (answer.headers = h)));
      req.on("data", (c: Buffer) => (answer.body += c.toString("latin1")));
      req.on("error", (e: Error) => (answer.error = e.message));
      req.on("close", () => resolve(answer));
      req.setTimeout(10_000, () => req.close(http2.constants.NGHTTP2_CANCEL));
    });
  };

  /** curl over HTTP/1.1 or h2 with every head shown (-i), bounded by -m. */
  const viaCurl = (protocol: "--http1.1" | "--http2", path: string, extra: string[] = []) =>
    curl(f, "app.test", ["-i", "-m", "10", protocol, ...extra, `https://app.test:${f.port}${path}`]);

  /** Resolves once the proxy closed the upstream socket that answered `path`; fails after 5 s. */
  const upstreamClosed = async (path: string): Promise<void> => {
    const socket = up.sockets.get(path);
    assert.ok(socket, `the upstream answered ${path}`);
    if (socket.closed) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      once(socket, "close"),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the proxy kept the upstream connection of ${path} open`)), 5000);
      }),
    ]).finally(() => clearTimeout(timer));
  };

  it("answers 502 to a status outside 100-599 (000, 099, 600), on HTTP/1.1 and h2 alike", async (t) => {
    if (!needTools(t, "curl")) return;
    for (const code of ["000", "099", "600"]) {
      const path = `/status-${code}`;
      const words = new RegExp(`status ${code}, which is not an HTTP status`);
      const h1 = await viaCurl("--http1.1", path);
      assert.equal(h1.code, 0, h1.stderr);
      assert.match(h1.stdout, /^HTTP\/1\.1 502 /, `${path} over HTTP/1.1: ${h1.stdout.slice(0, 80)}`);
      assert.match(h1.stdout, words);
      assert.doesNotMatch(h1.stdout, /hello/, "the invalid response's body is not relayed");
      const h2curl = await viaCurl("--http2", path);
      assert.equal(h2curl.code, 0, h2curl.stderr);
      assert.match(h2curl.stdout, /^HTTP\/2 502/, `${path} over h2`);
      assert.match(h2curl.stdout, words);
      const node = await h2({ ":path": path });
      assert.equal(node.status, 502, `${path} to Node's http2 client`);
      assert.match(node.body, words);
    }
  });

  it("answers 502 to a 101 the request did not ask for, on both protocols, and closes that upstream connection", async (t) => {
    if (!needTools(t, "curl")) return;
    const h1 = await viaCurl("--http1.1", "/unasked-101");
    assert.equal(h1.code, 0, h1.stderr);
    assert.doesNotMatch(h1.stdout, /^HTTP\/1\.1 101|tunnel bytes/m, "no tunnel is handed to the client");
    assert.match(h1.stdout, /^HTTP\/1\.1 502 /);
    assert.match(h1.stdout, /101 Switching Protocols to a request that did not ask to upgrade/);
    await upstreamClosed("/unasked-101");
    const node = await h2({ ":path": "/unasked-101" });
    assert.equal(node.status, 502, "an answer, not a wait for the response deadline");
    assert.match(node.body, /did not ask to upgrade/);
    await upstreamClosed("/unasked-101");
  });

  it("sends a chunked response that also has a Content-Length on without the length (RFC 9112 6.3)", async (t) => {
    if (!needTools(t, "curl")) return;
    const h1 = await viaCurl("--http1.1", "/te-and-cl");
    assert.equal(h1.code, 0, h1.stderr);
    const [head, body] = h1.stdout.split("\r\n\r\n");
    assert.match(head!, /^Transfer-Encoding: chunked$/im);
    assert.doesNotMatch(head!, /^Content-Length:/im, "Transfer-Encoding overrides Content-Length");
    assert.equal(body, "hello");
    const node = await h2({ ":path": "/te-and-cl" });
    assert.equal(node.error, undefined, "the stream is not reset");
    assert.equal(node.status, 200);
    assert.equal(node.headers["content-length"], undefined);
    assert.equal(node.body, "hello");
  });

  it("drops a 204's Content-Length on both protocols (RFC 9110 8.6) and does not reuse that upstream connection", async (t) => {
    if (!needTools(t, "curl")) return;
    const h1 = await viaCurl("--http1.1", "/204-with-length");
    assert.equal(h1.code, 0, h1.stderr);
    assert.match(h1.stdout, /^HTTP\/1\.1 204 /);
    assert.doesNotMatch(h1.stdout, /Content-Length/i);
    await upstreamClosed("/204-with-length");
    const node = await h2({ ":path": "/204-with-length" });
    assert.equal(node.error, undefined, "the stream is not reset");
    assert.equal(node.status, 204);
    assert.equal(node.headers["content-length"], undefined);
    const h2curl = await viaCurl("--http2", "/204-with-length");
    assert.equal(h2curl.code, 0, h2curl.stderr);
    assert.match(h2curl.stdout, /^HTTP\/2 204/);
  });

  it("keeps the Content-Length of a 304 and of a HEAD response, which RFC 9110 8.6 allows", async (t) => {
    if (!needTools(t, "curl")) return;
    for (const protocol of ["--http1.1", "--http2"] as const) {
      const notModified = await viaCurl(protocol, "/304-with-length");
      assert.equal(notModified.code, 0, notModified.stderr);
      assert.match(notModified.stdout, /^HTTP\/[\d.]+ 304/);
      assert.match(notModified.stdout, /^content-length: 5\r?$/im);
      const head = await viaCurl(protocol, "/head-with-length", ["-I"]);
      assert.equal(head.code, 0, head.stderr);
      assert.match(head.stdout, /^content-length: 5\r?$/im);
    }
    const node = await h2({ ":path": "/head-with-length", ":method": "HEAD" });
    assert.equal(node.error, undefined);
    assert.equal(node.headers["content-length"], "5");
  });

  it(`relays ${MAX_INTERIM_RESPONSES} 1xx responses, then answers 502 and closes the upstream connection`, async (t) => {
    if (!needTools(t, "curl")) return;
    const h1 = await viaCurl("--http1.1", "/many-1xx");
    assert.equal(h1.code, 0, h1.stderr);
    assert.equal(h1.stdout.match(/^HTTP\/1\.1 103 /gm)?.length, MAX_INTERIM_RESPONSES);
    assert.match(h1.stdout, /^HTTP\/1\.1 502 /m);
    assert.doesNotMatch(h1.stdout, /late/);
    assert.match(h1.stdout, new RegExp(`more than ${MAX_INTERIM_RESPONSES} interim \\(1xx\\) responses`));
    await upstreamClosed("/many-1xx");
    const node = await h2({ ":path": "/many-1xx" });
    assert.equal(node.interim.length, MAX_INTERIM_RESPONSES);
    assert.equal(node.status, 502);
    assert.match(node.body, /interim \(1xx\) responses/);
    await upstreamClosed("/many-1xx");
    const within = await h2({ ":path": "/ten-1xx" });
    assert.equal(within.interim.length, MAX_INTERIM_RESPONSES);
    assert.equal(within.status, 200, "the cap itself is still relayed");
    assert.equal(within.body, "ok");
  });

  describe("an RFC 8441 WebSocket (extended CONNECT) to a dev server that does not upgrade", () => {
    const connect = (path: string): Promise<H2Answer> =>
      h2({
        ":method": "CONNECT",
        ":protocol": "websocket",
        ":scheme": "https",
        ":path": path,
        "sec-websocket-version": "13",
      });

    it("answers 502 with the reason to its 200 instead of opening a tunnel with the page as its bytes", async () => {
      const r = await connect("/not-a-websocket");
      assert.equal(r.status, 502, "a 2xx on extended CONNECT would mean the WebSocket is open");
      assert.doesNotMatch(r.body, /<h1>app<\/h1>/);
      assert.match(r.body, /answered the WebSocket upgrade with 200 instead of 101/);
    });

    it("relays any other final answer (a 404) as an ordinary response", async () => {
      const r = await connect("/websocket-elsewhere");
      assert.equal(r.status, 404);
      assert.equal(r.body, "no socket");
    });
  });
});
