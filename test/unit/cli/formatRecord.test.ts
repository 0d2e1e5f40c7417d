import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import https from "node:https";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout } from "node:timers/promises";
import { runCli } from "../../../extension/cli";
import type { CliIO } from "../../../extension/cli/command";
import { ConnectionLog, formatRecord } from "../../../extension/cli/connectionLog";
import { echoUpstream, getWithPeer } from "../proxy/harness";
import type { ConnectionRecord } from "../../../extension/core/proxy/records/records";

const record = (tls: ConnectionRecord["tls"]): ConnectionRecord => ({
  id: 7,
  seq: 7,
  time: "2026-11-26T10:00:00.000Z",
  client: { address: "127.0.0.1", port: 50000 },
  local: { address: "127.0.0.1", port: 8443, interfaceName: "lo" },
  protocol: "tls",
  ...(tls ? { tls } : {}),
  outcome: { kind: "proxied", status: 200, requests: 1 },
  requests: [{ method: "GET", host: "app.test", path: "/", status: 200, bytes: 12, durationMs: 1.5 }],
  requestCount: 1,
  bytesIn: 100,
  bytesOut: 200,
  durationMs: 3.25,
  timeline: {},
});

describe("switchyard serve's connection log lines", () => {
  it("says when a TLS session was resumed, in text and in ndjson", () => {
    const resumed = record({ version: "TLSv1.3", alpn: "h2", cipher: "TLS_AES_128_GCM_SHA256", resumed: true });
    assert.match(
      formatRecord(resumed, false),
      / tls TLSv1\.3\/h2 \(resumed\) app\.test: 1 request\(s\), last 200 \(3\.3 ms\)\n$/,
    );
    assert.equal(JSON.parse(formatRecord(resumed, true)).tls.resumed, true);
    const full = record({ version: "TLSv1.3", alpn: "h2", cipher: "TLS_AES_128_GCM_SHA256" });
    assert.doesNotMatch(formatRecord(full, false), /resumed/);
  });
});

describe("switchyard serve's text log of one connection", () => {
  it("prints an open line, each request once as it finishes, and the close line", () => {
    const lines: string[] = [];
    const log = new ConnectionLog((t) => lines.push(t), false);
    const tls = { version: "TLSv1.3", alpn: "h2", cipher: "TLS_AES_128_GCM_SHA256" };
    const open = { ...record(tls), open: true as const, requests: [], requestCount: 0 };
    log.live(open);
    const one = { ...open, requests: record(tls).requests, requestCount: 1 };
    log.live(one);
    log.live(one); // the same state published again prints nothing new
    log.closed({ ...record(tls), requestCount: 1 });
    assert.equal(lines.length, 3, lines.join(""));
    assert.match(lines[0]!, / 127\.0\.0\.1:50000 tls TLSv1\.3\/h2 -: open\n$/);
    assert.match(lines[1]!, / 127\.0\.0\.1:50000 {3}GET app\.test\/ -> 200 \(12 B, 1\.5 ms\)\n$/);
    assert.match(lines[2]!, /app\.test: 1 request\(s\), last 200 \(3\.3 ms\)\n$/);
  });

  it("gives a connection that closed before it was seen open its requests and close line only", () => {
    const lines: string[] = [];
    new ConnectionLog((t) => lines.push(t), false).closed(record(undefined));
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /GET app\.test\/ -> 200/);
  });
});

describe("switchyard serve's log of a live connection (real serve, real TLS client)", () => {
  it("prints the open line and each request while the client keeps the connection, then the close (ndjson)", async () => {
    const upstream = await echoUpstream();
    const home = mkdtempSync(path.join(tmpdir(), "switchyard-serve-log-"));
    const lines: Record<string, unknown>[] = [];
    let partial = "";
    const abort = new AbortController();
    const io: CliIO = {
      stdout: (t) => {
        partial += t;
        const parts = partial.split("\n");
        partial = parts.pop()!;
        for (const p of parts) lines.push(JSON.parse(p) as Record<string, unknown>);
      },
      stderr: () => {},
      cwd: home,
      env: { PATH: process.env.PATH, HOME: home },
      confirm: async () => false,
      signal: abort.signal,
    };
    const caDir = path.join(home, "ca");
    const served = runCli(
      [
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--listen",
        "no-such-interface9:8443",
        "--route",
        `log.test=${upstream.url}`,
        "--ca-dir",
        caDir,
        "--log",
        "ndjson",
      ],
      io,
    );
    const until = async (what: string, check: () => boolean): Promise<void> => {
      const deadline = Date.now() + 10_000;
      while (!check()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(lines)}`);
        await setTimeout(20);
      }
    };
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const listening = (l: Record<string, unknown>): boolean =>
        l.type === "binding" && l.state === "listening" && l.spec === "127.0.0.1:0";
      await until("listening", () => lines.some(listening));
      // Port 0: the OS picks the port as serve binds it, and the binding line reports it.
      const port = lines.find(listening)!.port as number;
      assert.ok(Number.isInteger(port) && port > 0, `the binding line names the bound port: ${JSON.stringify(lines)}`);
      const ca = readFileSync(path.join(caDir, "root.pem"), "utf8");
      const get = (p: string) =>
        getWithPeer({ port, servername: "log.test", headers: { host: "log.test" }, ca, agent, path: p });
      assert.equal((await get("/first")).status, 200);
      await until("the first request's line", () => lines.some((l) => l.type === "request" && l.path === "/first"));
      assert.equal((await get("/second")).status, 200);
      await until("the second request's line", () => lines.some((l) => l.type === "request" && l.path === "/second"));
      const open = lines.filter((l) => l.type === "connection" && l.event === "open");
      assert.equal(open.length, 1, "one open line for the kept-alive connection");
      assert.equal(lines.filter((l) => l.event === "close").length, 0, "nothing says closed while it is open");
      agent.destroy();
      await until("the close line", () => lines.some((l) => l.event === "close"));
      const close = lines.find((l) => l.event === "close")!;
      assert.equal(close.id, open[0]!.id);
      assert.equal(close.requestCount, 2);
      const failures = lines.filter((l) => l.type === "binding" && l.spec === "no-such-interface9:8443");
      assert.equal(failures.length, 1, `the unresolvable spec is printed once: ${JSON.stringify(failures)}`);
    } finally {
      agent.destroy();
      abort.abort();
      assert.equal(await served, 0);
      upstream.server.close();
      rmSync(home, { recursive: true, force: true });
    }
  });
});
