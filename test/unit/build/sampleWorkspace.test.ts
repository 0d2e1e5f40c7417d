/**
 * `npm start` opens a copy of the sample workspace, never the tracked fixture: what the extension
 * writes there (Add Route, Change Port) is thrown away on the next start.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { after, describe, it } from "node:test";
// @ts-expect-error: plain JS module of scripts/, shared with `npm start`
import { freshSampleWorkspace } from "../../../scripts/sampleWorkspace.mjs";

const FIXTURE = resolve(__dirname, "../../fixtures/sample-workspace");
const SETTINGS = join(".vscode", "settings.json");

describe("npm start's sample workspace", () => {
  const stateDir = mkdtempSync(join(tmpdir(), "switchyard-start-state-"));
  after(() => rmSync(stateDir, { recursive: true, force: true }));
  const copy = (): string => freshSampleWorkspace({ fixture: FIXTURE, stateDir }) as string;

  it("is a copy of the fixture outside the repository", () => {
    const folder = copy();
    assert.ok(isAbsolute(folder) && folder.startsWith(stateDir), folder);
    for (const file of [SETTINGS, "server.js", "README.md"])
      assert.equal(readFileSync(join(folder, file), "utf8"), readFileSync(join(FIXTURE, file), "utf8"), file);
  });

  it("takes the extension's writes into the copy and starts from the fixture again next time", () => {
    const fixtureBefore = readFileSync(join(FIXTURE, SETTINGS), "utf8");
    const folder = copy();
    const route = { host: "added.test", upstream: "http://127.0.0.1:3000" };
    writeFileSync(join(folder, SETTINGS), JSON.stringify({ "switchyard.proxy.routes": [route] }));
    writeFileSync(join(folder, "left-behind.txt"), "from the last session");
    assert.equal(readFileSync(join(FIXTURE, SETTINGS), "utf8"), fixtureBefore, "the tracked fixture is untouched");
    const again = copy();
    assert.equal(again, folder);
    assert.equal(readFileSync(join(again, SETTINGS), "utf8"), fixtureBefore);
    assert.throws(() => readFileSync(join(again, "left-behind.txt")), /ENOENT/);
  });
});
