/**
 * Leaves whose disk copy cannot be written (issue 21): the CA says so to its listeners (the proxy
 * logs it), once until a write succeeds again, and still hands out the leaf. The folder is made
 * unwritable by a file planted where it should be, which stops root as well as anyone.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { LocalCa } from "../../../extension/core/ca/index";
import type { LeafCacheWriteFailure } from "../../../extension/core/ca/types";

describe("leaf cache writes that fail", () => {
  let dir: string;
  let ca: LocalCa;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "switchyard-leafcache-"));
    ({ ca } = await LocalCa.openOrCreate({ dir: path.join(dir, "ca") }));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("are reported once until a write succeeds, and the leaves are still issued", async () => {
    const leavesDir = path.join(dir, "ca", "leaves");
    rmSync(leavesDir, { recursive: true, force: true });
    writeFileSync(leavesDir, "in the way\n");
    const failures: LeafCacheWriteFailure[] = [];
    const unsubscribe = ca.onCacheWriteFailure((f) => failures.push(f));

    const a = await ca.leafFor("first.test");
    const b = await ca.leafFor("second.test");
    await ca.diskWritesDone();
    assert.deepEqual([a.names, b.names], [["first.test"], ["second.test"]]);
    assert.equal(failures.length, 1, "two failed writes, one report");
    assert.ok(failures[0]!.file.startsWith(leavesDir), failures[0]!.file);
    assert.match(failures[0]!.error.message, /EEXIST|ENOTDIR/);

    // Fixed: the next write works and re-arms the report, so a later failure is said again.
    rmSync(leavesDir);
    await ca.leafFor("third.test");
    await ca.diskWritesDone();
    assert.ok(existsSync(path.join(leavesDir, "third.test.pem")), "written once the folder could be made");
    rmSync(leavesDir, { recursive: true });
    writeFileSync(leavesDir, "in the way again\n");
    ca.clearCache();
    await ca.leafFor("fourth.test");
    await ca.diskWritesDone();
    assert.equal(failures.length, 2, "reported again after a success");
    unsubscribe();
  });
});
