import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { applyHostsPlan, findManagedBlock, planHostsEdit } from "../../../extension/core/hosts";
import { blocklistFixture, tempDir } from "./fixtures";

const ROOT = join(__dirname, "..", "..", "..");
const CLI = join(ROOT, "extension", "cli.ts");

function cli(args: string[], env: NodeJS.ProcessEnv): { done: Promise<number>; kill(): void } {
  const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: "ignore",
  });
  return {
    done: new Promise((resolve) => child.on("exit", (code) => resolve(code ?? -1))),
    kill: () => child.kill("SIGKILL"),
  };
}

async function waitFor(path: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path) || readFileSync(path, "utf8") === "") {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${path}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("concurrent writers", () => {
  it("lets two processes adding different names at once both land", async () => {
    const tmp = tempDir();
    const path = join(tmp.dir, "hosts");
    writeFileSync(path, "127.0.0.1 localhost\n");
    const env = { SWITCHYARD_DATA_DIR: join(tmp.dir, "data"), SWITCHYARD_HOSTS_DNS: "off" };
    const names = ["one.test", "two.test", "three.test", "four.test"];
    const codes = await Promise.all(names.map((n) => cli(["hosts", "add", n, "--file", path, "--yes"], env).done));
    assert.deepEqual(codes, [0, 0, 0, 0]);
    const got = findManagedBlock(readFileSync(path))
      ?.mappings.map((m) => m.name)
      .sort();
    assert.deepEqual(got, [...names].sort());
    assert.ok(readFileSync(path, "latin1").startsWith("127.0.0.1 localhost\n"));
    assert.deepEqual(readdirSync(tmp.dir).sort(), ["data", "hosts"], "no temp or lock files left behind");
    tmp.remove();
  });

  it("re-applies the edit when the file changed between reading and writing", async () => {
    const tmp = tempDir();
    const path = join(tmp.dir, "hosts");
    writeFileSync(path, "127.0.0.1 localhost\n");
    const plan = await planHostsEdit({ kind: "add", name: "mine.test" }, { path });
    writeFileSync(path, "127.0.0.1 localhost\n10.0.0.9 someone-elses.lan\n");
    const result = await applyHostsPlan(plan, { path, dataDir: join(tmp.dir, "data") });
    assert.equal(result.reapplied, true);
    const text = readFileSync(path, "latin1");
    assert.ok(text.startsWith("127.0.0.1 localhost\n10.0.0.9 someone-elses.lan\n# BEGIN"), text);
    assert.match(text, /127\.0\.0\.1 mine\.test/);
    tmp.remove();
  });

  it("leaves the old file whole when a writer is killed mid-write, and the next writer breaks its stale lock", async () => {
    const tmp = tempDir();
    const path = join(tmp.dir, "hosts");
    const original = blocklistFixture();
    writeFileSync(path, original);
    const announce = join(tmp.dir, "announce");
    const env = { SWITCHYARD_DATA_DIR: join(tmp.dir, "data"), SWITCHYARD_HOSTS_DNS: "off" };
    const writer = cli(["hosts", "add", "crash.test", "--file", path, "--yes"], {
      ...env,
      SWITCHYARD_TEST_PAUSE_BEFORE_REPLACE: announce,
    });
    await waitFor(announce);
    const temp = readFileSync(announce, "utf8");
    assert.ok(existsSync(temp) && existsSync(`${path}.switchyard.lock`), "writer paused with its temp file and lock");
    writer.kill();
    assert.equal(await writer.done, -1);
    assert.ok(readFileSync(path).equals(original), "the file is the old one, whole");

    assert.equal(await cli(["hosts", "add", "after.test", "--file", path, "--yes"], env).done, 0);
    const after = readFileSync(path);
    assert.ok(after.subarray(0, original.length).equals(original));
    assert.deepEqual(
      findManagedBlock(after)?.mappings.map((m) => m.name),
      ["after.test"],
    );
    tmp.remove();
  });

  it("breaks a lock left by a process that no longer exists", async () => {
    const tmp = tempDir();
    const path = join(tmp.dir, "hosts");
    writeFileSync(path, "");
    writeFileSync(
      `${path}.switchyard.lock`,
      JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), time: Date.now() }),
    );
    const plan = await planHostsEdit({ kind: "add", name: "x.test" }, { path });
    const result = await applyHostsPlan(plan, { path, dataDir: join(tmp.dir, "data"), lock: { timeoutMs: 2000 } });
    assert.equal(result.written, true);
    assert.ok(!existsSync(`${path}.switchyard.lock`));
    tmp.remove();
  });
});
