/**
 * INTERFACE:PORT specs against real interfaces in a network namespace this test creates: a veth
 * pair "ext0" / "int0" with private 10.213.x.x/30 addresses, both inside the namespace, so no
 * packet leaves it. Needs root and `ip`; under CI=true their absence fails the test.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { haveTool } from "./tools";

const here = path.dirname(fileURLToPath(import.meta.url));
const listenSpecModule = path.resolve(here, "../../../extension/core/net/listenSpec.ts");

function canCreateNamespaces(): boolean {
  if (process.platform !== "linux") return false;
  if (!haveTool("ip")) return false;
  const isRoot = process.getuid?.() === 0;
  if (!isRoot && process.env.CI === "true") throw new Error("the netns test needs root under CI=true");
  return isRoot;
}

/** Resolves `int0:PORT` inside the namespace, binds each address, and dials both interfaces' IPv4 addresses. */
const SCRIPT = (port: number, ext: string, int: string): string => `
import net from "node:net";
import { once } from "node:events";
import { resolveListenSpec } from ${JSON.stringify(listenSpecModule)};
const resolved = await resolveListenSpec("int0:${port}");
const servers = [];
for (const a of resolved.filter((r) => r.family === 4)) {
  const s = net.createServer((c) => c.on("error", () => {}).end("hi")).listen({ host: a.address, port: a.port });
  await once(s, "listening");
  servers.push(s);
}
const dial = (host) => new Promise((resolve) => {
  const c = net.connect({ host, port: ${port} });
  c.once("connect", () => { c.destroy(); resolve("connected"); });
  c.once("error", (e) => resolve(e.code));
});
const result = { resolved, int: await dial(${JSON.stringify(int)}), ext: await dial(${JSON.stringify(ext)}) };
for (const s of servers) s.close();
console.log(JSON.stringify(result));
`;

describe(
  "INTERFACE:PORT in a network namespace",
  { skip: !canCreateNamespaces() && "needs Linux, root and ip" },
  () => {
    const ns = `sy-test-${randomBytes(4).toString("hex")}`;
    const subnet = randomInt(0, 63) * 4; // a /30 inside 10.213.<random>.0/24
    const third = randomInt(1, 254);
    const ext = `10.213.${third}.${subnet + 1}`;
    const int = `10.213.${third}.${subnet + 2}`;
    let dir = "";
    const ip = (...args: string[]): string =>
      execFileSync("ip", ["netns", "exec", ns, "ip", ...args], { encoding: "utf8" });

    before(() => {
      execFileSync("ip", ["netns", "add", ns]);
      ip("link", "set", "lo", "up");
      ip("link", "add", "ext0", "type", "veth", "peer", "name", "int0");
      ip("addr", "add", `${ext}/30`, "dev", "ext0");
      ip("addr", "add", `${int}/30`, "dev", "int0");
      ip("link", "set", "ext0", "up");
      ip("link", "set", "int0", "up");
      dir = mkdtempSync(path.join(os.tmpdir(), "sy-netns-"));
    });

    after(() => {
      try {
        execFileSync("ip", ["netns", "del", ns]);
      } finally {
        if (dir) rmSync(dir, { recursive: true, force: true });
      }
    });

    it("resolves int0:PORT to int0's addresses only, and a listener there refuses on ext0", () => {
      const port = 18443;
      const script = path.join(dir, "resolve.mts");
      writeFileSync(script, SCRIPT(port, ext, int));
      const out = execFileSync("ip", ["netns", "exec", ns, process.execPath, "--import", "tsx", script], {
        encoding: "utf8",
        cwd: path.resolve(here, "../../.."),
      });
      const result = JSON.parse(out.trim()) as {
        resolved: { address: string; family: number; interfaceName: string; port: number }[];
        int: string;
        ext: string;
      };
      const v4 = result.resolved.filter((a) => a.family === 4).map((a) => a.address);
      assert.deepEqual(v4, [int], "only int0's IPv4 address");
      assert.ok(result.resolved.every((a) => a.interfaceName === "int0" && a.port === port));
      for (const a of result.resolved.filter((r) => r.family === 6)) {
        assert.match(a.address, /^fe80:.*%int0$/, "IPv6 link-local carries its zone");
      }
      assert.ok(!result.resolved.some((a) => a.address === ext));
      assert.equal(result.int, "connected");
      assert.equal(result.ext, "ECONNREFUSED");
    });
  },
);
