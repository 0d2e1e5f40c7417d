/**
 * A stock Vite (no config, so no allowedHosts) behind the real proxy under a .test name answers 403
 * from its host check. The proxy relays that page unchanged, over HTTP/1.1 and h2, and the
 * connection's record says in plain words that Vite refused the name, with the fix. Another 403
 * (an app's own) is relayed as an ordinary answer. Loopback only.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer as createHttpServer, type Server } from "node:http";
import http2 from "node:http2";
import type net from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createServer, type ViteDevServer } from "vite";
import type { ConnectionRecord } from "../../../extension/core/proxy/records/records";
import { httpsGetVia, startRealProxy, waitForRecord, type RealProxy } from "./harness";

const NAME = "stock-app.test";
const OWN = "forbidden-app.test";

describe("a dev server's host check behind the proxy, named in the record", () => {
  let f: RealProxy;
  let vite: ViteDevServer;
  let app: Server;
  let root = "";

  const h1Get = (name: string): Promise<{ status?: number; body: string }> => httpsGetVia(f, name);

  const h2Get = (name: string): Promise<{ status?: number; body: string }> =>
    new Promise((resolve, reject) => {
      const session = http2.connect(`https://127.0.0.1:${f.port}`, { ca: f.rootPem, servername: name });
      session.on("error", reject);
      const stream = session.request({ ":path": "/", ":authority": `${name}:${f.port}` });
      let status: number | undefined;
      let s = "";
      stream.on("response", (h) => (status = Number(h[":status"])));
      stream.on("data", (c: Buffer) => (s += c));
      stream.on("end", () => {
        session.close();
        resolve({ status, body: s });
      });
      stream.on("error", reject);
    });

  const refusalOf = (r: ConnectionRecord): string | undefined =>
    r.outcome.kind === "failed" && r.outcome.error === "HOST_CHECK_REFUSED" ? r.outcome.explanation : undefined;

  before(async () => {
    root = mkdtempSync(path.join(tmpdir(), "switchyard-stock-vite-"));
    writeFileSync(path.join(root, "index.html"), "<!doctype html><title>stock</title><h1>stock</h1>\n");
    vite = await createServer({ root, configFile: false, logLevel: "silent", server: { host: "127.0.0.1", port: 0 } });
    await vite.listen();
    app = createHttpServer((_q, s) => {
      s.statusCode = 403;
      s.end("members only\n");
    });
    await new Promise<void>((r) => app.listen(0, "127.0.0.1", r));
    f = await startRealProxy([
      { host: NAME, upstream: `http://127.0.0.1:${(vite.httpServer!.address() as net.AddressInfo).port}` },
      { host: OWN, upstream: `http://127.0.0.1:${(app.address() as net.AddressInfo).port}` },
    ]);
  });
  after(async () => {
    await vite?.close();
    app?.close();
    await f?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  for (const [protocol, get] of [
    ["HTTP/1.1", h1Get],
    ["h2", h2Get],
  ] as const) {
    it(`${protocol}: relays Vite's 403 unchanged and the record names the host check and its fix`, async () => {
      const seen = waitForRecord(f.proxy, (r) => r.clientHello?.serverName === NAME && refusalOf(r) !== undefined);
      const page = await get(NAME);
      assert.equal(page.status, 403);
      assert.match(page.body, /Blocked request\. This host \("stock-app\.test"\) is not allowed/);
      const explanation = refusalOf(await seen)!;
      assert.match(explanation, /Vite refused the name "stock-app\.test" with 403/);
      assert.match(explanation, /switchyard run stock-app\.test -- <command>/);
      assert.match(explanation, /allowedHosts/);
    });
  }

  it("relays an app's own 403 as an ordinary answer", async () => {
    const seen = waitForRecord(
      f.proxy,
      (r) => r.clientHello?.serverName === OWN && r.requests.some((q) => q.status === 403),
    );
    assert.equal((await h1Get(OWN)).body, "members only\n");
    const rec = await seen;
    assert.equal(rec.outcome.kind, "proxied", JSON.stringify(rec.outcome));
  });
});
