import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import http from "node:http";
import http2 from "node:http2";
import type net from "node:net";
import { curl, needTools, startProxy, type ProxyFixture } from "./harness";

const LINK = "</style.css>; rel=preload; as=style";

/** A dev server that sends 103 Early Hints before each answer, and echoes request bodies. */
async function earlyHintsUpstream(): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer((req, res) => {
    if (req.url === "/hints" || req.url === "/dies") res.writeEarlyHints({ link: LINK });
    // The dev server crashes after its hints: the final response is the proxy's page.
    if (req.url === "/dies") return void setImmediate(() => req.socket.destroy());
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => res.end(`final ${req.url} ${Buffer.concat(chunks).toString()}`));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}` };
}

describe("1xx responses", () => {
  let f: ProxyFixture;
  let up: { server: http.Server; url: string };
  let h2: http2.ClientHttp2Session | undefined;

  before(async () => {
    up = await earlyHintsUpstream();
    f = await startProxy([{ host: "app.test", upstream: up.url }]);
  });
  after(async () => {
    h2?.close();
    await f.close();
    up.server.close();
  });

  const session = (): http2.ClientHttp2Session => {
    if (h2 && !h2.closed) return h2;
    h2 = http2.connect(`https://127.0.0.1:${f.port}`, { ca: readFileSync(f.rootFile), servername: "app.test" });
    h2.on("error", () => undefined);
    return h2;
  };

  /** One h2 request; resolves with every 1xx head, the final status and the body. */
  const h2Request = (
    headers: http2.OutgoingHttpHeaders,
    body?: string,
  ): Promise<{ interim: http2.IncomingHttpHeaders[]; status: number; body: string; continued: boolean }> =>
    new Promise((resolve, reject) => {
      const req = session().request({ ":authority": `app.test:${f.port}`, ...headers }, { endStream: !body });
      const interim: http2.IncomingHttpHeaders[] = [];
      let continued = false;
      req.on("headers", (h) => interim.push(h));
      if (body !== undefined) {
        if (headers.expect) req.on("continue", () => ((continued = true), req.end(body)));
        else req.end(body);
      }
      let status = 0;
      let text = "";
      req.on("response", (h) => (status = Number(h[":status"])));
      req.on("data", (c: Buffer) => (text += c));
      req.on("end", () => resolve({ interim, status, body: text, continued }));
      req.on("error", reject);
      req.setTimeout(10_000, () => req.close(http2.constants.NGHTTP2_CANCEL));
    });

  it("relays 103 Early Hints to an h2 client before the final response (Node's http2 client)", async () => {
    const r = await h2Request({ ":path": "/hints" });
    assert.equal(r.status, 200);
    assert.equal(r.body, "final /hints ");
    assert.equal(r.interim.length, 1, JSON.stringify(r.interim));
    assert.equal(r.interim[0]![":status"], 103);
    assert.equal(r.interim[0]!.link, LINK);
  });

  it("relays 100 Continue to an h2 client that waits for it before its body", async () => {
    const r = await h2Request({ ":path": "/upload", ":method": "POST", expect: "100-continue" }, "payload");
    assert.ok(r.continued, "the client got its 100 Continue");
    assert.equal(r.status, 200);
    assert.equal(r.body, "final /upload payload");
  });

  it("shows curl --http2 the 103 before the 200", async (t) => {
    if (!needTools(t, "curl")) return;
    const r = await curl(f, "app.test", ["-v", "--http2", `https://app.test:${f.port}/hints`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "final /hints ");
    assert.match(
      r.stderr,
      /< HTTP\/2 103 ?\r?\n< link: <\/style\.css>; rel=preload; as=style\r?\n[\s\S]*< HTTP\/2 200 ?\r?\n/,
    );
  });

  it("shows curl --http1.1 the 103 before the 200", async (t) => {
    if (!needTools(t, "curl")) return;
    const r = await curl(f, "app.test", ["-v", "--http1.1", `https://app.test:${f.port}/hints`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "final /hints ");
    assert.match(r.stderr, /< HTTP\/1\.1 103 Early Hints\r?\n< [Ll]ink: <\/style\.css>; rel=preload; as=style\r?\n/);
    assert.match(r.stderr, /< HTTP\/1\.1 200/);
  });

  it("relays 100 Continue to an HTTP/1.1 client that sent Expect", async (t) => {
    if (!needTools(t, "curl")) return;
    const args = ["-v", "--http1.1", "-H", "Expect: 100-continue", "--data-binary", "payload"];
    const r = await curl(f, "app.test", [...args, `https://app.test:${f.port}/upload`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /< HTTP\/1\.1 100 Continue/);
    assert.equal(r.stdout, "final /upload payload");
  });

  it("answers with its 502 page when the upstream dies after a 103, on both protocols", async (t) => {
    const h2r = await h2Request({ ":path": "/dies" });
    assert.equal(h2r.interim[0]?.[":status"], 103);
    assert.equal(h2r.status, 502);
    if (!needTools(t, "curl")) return;
    const r = await curl(f, "app.test", ["-v", "--http1.1", `https://app.test:${f.port}/dies`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /< HTTP\/1\.1 103 Early Hints[\s\S]*< HTTP\/1\.1 502/);
    assert.match(r.stdout, /Upstream unavailable/);
  });

  it("sends no 1xx to an HTTP/1.0 client (RFC 9110 15.2)", async (t) => {
    if (!needTools(t, "curl")) return;
    const r = await curl(f, "app.test", ["-v", "--http1.0", "--no-alpn", `https://app.test:${f.port}/hints`]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /< HTTP\/1\.\d 103/);
    assert.match(r.stderr, /< HTTP\/1\.1 200/);
    assert.equal(r.stdout, "final /hints ");
  });
});
