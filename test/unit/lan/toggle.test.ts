/**
 * Sharing turned on and off in a running proxy (what the VS Code toggle does through
 * DevProxy.update): on the same two-namespace LAN as shareOnLan.test.ts, a DevProxy in the
 * machine's namespace starts with sharing off, is switched on, then off; after each step the
 * phone's namespace tries the LAN address (curl) and my-app.local (an mDNS query). Off means off
 * at once: no wait between update() and the phone's checks. Needs root, ip and curl.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { rootMissing, toolsMissing } from "../requirements";
import { buildLan, newTestLan, removeNamespaces } from "./testLan";

const REPO = path.resolve(__dirname, "../../..");
const mod = (p: string): string => JSON.stringify(path.join(REPO, p));
const skip = rootMissing("to create network namespaces") ?? toolsMissing("ip", "curl");

const QUERY = `
import { createRequire } from "node:module";
const require = createRequire(${JSON.stringify(path.join(REPO, "package.json"))});
const [name, iface] = process.argv.slice(2);
const mdns = require("multicast-dns")({ interface: iface, bind: "0.0.0.0", loopback: false });
const done = (result) => { clearTimeout(timer); console.log(JSON.stringify(result)); mdns.destroy(); };
const timer = setTimeout(() => done({ answered: false }), 3000);
mdns.on("response", (res) => {
  const a = res.answers.find((x) => x.name.toLowerCase() === name && x.type === "A" && x.ttl > 0);
  if (a) done({ answered: true, address: a.data });
});
mdns.on("ready", () => mdns.query({ questions: [{ name, type: "A" }] }));
`;

/**
 * A legacy unicast query (RFC 6762 section 6.7): a plain DNS client sending from an ephemeral port,
 * as simple resolvers do; the answer must come back to that port, with the question and id echoed.
 */
const LEGACY_QUERY = `
import dgram from "node:dgram";
import { createRequire } from "node:module";
const require = createRequire(${JSON.stringify(path.join(REPO, "package.json"))});
const packet = require("dns-packet");
const [name, iface] = process.argv.slice(2);
const socket = dgram.createSocket("udp4");
const done = (result) => { clearTimeout(timer); console.log(JSON.stringify(result)); socket.close(); };
const timer = setTimeout(() => done({ answered: false }), 3000);
socket.on("message", (buf, rinfo) => {
  const res = packet.decode(buf);
  const a = (res.answers ?? []).find((x) => x.name.toLowerCase() === name && x.type === "A");
  if (a) done({ answered: true, address: a.data, id: res.id, question: res.questions?.[0]?.name, ttlAtMost10: a.ttl <= 10 });
});
socket.bind(0, () => {
  socket.setMulticastInterface(iface);
  const q = packet.encode({ type: "query", id: 4242, flags: 0, questions: [{ name, type: "A", class: "IN" }] });
  socket.send(q, 5353, "224.0.0.251");
});
`;

/** Runs in the machine's namespace: the proxy, toggled, with the phone's view after each step. */
const SCRIPT = (phoneNs: string, phoneIp: string, machineIp: string, dir: string): string => `
import http from "node:http";
import { once } from "node:events";
import { spawn } from "node:child_process";
import { LocalCa } from ${mod("extension/core/ca/index.ts")};
import { DevProxy } from ${mod("extension/core/proxy/devProxy.ts")};
import { parseSettings } from ${mod("extension/core/settings.ts")};
import { resolveListenSpec } from ${mod("extension/core/net/listenSpec.ts")};

const upstream = http.createServer((req, res) => res.end("my-app")).listen(0, "127.0.0.1");
await once(upstream, "listening");
const { ca } = await LocalCa.openOrCreate({ dir: ${JSON.stringify(path.join(dir, "ca"))}, diskCache: false });
const settingsWith = (shareOnLan) => parseSettings({
  "switchyard.proxy.listen": ["127.0.0.1:0"],
  "switchyard.proxy.shareOnLan": shareOnLan,
  "switchyard.proxy.routes": [{ host: "my-app.test", upstream: "http://127.0.0.1:" + upstream.address().port }],
}).settings;
const proxy = new DevProxy({
  settings: settingsWith(false),
  leaves: ca,
  resolveListen: (spec) => resolveListenSpec(spec, { allowEphemeralPort: true }),
});
await proxy.start();
const port = proxy.bindings.find((b) => b.state === "listening").port;
// Asynchronous: the proxy answers on this same event loop while the phone's commands run.
const phone = (...args) => new Promise((resolve) => {
  const child = spawn("ip", ["netns", "exec", ${JSON.stringify(phoneNs)}, ...args]);
  let stdout = "";
  child.stdout.on("data", (d) => (stdout += d));
  const timer = setTimeout(() => child.kill("SIGKILL"), 30000);
  child.on("close", (status) => { clearTimeout(timer); resolve({ stdout, status }); });
});
const look = async () => {
  const page = await phone("curl", "-s", "-m", "5", "-o", "/dev/null", "-w", "%{http_code}", "http://${machineIp}:" + port + "/");
  const mdns = await phone(process.execPath, ${JSON.stringify(path.join(dir, "query.mjs"))}, "my-app.local", ${JSON.stringify(phoneIp)});
  return { page: page.stdout.trim(), curlExit: page.status, mdns: JSON.parse(mdns.stdout.trim() || "{}") };
};
const lanBindings = () => proxy.bindings.filter((b) => b.spec === "shareOnLan" && b.state === "listening").map((b) => b.address);
const result = { port, before: await look(), lanBefore: lanBindings() };
await proxy.update(settingsWith(true));
// The name is answered once probed (three probes 250 ms apart): wait for the state to say so, bounded.
for (let i = 0; i < 100 && !proxy.lanState.names.some((n) => n.state === "claimed"); i++) await once(proxy, "lan");
result.lanOn = lanBindings();
result.stateOn = proxy.lanState;
result.on = await look();
result.legacy = JSON.parse((await phone(process.execPath, ${JSON.stringify(path.join(dir, "legacy.mjs"))}, "my-app.local", ${JSON.stringify(phoneIp)})).stdout.trim() || "{}");
// Plain HTTP for a shared name is redirected to https on the same port (not to 443, which is loopback-only).
result.redirect = (await phone("curl", "-s", "-m", "5", "-o", "/dev/null", "-w", "%{redirect_url}", "-H", "Host: my-app.local:" + port, "http://${machineIp}:" + port + "/x?y")).stdout;
await proxy.update(settingsWith(false));
result.lanOff = lanBindings();
result.stateOff = proxy.lanState;
result.off = await look();
await proxy.stop();
upstream.close();
console.log(JSON.stringify(result));
`;

describe("turning sharing on and off in a running proxy", { skip: skip ?? false }, () => {
  const lan = newTestLan("lant", 215);
  const { machineNs, phoneNs, machineIp, phoneIp } = lan;
  const created: string[] = [];
  let dir = "";

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), "sy-lan-toggle-"));
    writeFileSync(path.join(dir, "query.mjs"), QUERY);
    writeFileSync(path.join(dir, "legacy.mjs"), LEGACY_QUERY);
    buildLan(lan, created);
  });

  after(() => {
    removeNamespaces(created);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("listens and answers on the LAN only while sharing is on, and stops both at once when it is turned off", () => {
    const script = path.join(dir, "toggle.mts");
    writeFileSync(script, SCRIPT(phoneNs, phoneIp, machineIp, dir));
    const run = spawnSync("ip", ["netns", "exec", machineNs, process.execPath, "--import", "tsx", script], {
      encoding: "utf8",
      cwd: REPO,
      timeout: 180_000,
    });
    assert.equal(run.status, 0, run.stderr);
    const r = JSON.parse(run.stdout.trim().split("\n").pop() ?? "{}");

    assert.deepEqual(r.lanBefore, []);
    assert.deepEqual(r.before, { page: "000", curlExit: 7, mdns: { answered: false } });

    assert.deepEqual(r.lanOn, [machineIp]);
    assert.equal(r.stateOn.sharing, true);
    assert.deepEqual(r.stateOn.onboardingUrls, [`http://${machineIp}:${r.port}/`]);
    assert.deepEqual(r.stateOn.sharedUrls, [{ url: `https://my-app.local:${r.port}/`, routeHost: "my-app.test" }]);
    assert.deepEqual(r.on, { page: "200", curlExit: 0, mdns: { answered: true, address: machineIp } });

    assert.deepEqual(r.legacy, {
      answered: true,
      address: machineIp,
      id: 4242,
      question: "my-app.local",
      ttlAtMost10: true,
    });
    assert.equal(r.redirect, `https://my-app.local:${r.port}/x?y`);

    assert.deepEqual(r.lanOff, []);
    assert.equal(r.stateOff.sharing, false);
    assert.deepEqual(r.off, { page: "000", curlExit: 7, mdns: { answered: false } });
  });
});
