/**
 * The leaf cache is bounded in memory and on disk, least recently used first out (issue 22 item
 * 3): a client inventing SNI names cannot grow the proxy's memory or the leaves folder without end.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { LocalCa } from "../../../extension/core/ca/index";
import { MAX_LEAVES_IN_MEMORY, MAX_LEAVES_ON_DISK } from "../../../extension/core/ca/leafCache";

describe("leaf cache bounds", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), "switchyard-leafbounds-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("has documented defaults a developer's names stay far below", () => {
    assert.ok(MAX_LEAVES_IN_MEMORY >= 100 && MAX_LEAVES_IN_MEMORY <= 1000, String(MAX_LEAVES_IN_MEMORY));
    assert.ok(MAX_LEAVES_ON_DISK >= MAX_LEAVES_IN_MEMORY, String(MAX_LEAVES_ON_DISK));
  });

  it("keeps at most the bound in memory, dropping the least recently used", async () => {
    await LocalCa.openOrCreate({ dir: path.join(dir, "mem") });
    const ca = await LocalCa.open({ dir: path.join(dir, "mem"), diskCache: false, leafCacheLimits: { inMemory: 2 } });
    const a = await ca.leafFor("a.test");
    const b = await ca.leafFor("b.test");
    assert.equal((await ca.leafFor("a.test")).fingerprint256, a.fingerprint256, "a is used again: most recent");
    await ca.leafFor("c.test"); // over the bound: b, the least recently used, goes
    assert.equal((await ca.leafFor("a.test")).fingerprint256, a.fingerprint256, "a was kept");
    assert.notEqual((await ca.leafFor("b.test")).fingerprint256, b.fingerprint256, "b was dropped and issued again");
  });

  it("keeps at most the bound on disk, removing the least recently used files", async () => {
    await LocalCa.openOrCreate({ dir: path.join(dir, "disk") });
    const open = (): Promise<LocalCa> =>
      LocalCa.open({ dir: path.join(dir, "disk"), leafCacheLimits: { inMemory: 1, onDisk: 3 } });
    const ca = await open();
    const names = ["n1.test", "n2.test", "n3.test", "n4.test", "n5.test"];
    for (const name of names) {
      await ca.leafFor(name);
      await ca.diskWritesDone();
    }
    const leavesDir = path.join(dir, "disk", "leaves");
    const files = readdirSync(leavesDir).sort();
    assert.deepEqual(
      files,
      ["n3.test-key.pem", "n3.test.pem", "n4.test-key.pem", "n4.test.pem", "n5.test-key.pem", "n5.test.pem"],
      "the three most recent leaves, two files each",
    );

    // A new process lists the folder once and goes on from there: reading n3 makes it the most recent.
    const next = await open();
    await next.leafFor("n3.test");
    await next.diskWritesDone();
    await next.leafFor("n6.test");
    await next.diskWritesDone();
    const after = readdirSync(leavesDir).filter((f) => !f.endsWith("-key.pem"));
    assert.deepEqual(after.sort(), ["n3.test.pem", "n5.test.pem", "n6.test.pem"], "n4 went, not n3");
  });
});
