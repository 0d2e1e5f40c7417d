/**
 * The CA folder watch that keeps a running proxy on the CA on disk (issue 21): a CA replaced the
 * way `ca create --force` does it (a new folder renamed into place, the old one moved aside) is
 * reported, again for a second replacement (the watch follows the new folder, not the old one).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { caIdentity, watchCaDir, type CaWatch } from "../../../extension/core/ca/caWatch";
import { createCa } from "../../../extension/core/ca/index";

describe("watching the CA folder", () => {
  let parent: string;
  let watch: CaWatch | undefined;
  before(() => {
    parent = mkdtempSync(path.join(tmpdir(), "switchyard-cawatch-"));
  });
  after(() => {
    watch?.close();
    rmSync(parent, { recursive: true, force: true });
  });

  it("reports each CA that replaces the folder, with the identity read after it settled", async () => {
    const dir = path.join(parent, "ca");
    await createCa({ dir });
    const first = caIdentity(dir);
    assert.ok(first, "a complete CA has an identity");
    const seen: (string | undefined)[] = [];
    let notify: (() => void) | undefined;
    watch = watchCaDir(
      dir,
      () => {
        seen.push(caIdentity(dir));
        notify?.();
      },
      { debounceMs: 50 },
    );
    const reported = (count: number): Promise<boolean> =>
      new Promise((resolve) => {
        const timer = setTimeout(() => resolve(seen.length >= count), 15_000);
        notify = () => {
          if (seen.length < count) return;
          clearTimeout(timer);
          resolve(true);
        };
        notify();
      });

    await createCa({ dir, force: true });
    assert.ok(await reported(1), "the first replacement was reported");
    const second = caIdentity(dir);
    assert.notEqual(second, first);
    assert.equal(seen[0], second);

    await createCa({ dir, force: true });
    assert.ok(await reported(2), "the second replacement was reported too");
    assert.notEqual(seen[1], second);
    assert.equal(seen[1], caIdentity(dir));
  });

  it("has no identity for a folder without a complete CA", () => {
    assert.equal(caIdentity(path.join(parent, "nothing-here")), undefined);
  });
});
