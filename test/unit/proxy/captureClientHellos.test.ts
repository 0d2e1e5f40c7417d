import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { once } from "node:events";
// @ts-expect-error: plain JS harness module shared with run.mjs and the VS Code harness
import { spawnGroup, stopGroup, trackGroup } from "../../harness/processGroup.mjs";
import { parseClientHello } from "../../../extension/core/proxy/accept/clientHello";
import { listenOnBothLoopbacks } from "./bothLoopbacks";
import { needTools } from "../requirements";

/** Connects to address:port and resolves with the byte the listener sent back. */
function greet(address: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: address, port });
    s.setEncoding("utf8");
    s.on("data", (d: string) => (s.destroy(), resolve(d)));
    s.on("error", reject);
  });
}

describe("a listener on both loopback addresses, for clients given localhost", () => {
  it("answers on 127.0.0.1 and ::1 at one port, with one handler", async () => {
    const seen: string[] = [];
    const pair = await listenOnBothLoopbacks((socket) => {
      seen.push(socket.localAddress ?? "?");
      socket.end("y");
    });
    try {
      assert.ok(pair.port > 0);
      for (const address of pair.addresses) assert.equal(await greet(address, pair.port), "y");
      assert.deepEqual(seen.sort(), [...pair.addresses].sort());
    } finally {
      await pair.close();
    }
  });

  it("never comes back with a port another listener holds on ::1", async () => {
    // Hold ::1 on many ports: each pair must still come back with one port on both addresses.
    const held: net.Server[] = [];
    try {
      for (let i = 0; i < 5; i++) {
        const s = net.createServer();
        await new Promise<void>((r) => s.listen(0, "::1", r));
        held.push(s);
      }
      const pair = await listenOnBothLoopbacks((socket) => socket.end("z"));
      try {
        const heldPorts = held.map((s) => (s.address() as net.AddressInfo).port);
        assert.ok(!heldPorts.includes(pair.port));
        for (const address of pair.addresses) assert.equal(await greet(address, pair.port), "z");
      } finally {
        await pair.close();
      }
    } finally {
      for (const s of held) s.close();
    }
  });
});

describe("captureClientHellos.ts: every client is given a name and sends it as SNI", () => {
  const out = mkdtempSync(path.join(tmpdir(), "switchyard-capture-"));
  after(() => rmSync(out, { recursive: true, force: true }));

  async function capture(names: string[]): Promise<string> {
    const child = spawnGroup(
      process.execPath,
      ["--import", "tsx", path.join(__dirname, "captureClientHellos.ts"), ...names],
      { env: { ...process.env, CLIENTHELLO_OUT: out }, stdio: ["ignore", "pipe", "pipe"] },
    );
    const untrack = trackGroup(child.pid);
    let text = "";
    child.stdout.on("data", (d: Buffer) => (text += d));
    child.stderr.on("data", (d: Buffer) => (text += d));
    // The script bounds each client (15 s); this bounds the whole run.
    const timer = setTimeout(() => void stopGroup(child.pid, { graceMs: 1000 }), 120_000);
    try {
      const [code] = (await once(child, "exit")) as [number | null];
      assert.equal(code, 0, text);
    } finally {
      clearTimeout(timer);
      // Browsers' helpers may outlive the capture; the group ends them.
      await stopGroup(child.pid, { graceMs: 2000 });
      untrack();
    }
    return text;
  }

  function sniOf(name: string): string | undefined {
    const parsed = parseClientHello(readFileSync(path.join(out, `${name}.bin`)));
    assert.equal(parsed.kind, "complete");
    return parsed.kind === "complete" ? parsed.hello.serverName : undefined;
  }

  it("python3's urllib, given localhost, reaches the listener and names localhost", async (t) => {
    if (!needTools(t, "python3")) return;
    await capture(["python3-urllib"]);
    assert.equal(sniOf("python3-urllib"), "localhost");
  });

  it("Java's HttpClient, given a test name mapped for it alone, sends that name", async (t) => {
    if (!needTools(t, "java")) return;
    await capture(["java-httpclient"]);
    assert.equal(sniOf("java-httpclient"), "my-awesome-service.test");
  });

  it("Firefox, given localhost, reaches the listener and names localhost", async (t) => {
    if (!needTools(t, "firefox-esr")) return;
    await capture(["firefox"]);
    assert.equal(sniOf("firefox"), "localhost");
  });
});
