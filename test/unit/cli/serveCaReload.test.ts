/**
 * `switchyard serve` follows its CA: replaced in another terminal with `switchyard ca create
 * --force`, the running proxy issues new connections' certificates from the new root. Real
 * processes (serve and ca create), a temp HOME and CA folder, TLS clients on 127.0.0.1.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { exitWithin, newMark, reapMarked, startServe, type Cli } from "./cliProcesses";

const ROOT = join(__dirname, "..", "..", "..");
/**
 * The CLI from this checkout's sources, as bin/switchyard.js runs it when there is no build: a
 * dist/cli.js left by an earlier build would test old code.
 */
const FROM_SOURCE = ["-e", `require("tsx/cjs"); require(${JSON.stringify(join(ROOT, "extension", "cli.ts"))}).main();`];

function cli(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, [...FROM_SOURCE, "--", "switchyard", ...args], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Whether a new connection's certificate chains to `rootPem` (the client trusts only that root). */
function chainsTo(port: number, name: string, rootPem: string): Promise<{ ok: boolean; why?: string }> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: "127.0.0.1", port, servername: name, ca: rootPem, rejectUnauthorized: false });
    socket.once("secureConnect", () => {
      const result = { ok: socket.authorized, why: socket.authorizationError?.message };
      socket.destroy();
      resolve(result);
    });
    socket.once("error", (e) => resolve({ ok: false, why: e.message }));
  });
}

describe("switchyard serve when the CA is replaced from a terminal", () => {
  let home: string;
  let serve: Cli | undefined;
  const mark = newMark();
  const out = (): string => serve?.out() ?? "";
  let env: NodeJS.ProcessEnv;
  let port: number;
  const caDir = (): string => join(home, "ca");

  before(async () => {
    home = mkdtempSync(join(tmpdir(), "switchyard-serve-ca-"));
    env = { ...process.env, HOME: home, XDG_STATE_HOME: join(home, "state"), XDG_DATA_HOME: join(home, "data") };
    delete env.SWITCHYARD_CAROOT;
    // Only names a route covers get a leaf of their own (issue 22); nothing listens on port 9.
    const routes = ["reload.test", "reload-new.test", "reload-other.test"].flatMap((n) => [
      "--route",
      `${n}=http://127.0.0.1:9`,
    ]);
    ({ cli: serve, port } = await startServe(env, mark, [...routes, "--ca-dir", caDir()]));
  });

  after(async () => {
    if (serve && serve.child.exitCode === null) {
      serve.child.kill("SIGTERM");
      await exitWithin(serve).catch(() => undefined);
    }
    await reapMarked(mark);
    rmSync(home, { recursive: true, force: true });
  });

  it("serves new connections from the new root", async () => {
    const rootA = readFileSync(join(caDir(), "root.pem"), "utf8");
    const before = await chainsTo(port, "reload.test", rootA);
    assert.ok(before.ok, `the first certificate chains to root A: ${before.why}`);

    const create = cli(["ca", "create", "--force", "--ca-dir", caDir()], env);
    let createOut = "";
    create.stdout!.on("data", (d: Buffer) => (createOut += d.toString()));
    create.stderr!.on("data", (d: Buffer) => (createOut += d.toString()));
    const code = await new Promise<number | null>((r) => create.once("exit", r));
    assert.equal(code, 0, `ca create --force:\n${createOut}`);
    const rootB = readFileSync(join(caDir(), "root.pem"), "utf8");
    assert.notEqual(rootB, rootA, "ca create --force made a new root");

    // Polled, bounded: the proxy reloads once the folder has settled (a debounce, then the worker).
    let now = await chainsTo(port, "reload-new.test", rootB);
    const deadline = Date.now() + 20_000;
    while (!now.ok && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      now = await chainsTo(port, "reload-new.test", rootB);
    }
    assert.ok(now.ok, `a new connection's certificate chains to root B: ${now.why}\n${out()}`);
    // A name issued before the replacement is issued again from the new CA, not served from memory.
    const again = await chainsTo(port, "reload.test", rootB);
    assert.ok(again.ok, `the earlier name's certificate now chains to root B too: ${again.why}`);
    const old = await chainsTo(port, "reload-other.test", rootA);
    assert.equal(old.ok, false, "nothing new chains to root A any more");
    assert.match(out(), /was replaced: new connections get certificates from it/);
  });
});
