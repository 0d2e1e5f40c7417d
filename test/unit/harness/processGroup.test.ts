import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { onlyOn } from "../requirements";
// @ts-expect-error: plain JS harness module shared with run.mjs and the VS Code harness
import { groupMembers, signalGroup, spawnGroup, stopGroup, waitForGroupGone } from "../../harness/processGroup.mjs";

const fixture = join(__dirname, "..", "..", "fixtures", "processes", "parentOfGroup.mjs");
/** Far longer than any step takes: only a group that never empties runs into it. */
const GENEROUS_MS = 20_000;

/** Kills `pgid`'s group when the test ends, passed or failed, so that nothing outlives it. */
function cleanUpGroup(t: TestContext, pgid: () => number | undefined): void {
  t.after(() => {
    const id = pgid();
    if (id) signalGroup(id, "SIGKILL");
  });
}

/** Starts the fixture parent; resolves with it and the group id it printed. */
async function startParent(t: TestContext, ...args: string[]): Promise<{ parent: ChildProcess; pgid: number }> {
  const parent = spawn(process.execPath, [fixture, ...args], { stdio: ["ignore", "pipe", "inherit"] });
  const group = { pgid: 0 };
  t.after(() => void parent.kill("SIGKILL"));
  cleanUpGroup(t, () => group.pgid);
  let out = "";
  for await (const chunk of parent.stdout!) {
    out += String(chunk);
    if (out.includes("\n")) break;
  }
  group.pgid = Number(out.trim());
  assert.ok(group.pgid > 0, `the parent printed its group: ${JSON.stringify(out)}`);
  // sh and its two sleeps
  await waitFor(() => groupMembers(group.pgid).length === 3, `the tree of group ${group.pgid} to start`);
  return { parent, pgid: group.pgid };
}

async function waitFor(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + GENEROUS_MS;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("process groups of the test harness (test/harness/processGroup.mjs)", { skip: onlyOn("linux") }, () => {
  it("stops a whole tree with SIGTERM", async (t) => {
    const tree = spawnGroup("sh", ["-c", "sleep 300 & sleep 300 & wait"], { stdio: "ignore" }) as ChildProcess;
    cleanUpGroup(t, () => tree.pid);
    await waitFor(() => groupMembers(tree.pid!).length === 3, "the tree to start");
    await stopGroup(tree.pid!, { graceMs: GENEROUS_MS });
    assert.deepEqual(groupMembers(tree.pid!), []);
  });

  it("sends SIGKILL to a tree that ignores SIGTERM, after the grace period", async (t) => {
    const tree = spawnGroup("sh", ["-c", "trap '' TERM; sleep 300 & sleep 300 & wait"], {
      stdio: "ignore",
    }) as ChildProcess;
    cleanUpGroup(t, () => tree.pid);
    await waitFor(() => groupMembers(tree.pid!).length === 3, "the tree to start");
    const exited = once(tree, "exit");
    await stopGroup(tree.pid!, { graceMs: 300 });
    assert.deepEqual(groupMembers(tree.pid!), []);
    const [, signal] = await exited;
    assert.equal(signal, "SIGKILL", "the escalation, not SIGTERM, ended it");
  });

  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
    it(`takes its tracked group down when the parent gets ${signal}`, async (t) => {
      const { parent, pgid } = await startParent(t, "wait");
      parent.kill(signal);
      const [code] = await once(parent, "exit");
      assert.equal(code, 128 + { SIGTERM: 15, SIGINT: 2, SIGHUP: 1 }[signal], "it exits as a signalled process would");
      assert.deepEqual(groupMembers(pgid), [], "no process of the group is left");
    });
  }

  it("takes a tree that ignores SIGTERM down too (SIGKILL after the grace period)", async (t) => {
    const { parent, pgid } = await startParent(t, "wait", "ignore-term");
    parent.kill("SIGTERM");
    await once(parent, "exit");
    assert.deepEqual(groupMembers(pgid), []);
  });

  it("takes its tracked group down when the parent exits by itself", async (t) => {
    const { parent, pgid } = await startParent(t, "exit");
    const [code] = await once(parent, "exit");
    assert.equal(code, 0);
    // SIGKILL was sent synchronously on exit; the kernel may take a moment to end the processes.
    assert.equal(await waitForGroupGone(pgid, GENEROUS_MS), true, `left: ${groupMembers(pgid).join(", ")}`);
  });
});
