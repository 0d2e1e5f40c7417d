// `npm run test:desktop`: the same integration suite under @vscode/test-electron, for machines
// that can download desktop VS Code (this project's CI machines cannot; `npm test` uses the VS Code
// server from code-server instead, see test/harness/extensionTests.mjs).
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runTests } from "@vscode/test-electron";
import { repoRoot } from "./codeServer.mjs";

const work = mkdtempSync(join(tmpdir(), "switchyard-desktop-"));
const workspace = join(work, "workspace");
mkdirSync(join(workspace, ".vscode"), { recursive: true });
writeFileSync(
  join(workspace, ".vscode", "settings.json"),
  JSON.stringify({ "switchyard.proxy.listen": ["127.0.0.1:0"] }, null, 2),
);
const resultsFile = join(work, "results.json");
process.env.SWITCHYARD_TEST_RESULTS = resultsFile;
process.env.SWITCHYARD_TEST_WORK = work;
process.env.SWITCHYARD_CAROOT = join(work, "ca");
try {
  await runTests({
    extensionDevelopmentPath: repoRoot,
    extensionTestsPath: join(repoRoot, "out", "integration", "index.js"),
    launchArgs: [workspace, "--disable-extensions", "--disable-workspace-trust"],
    extensionTestsEnv: {
      SWITCHYARD_TEST_RESULTS: resultsFile,
      SWITCHYARD_TEST_WORK: work,
      SWITCHYARD_CAROOT: join(work, "ca"),
    },
  });
  console.log("desktop integration suite passed");
} catch (e) {
  console.error(`desktop integration suite failed: ${e.message ?? e}`);
  process.exitCode = 1;
}
