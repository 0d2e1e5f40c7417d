/**
 * The proxy bound by interface name (`int0:PORT`) inside a network namespace this test creates: a
 * veth pair "ext0" / "int0" standing for an external and an internal network card, both ends and
 * both private 10.213.x.x/30 addresses inside the namespace, so no packet leaves it. A script run
 * with `ip netns exec` starts the DevProxy (real CA, real listen-spec engine) and an upstream on
 * the namespace's loopback, then dials both addresses. Needs root and `ip`; under CI=true their
 * absence fails the test.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const repo = path.resolve(__dirname, "../../..");
const mod = (p: string): string => JSON.stringify(path.join(repo, p));

/** Why the namespace cannot be made here, or undefined when it can; throws under CI=true. */
function cannotCreateNamespaces(): string | undefined {
  let reason: string | undefined;
  if (process.platform !== "linux") reason = "network namespaces need Linux";
  else if (spawnSync("ip", ["-V"]).status !== 0) reason = "ip (iproute2) is not installed";
  else if (process.getuid?.() !== 0) reason = "creating a network namespace needs root";
  if (reason && process.env.CI === "true") throw new Error(`${reason} (required under CI=true)`);
  return reason;
}

/** Runs inside the namespace: proxy on int0:PORT, upstream on the namespace's loopback, dials both cards. */
const SCRIPT = (port: number, ext: string, int: string, caDir: string): string => `
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { once } from "node:events";
import { LocalCa } from ${mod("extension/core/ca/index.ts")};
import { DevProxy } from ${mod("extension/core/proxy/devProxy.ts")};
import { parseSettings } from ${mod("extension/core/settings.ts")};

const upstream = http.createServer((req, res) => res.end("served " + req.url)).listen(0, "127.0.0.1");
await once(upstream, "listening");
const { ca } = await LocalCa.openOrCreate({ dir: ${JSON.stringify(caDir)}, diskCache: false });
const { settings, problems } = parseSettings({
  "switchyard.proxy.listen": ["int0:${port}"],
  "switchyard.proxy.routes": [{ host: "svc.test", upstream: "http://127.0.0.1:" + upstream.address().port }],
});
if (problems.length) throw new Error(JSON.stringify(problems));
const proxy = new DevProxy({ settings, leaves: ca });
// Snapshot: the records are live objects and read "closed" after stop().
const bindings = JSON.parse(JSON.stringify(await proxy.start()));
const records = [];
proxy.on("record", (r) => records.push(r));

const get = (host) => new Promise((resolve) => {
  const req = https.get({ host, port: ${port}, servername: "svc.test", headers: { host: "svc.test" }, path: "/via-int0", ca: ca.rootPem(), agent: false }, (res) => {
    let body = "";
    res.on("data", (c) => (body += c));
    res.on("end", () => resolve({ status: res.statusCode, body }));
  });
  req.on("error", (e) => resolve({ error: e.code ?? e.message }));
});
const dial = (host) => new Promise((resolve) => {
  const c = net.connect({ host, port: ${port} });
  c.once("connect", () => { c.destroy(); resolve("connected"); });
  c.once("error", (e) => resolve(e.code));
});
const int = await get(${JSON.stringify(int)});
const ext = await dial(${JSON.stringify(ext)});
const extTls = await get(${JSON.stringify(ext)});
// The served connection's record comes when it closes; bounded, so a missing record fails below.
if (!records.some((r) => r.local.address === ${JSON.stringify(int)}))
  await Promise.race([once(proxy, "record"), new Promise((r) => setTimeout(r, 5000).unref())]);
await proxy.stop();
upstream.close();
console.log(JSON.stringify({ bindings, int, ext, extTls, records }));
`;

interface ScriptResult {
  bindings: { address: string; family: number; port: number; interfaceName?: string; state: string; reason?: string }[];
  int: { status?: number; body?: string; error?: string };
  ext: string;
  extTls: { status?: number; error?: string };
  records: { local: { address: string; interfaceName?: string }; outcome: { kind: string } }[];
}

const skip = cannotCreateNamespaces();

describe("INTERFACE:PORT binding in a network namespace", { skip: skip ?? false }, () => {
  const ns = `sy-px-${randomBytes(4).toString("hex")}`;
  const third = randomInt(1, 254);
  const ext = `10.213.${third}.1`;
  const int = `10.213.${(third + 1) % 254}.1`;
  let dir = "";
  let created = false;
  const inNs = (...args: string[]): string => execFileSync("ip", ["netns", "exec", ns, ...args], { encoding: "utf8" });

  before(() => {
    execFileSync("ip", ["netns", "add", ns]);
    created = true;
    inNs("ip", "link", "set", "lo", "up");
    // No duplicate-address detection, so int0's IPv6 link-local address is bindable at once.
    inNs("sysctl", "-q", "-w", "net.ipv6.conf.default.accept_dad=0");
    inNs("ip", "link", "add", "ext0", "type", "veth", "peer", "name", "int0");
    inNs("ip", "addr", "add", `${ext}/30`, "dev", "ext0");
    inNs("ip", "addr", "add", `${int}/30`, "dev", "int0");
    inNs("ip", "link", "set", "ext0", "up");
    inNs("ip", "link", "set", "int0", "up");
    dir = mkdtempSync(path.join(tmpdir(), "sy-px-netns-"));
  });

  after(() => {
    try {
      if (created) execFileSync("ip", ["netns", "del", ns]);
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  it("answers TLS on int0's address, refuses on ext0's, and names int0 in the records", () => {
    const port = randomInt(20_000, 30_000); // a fresh namespace: nothing else holds it
    const script = path.join(dir, "proxy-in-netns.mts");
    writeFileSync(script, SCRIPT(port, ext, int, path.join(dir, "ca")));
    const out = inNs(process.execPath, "--import", "tsx", script);
    const result = JSON.parse(out.trim().split("\n").pop()!) as ScriptResult;

    const v4 = result.bindings.filter((b) => b.family === 4);
    assert.deepEqual(
      v4.map((b) => [b.address, b.port, b.interfaceName, b.state]),
      [[int, port, "int0", "listening"]],
    );
    assert.ok(
      result.bindings.every((b) => b.interfaceName === "int0"),
      `every binding names int0: ${JSON.stringify(result.bindings)}`,
    );
    assert.ok(!result.bindings.some((b) => b.address === ext));
    assert.deepEqual(result.int, { status: 200, body: "served /via-int0" });
    assert.equal(result.ext, "ECONNREFUSED");
    assert.equal(result.extTls.error, "ECONNREFUSED");
    const served = result.records.find((r) => r.local.address === int);
    assert.ok(served, "a handshake record for the connection on int0");
    assert.equal(served.local.interfaceName, "int0");
    assert.equal(served.outcome.kind, "proxied");
  });
});
