// The folder `npm start` opens: a fresh copy of test/fixtures/sample-workspace, so that Add Route,
// Change Port and the other actions that write workspace settings never touch the tracked fixture.
import { cpSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";

/**
 * Copies `fixture` to `<stateDir>/sample-workspace`, replacing what an earlier start left there
 * (each start begins from the tracked fixture again). Returns the copy's absolute path.
 */
export function freshSampleWorkspace({ fixture, stateDir }) {
  const copy = join(stateDir, "sample-workspace");
  rmSync(copy, { recursive: true, force: true });
  mkdirSync(stateDir, { recursive: true });
  cpSync(fixture, copy, { recursive: true });
  return copy;
}
