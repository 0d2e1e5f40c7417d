import assert from "node:assert/strict";
import { once } from "node:events";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { onlyOn } from "../requirements";
// @ts-expect-error: plain JS harness module shared with run.mjs and the VS Code harness
import { groupMembers, signalGroup, spawnGroup } from "../../harness/processGroup.mjs";

const root = join(__dirname, "..", "..", "..");

interface Pids {
  serverGroup: number;
  helper: number;
  phaseGroup: number;
  testFile: number;
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  describe(`npm test stopped by ${signal}`, { skip: onlyOn("linux") }, () => {
    it("takes down its running phase and every process group a test started, even from a hung test", async (t) => {
      const dir = mkdtempSync(join(tmpdir(), "switchyard-run-signals-"));
      const pidsFile = join(dir, "pids.json");
      const env: NodeJS.ProcessEnv = { ...process.env, SWITCHYARD_FIXTURE_PIDS: pidsFile };
      // The runner's own variable would make the inner node:test report to this one instead of as TAP.
      delete env.NODE_TEST_CONTEXT;
      // In a group of its own only so that this test can clean up after a failure; the signal goes to
      // run.mjs's pid alone (as `kill PID` sends it), the case where nothing else passes it on.
      const runner = spawnGroup(process.execPath, [join(root, "test", "run.mjs"), "processes-selftest"], {
        cwd: root,
        env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      const started: { pids?: Pids } = {};
      t.after(() => {
        signalGroup(runner.pid, "SIGKILL");
        const { pids } = started;
        if (pids) for (const g of [pids.serverGroup, pids.phaseGroup]) signalGroup(g, "SIGKILL");
        rmSync(dir, { recursive: true, force: true });
      });
      let output = "";
      runner.stdout!.on("data", (d: Buffer) => (output += d.toString()));
      runner.stderr!.on("data", (d: Buffer) => (output += d.toString()));
      const exited = once(runner, "exit");
      const deadline = Date.now() + 60_000;
      while (!existsSync(pidsFile) || readFileSync(pidsFile, "utf8") === "") {
        assert.ok(Date.now() < deadline, `the test file never started its processes:\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const pids = (started.pids = JSON.parse(readFileSync(pidsFile, "utf8")) as Pids);
      assert.ok(alive(pids.helper) && groupMembers(pids.serverGroup).length === 3, "everything started");

      runner.kill(signal);
      const [code] = await exited;
      assert.equal(code, 128 + { SIGTERM: 15, SIGINT: 2 }[signal], output);
      assert.match(output, new RegExp(`${signal}: stopping the running phase`));
      assert.deepEqual(groupMembers(pids.serverGroup), [], "the server-like group is gone");
      assert.deepEqual(groupMembers(pids.phaseGroup), [], "the phase's group is gone");
      assert.equal(alive(pids.helper), false, "the test's helper is gone");
      assert.equal(alive(pids.testFile), false, "the hung test file is gone");
    });
  });
}
