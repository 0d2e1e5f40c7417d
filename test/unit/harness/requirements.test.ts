import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";

const root = join(__dirname, "..", "..", "..");
const fixture = join("test", "fixtures", "requirements", "needsMissingTool.test.ts");

/** Runs the fixture's two tests with CI set as given; returns node:test's TAP report. */
function runFixture(ci: string | undefined): string {
  const env = { ...process.env };
  // Set by the node:test runner running this file; a child that sees it reports to it, not as TAP.
  delete env.NODE_TEST_CONTEXT;
  if (ci === undefined) delete env.CI;
  else env.CI = ci;
  const ran = spawnSync(process.execPath, ["--import", "tsx", "--test", "--test-reporter=tap", fixture], {
    cwd: root,
    env,
    encoding: "utf8",
    timeout: 60_000,
  });
  return ran.stdout;
}

describe("a test's needs (requirements.ts)", () => {
  it("skip with the reason on a developer's machine", () => {
    const tap = runFixture(undefined);
    assert.match(
      tap,
      /ok 1 - needs a tool that is not installed # SKIP switchyard-no-such-tool is required .* not installed/,
    );
    assert.match(tap, /ok 2 - runs on another operating system only # SKIP (linux|aix) only/);
    assert.match(tap, /^# fail 0$/m);
  });

  it("fail under CI=true, while a test for another operating system still skips", () => {
    const tap = runFixture("true");
    assert.match(tap, /not ok 1 - needs a tool that is not installed/);
    assert.match(tap, /switchyard-no-such-tool is required .* \(required under CI=true\)/);
    assert.match(tap, /ok 2 - runs on another operating system only # SKIP/);
    assert.match(tap, /^# fail 1$/m);
  });
});
