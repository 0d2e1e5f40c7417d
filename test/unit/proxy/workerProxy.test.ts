/**
 * The proxy on its worker thread (workerProxy.ts + proxyWorker.ts), as the extension and the CLI
 * run it: real CA in a temp directory, curl as the client, loopback only. Records and binding
 * changes cross the thread; settings apply live; a CA that cannot be opened is a clear error.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import type net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { WorkerProxy } from "../../../extension/core/proxy/worker/workerProxy";
import { curl as curlVia, run, proxySettings, startRealProxy, waitForRecord, type RealProxy } from "./harness";

describe("the proxy on its worker thread", () => {
  let f: RealProxy;
  let upstream: http.Server;
  let upstreamUrl = "";
  const curl = (name: string, args: string[]): ReturnType<typeof run> => curlVia(f, name, args);

  before(async () => {
    upstream = http.createServer((req, res) => res.end(`from the dev server: ${req.url}`));
    await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as net.AddressInfo).port}`;
    f = await startRealProxy([{ host: "app.test", upstream: upstreamUrl }], {}, {}, "worker");
  });
  after(async () => {
    await f.close();
    upstream.close();
  });

  it("proxies h2 and HTTP/1.1, and the handshake records reach the host thread", async () => {
    const h2 = await curl("app.test", ["--http2", `https://app.test:${f.port}/two`]);
    assert.equal(h2.stdout, "from the dev server: /two");
    const h1 = await curl("app.test", ["--http1.1", `https://app.test:${f.port}/one`]);
    assert.equal(h1.stdout, "from the dev server: /one");
    const rec = await waitForRecord(f.proxy, (r) => r.requests.some((q) => q.path === "/two"));
    assert.equal(rec.tls?.alpn, "h2");
    assert.equal(rec.clientHello?.serverName, "app.test");
    assert.match(rec.tls?.certificate?.issuer ?? "", /Switchyard/);
    // The ring buffer lives in the worker; the host asks for it (what a panel opened later shows).
    const stored = await f.proxy.recentRecords();
    const paths = stored.flatMap((r) => r.requests.map((q) => q.path));
    assert.ok(paths.indexOf("/two") >= 0 && paths.indexOf("/two") < paths.indexOf("/one"), `oldest first: ${paths}`);
    // Worker#getHeapStatistics exists from Node 22 on; on Node 20 the handle says it cannot tell.
    const heap = await f.proxy.heapStatistics?.();
    if (typeof (Worker.prototype as { getHeapStatistics?: unknown }).getHeapStatistics === "function")
      assert.ok(heap && heap.usedBytes > 0 && heap.physicalBytes > 0, "the worker's own heap is readable");
    else assert.equal(heap, undefined, `no worker heap statistics on Node ${process.version}`);
  });

  it("applies new routes live and reports the new bindings", async () => {
    const bindings = await f.proxy.update(
      proxySettings([
        { host: "app.test", upstream: upstreamUrl },
        { host: "other.test", upstream: upstreamUrl, pathPrefix: "/api" },
      ]),
    );
    assert.ok(bindings.some((b) => b.state === "listening" && b.port === f.port));
    const r = await curl("other.test", [`https://other.test:${f.port}/api/x`]);
    assert.equal(r.stdout, "from the dev server: /api/x");
    const none = await curl("other.test", [
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      `https://other.test:${f.port}/web`,
    ]);
    assert.equal(none.stdout, "404", "no route for other.test outside /api");
  });

  it("rejects start with the reason when the CA directory cannot be opened", async () => {
    const empty = mkdtempSync(path.join(tmpdir(), "switchyard-noca-"));
    const proxy = new WorkerProxy({ settings: proxySettings([]), ca: { dir: empty }, ephemeralPorts: true });
    try {
      await assert.rejects(proxy.start(), (e: Error) => e.message.includes(empty));
    } finally {
      await proxy.stop(); // resolves: nothing was started
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it("every command sent around a stop settles, and an update sent before the stop is applied", async () => {
    const g = await startRealProxy([], {}, {}, "worker");
    const again = g.proxy.update(proxySettings([{ host: "late.test", upstream: upstreamUrl }]));
    const stopping = g.proxy.stop();
    const late = g.proxy.update(proxySettings([]));
    const settled = await Promise.allSettled([again, stopping, late]);
    assert.equal(settled[0]!.status, "fulfilled", "the update sent before the stop completed");
    const updated = (settled[0] as PromiseFulfilledResult<{ state: string }[]>).value;
    // Had the stop overtaken it, the update would have found a stopped proxy and no bindings.
    assert.ok(
      updated.some((b) => b.state === "listening"),
      "the update ran on the running proxy",
    );
    assert.equal(settled[1]!.status, "fulfilled");
    assert.ok(
      settled[2]!.status === "fulfilled" || /stopped/.test(String((settled[2] as PromiseRejectedResult).reason)),
    );
    await g.close();
  });

  it("stops: the port is closed and the worker gone", async () => {
    const g = await startRealProxy([], {}, {}, "worker");
    await g.close();
    const r = await run("curl", ["-sS", "-k", "--max-time", "3", `https://127.0.0.1:${g.port}/`]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Connection refused|Failed to connect/);
    await assert.rejects(g.proxy.start(), /stopped/);
  });
});
