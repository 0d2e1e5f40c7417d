import { afterEach, describe, it, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { applyHostsPlan, findManagedBlock, planHostsEdit } from "../../../extension/core/hosts";
import { blocklistFixture, tempDir } from "./fixtures";
import { needRoot, needTools } from "../requirements";
import { cliCommand } from "../cli/cliBundle";

const ROOT = join(__dirname, "..", "..", "..");

const NOBODY = ["--reuid=65534", "--regid=65534", "--clear-groups"];
/** Acting as a second user (setpriv to nobody, chown to nobody) needs root and setpriv. */
function canActAsNobody(t: TestContext): boolean {
  return needRoot(t, "to act as a second user (nobody)") && needTools(t, "setpriv");
}
/** A pid that cannot exist: above Linux's largest pid_max (2^22). */
const DEAD_PID = 2 ** 22 + 12345;

/** The CLI processes a test started and that are still running: ended after each test, passed or failed. */
const running = new Set<ChildProcess>();
afterEach(() => {
  for (const child of running) child.kill("SIGKILL");
});

function cli(
  args: string[],
  env: NodeJS.ProcessEnv,
  asNobody = false,
): { done: Promise<number>; stderr(): string; kill(signal?: NodeJS.Signals): void } {
  const argv = [process.execPath, ...cliCommand(args)];
  const [file = "", ...rest] = asNobody ? ["setpriv", ...NOBODY, ...argv] : argv;
  const child = spawn(file, rest, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] });
  running.add(child);
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => void (stderr += d.toString()));
  // Bounded: a writer that would wait forever is killed, and the test sees -1.
  const guard = setTimeout(() => child.kill("SIGKILL"), 30_000);
  return {
    done: new Promise((resolve) =>
      child.on("close", (code) => {
        running.delete(child);
        clearTimeout(guard);
        resolve(code ?? -1);
      }),
    ),
    stderr: () => stderr,
    kill: (signal = "SIGKILL") => child.kill(signal),
  };
}

/**
 * The environment that makes a CLI process pause just before it renames its temp copy onto
 * `target`, after writing the temp copy's path to `announce` (test/fixtures/preload/pauseBeforeRename.mjs,
 * loaded with NODE_OPTIONS; deleting `announce` releases it).
 */
function pauseBeforeRenameOnto(target: string, announce: string): NodeJS.ProcessEnv {
  const preload = pathToFileURL(join(ROOT, "test", "fixtures", "preload", "pauseBeforeRename.mjs")).href;
  return {
    NODE_OPTIONS: [process.env.NODE_OPTIONS, `--import=${preload}`].filter(Boolean).join(" "),
    SWITCHYARD_FIXTURE_PAUSE_TARGET: target,
    SWITCHYARD_FIXTURE_PAUSE_ANNOUNCE: announce,
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
      ...pauseBeforeRenameOnto(path, announce),
    });
    await waitFor(announce);
    const temp = readFileSync(announce, "utf8");
    assert.ok(existsSync(temp) && existsSync(`${path}.switchyard.lock`), "writer paused with its temp file and lock");
    writer.kill();
    assert.equal(await writer.done, -1);
    assert.ok(readFileSync(path).equals(original), "the file is the old one, whole");

    assert.equal(await cli(["hosts", "add", "after.test", "--file", path, "--yes"], env).done, 0);
    assert.ok(!existsSync(temp), "the next writer removed the killed writer's temp copy");
    assert.deepEqual(
      readdirSync(tmp.dir).filter((f) => f.endsWith(".tmp") || f.includes(".stale-")),
      [],
    );
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

  it("takes over an empty lock (a writer killed before filling it) within about a second", async () => {
    const tmp = tempDir();
    const path = join(tmp.dir, "hosts");
    writeFileSync(path, "");
    writeFileSync(`${path}.switchyard.lock`, "");
    const plan = await planHostsEdit({ kind: "add", name: "x.test" }, { path });
    const result = await applyHostsPlan(plan, { path, dataDir: join(tmp.dir, "data") });
    // Taken over, not waited out: a writer that waits for a lock it does not break fails with
    // HostsLockTimeoutError (after 10 s by default), so a write shows the empty lock was broken.
    assert.equal(result.written, true);
    tmp.remove();
  });

  it("fails at once, saying how to fix it, on a dead writer's lock this user may not remove", async (t) => {
    if (!canActAsNobody(t)) return;
    const tmp = tempDir();
    chmodSync(tmp.dir, 0o1777);
    const path = join(tmp.dir, "hosts");
    writeFileSync(path, "127.0.0.1 localhost\n");
    chownSync(path, 65534, 65534);
    const lock = `${path}.switchyard.lock`;
    writeFileSync(lock, JSON.stringify({ pid: DEAD_PID, host: hostname(), time: Date.now() }));
    const writer = cli(
      ["hosts", "add", "x.test", "--file", path, "--yes"],
      { SWITCHYARD_DATA_DIR: join(tmp.dir, "nobody-data"), SWITCHYARD_HOSTS_DNS: "off" },
      true,
    );
    assert.equal(await writer.done, 1, writer.stderr());
    // "At once" is the reason it gives, not a duration: it did not start to wait for the lock (a
    // waiting writer says so first) and failed because it may not remove it, not by timing out.
    assert.doesNotMatch(writer.stderr(), /waiting for the hosts lock/);
    assert.match(writer.stderr(), /left by a process that is gone .* may not remove it; nothing was written/);
    assert.equal(readFileSync(path, "utf8"), "127.0.0.1 localhost\n");
    tmp.remove();
  });

  it("stops waiting for the lock on SIGTERM", async () => {
    const tmp = tempDir();
    const path = join(tmp.dir, "hosts");
    writeFileSync(path, "");
    // Held by this (live) test process, so it is not stale.
    writeFileSync(`${path}.switchyard.lock`, JSON.stringify({ pid: process.pid, host: hostname(), time: Date.now() }));
    const writer = cli(["hosts", "add", "x.test", "--file", path, "--yes"], {
      SWITCHYARD_DATA_DIR: join(tmp.dir, "data"),
      SWITCHYARD_HOSTS_DNS: "off",
    });
    // Signalled once it says it waits (its handlers are installed by then), however slow its start.
    const deadline = Date.now() + 60_000;
    while (!/waiting for the hosts lock, held by pid \d+/.test(writer.stderr())) {
      assert.ok(Date.now() < deadline, `the writer never said it waits: ${writer.stderr()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    writer.kill("SIGTERM");
    // The signal ended the wait: exit code 1 with its own words (a writer killed by the signal would
    // have no exit code, and one that waited out the lock would say it timed out).
    assert.equal(await writer.done, 1);
    assert.match(writer.stderr(), /stopped waiting for the hosts lock/);
    assert.equal(readFileSync(path, "utf8"), "");
    tmp.remove();
  });

  it("keeps the elevated path's lock in the user's own folder, out of another user's reach", (t) => {
    if (!canActAsNobody(t)) return;
    const tmp = tempDir();
    chmodSync(tmp.dir, 0o755);
    const path = join(tmp.dir, "hosts"); // in a folder only root may write: the elevated case
    writeFileSync(path, "127.0.0.1 localhost\n");
    // Another user (root here) plants a dead writer's lock where the lock used to be: shared /tmp.
    const planted = join(
      tmpdir(),
      `switchyard-hosts-${createHash("sha256").update(path).digest("hex").slice(0, 16)}.lock`,
    );
    writeFileSync(planted, JSON.stringify({ pid: DEAD_PID, host: hostname(), time: Date.now() }));
    const data = join(tmpdir(), `switchyard-nobody-${process.pid}-${Date.now()}`);
    const script =
      `const h = require("./extension/core/hosts");` +
      `const o = { path: ${JSON.stringify(path)}, dataDir: ${JSON.stringify(data)} };` +
      `h.planHostsEdit({ kind: "add", name: "x.test" }, o).then((p) => h.prepareElevatedCopy(p, o))` +
      `.then(async (c) => { await c.cleanup(); console.log("prepared"); })` +
      `.catch((e) => { console.error(e.message); process.exit(1); });`;
    const ran = spawnSync("setpriv", [...NOBODY, process.execPath, "--import", "tsx", "-e", script], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 30_000,
    });
    try {
      assert.equal(ran.status, 0, ran.stderr);
      assert.match(ran.stdout, /prepared/);
      assert.ok(existsSync(planted), "the planted file was not touched");
      const locks = statSync(join(data, "locks"));
      assert.equal(locks.mode & 0o777, 0o700);
      assert.equal(locks.uid, 65534);
    } finally {
      spawnSync("rm", ["-rf", planted, data]);
      tmp.remove();
    }
  });

  it("never shows the lock without its content (a reader polling while another process takes it 400 times)", async () => {
    const tmp = tempDir();
    const lock = join(tmp.dir, "hosts.switchyard.lock");
    const script =
      `const { acquireHostsLock } = require("./extension/core/hosts/lock");` +
      `(async () => { for (let i = 0; i < 400; i++) { const release = await acquireHostsLock(${JSON.stringify(lock)}); await release(); } })();`;
    const child = spawn(process.execPath, ["--import", "tsx", "-e", script], { cwd: ROOT, stdio: "ignore" });
    running.add(child);
    let exited = false;
    child.on("exit", () => (exited = true));
    let empty = 0;
    let filled = 0;
    const started = Date.now();
    while (!exited && Date.now() - started < 30_000) {
      for (let i = 0; i < 2000; i++) {
        let text: string;
        try {
          text = readFileSync(lock, "utf8");
        } catch {
          continue; // not held at this moment
        }
        if (text === "") empty++;
        else filled++;
      }
      await new Promise((r) => setImmediate(r));
    }
    child.kill("SIGKILL");
    assert.ok(filled > 0, "the reader saw the lock held");
    assert.equal(empty, 0, `the lock was seen empty ${empty} times (a crash then would leave it so)`);
    tmp.remove();
  });
});
