/** Leaf files are named from the validated, normalised name, never from a caller's bytes as given (issue 22 item 5). */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { CA_FILES, LocalCa, leafFileBase } from "../../../extension/core/ca/index";

describe("leaf file names", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), "switchyard-leafnames-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("are the name itself for DNS names, wildcards and addresses", () => {
    assert.equal(leafFileBase("app.test"), "app.test");
    assert.equal(leafFileBase("*.api.test"), "_wildcard.api.test");
    assert.equal(leafFileBase("127.0.0.1"), "127.0.0.1");
    assert.equal(leafFileBase("::1"), "__1");
  });

  it("are a hash for anything else: no spaces, control characters, separators or leading dot", () => {
    for (const name of [" app.test", "app.test\n", "../../etc/passwd", "a/b", "a\\b", "..", "App.Test", "é.test"]) {
      const base = leafFileBase(name);
      assert.match(base, /^name-[0-9a-f]{32}$/, JSON.stringify(name));
    }
    assert.notEqual(leafFileBase(" app.test"), leafFileBase("app.test\n"));
  });

  it("give every spelling of one name one leaf and one pair of files", async () => {
    const caDir = path.join(dir, "ca");
    const { ca } = await LocalCa.openOrCreate({ dir: caDir });
    const first = await ca.leafFor("app.test");
    for (const spelling of ["APP.test", "app.test.", " app.test", "app.test\n"]) {
      assert.equal((await ca.leafFor(spelling)).fingerprint256, first.fingerprint256, JSON.stringify(spelling));
      assert.ok(await ca.secureContextFor(spelling));
    }
    await assert.rejects(ca.leafFor("app test"), /not a valid DNS name/);
    await assert.rejects(ca.leafFor("app.test\n.x"), /"app\.test\\n\.x" is not a valid DNS name/);
    await ca.diskWritesDone();
    assert.deepEqual(readdirSync(path.join(caDir, CA_FILES.leaves)).sort(), ["app.test-key.pem", "app.test.pem"]);
    assert.equal(ca.leavesInMemory, 1);
  });
});
