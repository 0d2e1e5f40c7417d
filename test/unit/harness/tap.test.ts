import assert from "node:assert/strict";
import { describe, it } from "node:test";
// @ts-expect-error: plain JS harness module shared with run.mjs
import { skippedTests } from "../../harness/tap.mjs";

/** node:test's TAP output for a suite with skipped tests at two depths (Node 20's format). */
const tap = `TAP version 13
# Subtest: ca cli
    # Subtest: trusts as a second user
    ok 1 - trusts as a second user # SKIP needs root (to create a second user)
      ---
      duration_ms: 0.85
      ...
    # Subtest: prints the status
    ok 2 - prints the status
      ---
      duration_ms: 0.18
      ...
    # Subtest: a name with \\# in it
    ok 3 - a name with \\# in it # SKIP
      ---
      duration_ms: 0.16
      ...
    # Subtest: later
    ok 4 - later # TODO not yet
      ...
    1..4
ok 1 - ca cli
  ---
  type: 'suite'
  ...
# Subtest: macOS keychain
ok 2 - macOS keychain # SKIP macOS only
  ...
1..2
# tests 4
# pass 1
# skipped 3
`;

describe("the TAP reader of npm test's summary", () => {
  it("lists each skipped test with its suite and its reason, and nothing else", () => {
    assert.deepEqual(skippedTests(tap), [
      "ca cli › trusts as a second user: needs root (to create a second user)",
      "ca cli › a name with # in it: (no reason given)",
      "macOS keychain: macOS only",
    ]);
  });
});
