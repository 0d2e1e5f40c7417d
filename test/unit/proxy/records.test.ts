import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import https from "node:https";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout } from "node:timers/promises";
import { LocalCa } from "../../../extension/core/ca/index";
import type { DevProxy } from "../../../extension/core/proxy/devProxy";
import { RecordRing, type BindingRecord, type ConnectionRecord } from "../../../extension/core/proxy/records/records";
import { WorkerProxy } from "../../../extension/core/proxy/worker/workerProxy";
import { parseSettings } from "../../../extension/core/settings";
import { echoUpstream, getWithPeer, startRealProxy } from "./harness";

const record = (id: number): ConnectionRecord => ({
  id,
  seq: id,
  time: new Date(0).toISOString(),
  client: { address: "127.0.0.1", port: 1 },
  local: { address: "127.0.0.1", port: 2 },
  protocol: "none",
  outcome: { kind: "failed", stage: "sniff", error: "SNIFF_TIMEOUT", explanation: "sent nothing" },
  requests: [],
  requestCount: 0,
  bytesIn: 0,
  bytesOut: 0,
  durationMs: 1,
  timeline: { closed: 1 },
});

describe("RecordRing", () => {
  it("keeps the newest records up to its capacity, oldest first", () => {
    const log = new RecordRing(3);
    for (let i = 1; i <= 5; i++) log.add(record(i));
    assert.deepEqual(
      log.list().map((r) => r.id),
      [3, 4, 5],
    );
    assert.equal(log.size, 3);
  });

  it("emits each record as it is added", async () => {
    const log = new RecordRing(2);
    const got = once(log, "record");
    log.add(record(7));
    assert.equal(((await got)[0] as ConnectionRecord).id, 7);
  });

  it("refuses a capacity that is not a positive integer", () => {
    assert.throws(() => new RecordRing(0), /positive integer/);
  });
});

describe("live connection records (a real proxy on its worker thread, a real TLS client)", () => {
  const collect = (proxy: WorkerProxy | DevProxy): { live: ConnectionRecord[]; closed: ConnectionRecord[] } => {
    const seen = { live: [] as ConnectionRecord[], closed: [] as ConnectionRecord[] };
    proxy.on("live", (r) => seen.live.push(r));
    proxy.on("record", (r) => seen.closed.push(r));
    return seen;
  };
  const until = async (what: string, check: () => boolean, timeoutMs = 5000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await setTimeout(20);
    }
  };

  it("publishes a record while the connection is open, updates it per request, and closes it under the same id", async () => {
    const upstream = await echoUpstream();
    const f = await startRealProxy([{ host: "live.test", upstream: upstream.url }], {}, {}, "worker");
    const seen = collect(f.proxy as WorkerProxy);
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const get = (path: string) =>
        getWithPeer({
          port: f.port,
          servername: "live.test",
          headers: { host: "live.test" },
          ca: f.rootPem,
          agent,
          path,
        });
      assert.equal((await get("/one")).status, 200);
      await until("a live record with one request", () => seen.live.some((r) => r.requestCount === 1));
      const first = seen.live.find((r) => r.requestCount === 1)!;
      assert.equal(first.open, true);
      assert.equal(first.tls?.version, "TLSv1.3");
      assert.equal(first.requests[0]?.path, "/one");
      assert.equal(seen.closed.length, 0, "the client still holds the connection open");

      assert.equal((await get("/two")).status, 200);
      await until("the same record with two requests", () => seen.live.some((r) => r.requestCount === 2));
      const second = seen.live.find((r) => r.requestCount === 2)!;
      assert.equal(second.id, first.id);
      assert.deepEqual(
        second.requests.map((q) => q.path),
        ["/one", "/two"],
      );
      assert.ok(second.bytesOut > first.bytesOut, "bytes grow as requests are answered");

      agent.destroy();
      await until("the closed record", () => seen.closed.length === 1);
      const closed = seen.closed[0]!;
      assert.equal(closed.id, first.id);
      assert.equal(closed.open, undefined);
      assert.equal(closed.requestCount, 2);
      assert.ok(closed.timeline.closed !== undefined);
    } finally {
      agent.destroy();
      await f.close();
      upstream.server.close();
    }
  });

  it("publishes a failed handshake as soon as it fails", async () => {
    const f = await startRealProxy([{ host: "live.test", upstream: "http://127.0.0.1:9" }], {}, {}, "worker");
    const seen = collect(f.proxy as WorkerProxy);
    try {
      // The client does not trust the root: it aborts the handshake with an alert.
      await assert.rejects(getWithPeer({ port: f.port, servername: "live.test", headers: { host: "live.test" } }));
      await until("the failed record", () => seen.closed.length + seen.live.length > 0);
      const r = seen.closed[0] ?? seen.live[0]!;
      assert.equal(r.outcome.kind, "failed");
      assert.equal(r.outcome.kind === "failed" && r.outcome.stage, "handshake");
    } finally {
      await f.close();
    }
  });

  it("gives the records of a restarted proxy ids the first proxy never used", async () => {
    const upstream = await echoUpstream();
    const ids: number[] = [];
    try {
      for (let start = 0; start < 2; start++) {
        const f = await startRealProxy([{ host: "live.test", upstream: upstream.url }], {}, {}, "worker");
        const seen = collect(f.proxy as WorkerProxy);
        for (let i = 0; i < 2; i++)
          await getWithPeer({ port: f.port, servername: "live.test", headers: { host: "live.test" }, ca: f.rootPem });
        await until("two closed records", () => seen.closed.length === 2);
        ids.push(...seen.closed.map((r) => r.id));
        await f.close();
      }
    } finally {
      upstream.server.close();
    }
    assert.equal(new Set(ids).size, 4, `ids ${ids.join(", ")} must all differ`);
  });
});

describe("a listen spec that resolves to nothing", () => {
  it("is a failed binding in start()'s result and in bindings, with its reason, announced once", async () => {
    const { settings } = parseSettings({ "switchyard.proxy.listen": ["no-such-interface9:8443", "127.0.0.1:0"] });
    const dir = mkdtempSync(path.join(tmpdir(), "switchyard-records-"));
    const { ca } = await LocalCa.openOrCreate({ dir: path.join(dir, "ca"), diskCache: false });
    const proxy = new WorkerProxy({ settings, ca: { dir: ca.material.dir, diskCache: false }, ephemeralPorts: true });
    const announced: BindingRecord[] = [];
    proxy.on("binding", (b) => announced.push(b));
    try {
      const bindings = await proxy.start();
      const failed = bindings.find((b) => b.spec === "no-such-interface9:8443");
      assert.equal(failed?.state, "failed");
      assert.match(failed?.reason ?? "", /no-such-interface9/);
      assert.ok(bindings.some((b) => b.state === "listening"));
      assert.equal(proxy.bindings.find((b) => b.spec === "no-such-interface9:8443")?.state, "failed");
      await proxy.update(settings);
      assert.equal(announced.filter((b) => b.spec === "no-such-interface9:8443").length, 1);
    } finally {
      await proxy.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("WorkerProxy.reloadCa", () => {
  it("serves leaves of a recreated CA without a restart", async () => {
    const upstream = await echoUpstream();
    const f = await startRealProxy([{ host: "live.test", upstream: upstream.url }], {}, {}, "worker");
    try {
      const get = (ca: string) =>
        getWithPeer({ port: f.port, servername: "live.test", headers: { host: "live.test" }, ca });
      assert.equal((await get(f.rootPem)).status, 200);
      const { ca: fresh } = await LocalCa.openOrCreate({ dir: path.join(f.dir, "ca2"), diskCache: false });
      await (f.proxy as WorkerProxy).reloadCa({ dir: fresh.material.dir, diskCache: false });
      assert.equal((await get(fresh.rootPem())).status, 200);
      await assert.rejects(get(f.rootPem), /issuer|self.signed|unable to get/i);
    } finally {
      await f.close();
      upstream.server.close();
    }
  });
});
