import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import http2 from "node:http2";
import type net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { startProxy, type ProxyFixture } from "./harness";

const STREAMS = 20;
const BIG = Buffer.alloc(8 * 1024 * 1024, 0x61);

describe("h2 streams whose client never reads", () => {
  let f: ProxyFixture;
  let upstream: http.Server;
  const open = new Set<net.Socket>();
  let most = 0;

  before(async () => {
    upstream = http.createServer((req, res) => {
      req.resume();
      res.writeHead(200, { "content-length": String(BIG.length) });
      res.end(BIG);
    });
    upstream.on("connection", (s) => {
      open.add(s);
      most = Math.max(most, open.size);
      s.on("close", () => open.delete(s));
    });
    await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
    const port = (upstream.address() as net.AddressInfo).port;
    f = await startProxy([{ host: "stall.test", upstream: `http://127.0.0.1:${port}` }], {}, { clientStallMs: 500 });
  });
  after(async () => {
    upstream.closeAllConnections();
    upstream.close();
    await f.close();
  });

  it("are cancelled after the stall timeout and release their upstream sockets", async () => {
    const client = http2.connect(`https://127.0.0.1:${f.port}`, { ca: f.leaves.rootPem(), servername: "stall.test" });
    client.on("error", () => {});
    const codes: Promise<number>[] = [];
    for (let i = 0; i < STREAMS; i++) {
      const req = client.request({ ":path": `/big${i}`, ":authority": `stall.test:${f.port}` });
      req.on("error", () => {});
      req.pause(); // never read: the stream's flow-control window stays shut
      codes.push(new Promise((r) => req.on("close", () => r(req.rstCode))));
    }
    const rst = await Promise.race([Promise.all(codes), sleep(8000).then(() => undefined)]);
    assert.ok(rst, "every stalled stream was ended within 8 s");
    assert.ok(
      rst.every((c) => c === http2.constants.NGHTTP2_CANCEL),
      `reset with CANCEL: ${rst.join(",")}`,
    );
    assert.ok(most > 1, `stalled streams held upstream sockets at once (${most})`);
    for (let i = 0; i < 50 && open.size > 0; i++) await sleep(20);
    assert.equal(open.size, 0, "no upstream socket is left pinned");
    client.close();

    const fresh = http2.connect(`https://127.0.0.1:${f.port}`, { ca: f.leaves.rootPem(), servername: "stall.test" });
    const req = fresh.request({ ":path": "/after", ":authority": `stall.test:${f.port}` });
    let got = 0;
    req.on("data", (c: Buffer) => (got += c.length));
    await new Promise((r) => req.on("end", r));
    assert.equal(got, BIG.length, "a client that reads is served in full");
    fresh.close();
  });
});
