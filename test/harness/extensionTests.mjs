// Runs the integration suite inside the real (remote) extension host of a VS Code server,
// as ../../CONTRIBUTING.md describes: the workbench honours extensionDevelopmentPath/extensionTestsPath
// from the URL payload when the server runs with --enable-smoke-test-driver, and reports the end
// of the tests through window.codeAutomationExit(code).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchChromium } from "./browser.mjs";
import { freePort, repoRoot, startVsCodeServer, workbenchUrl } from "./codeServer.mjs";

/**
 * Runs the bundled suite (out/integration/index.js) in a fresh VS Code. Returns
 * { passed, failed, failures: [{title, error}], skipped: [{title, reason}], tests, notes, exitCode }.
 */
export async function runExtensionTests({ timeoutMs = 300_000, artifacts } = {}) {
  const testsPath = join(repoRoot, "out", "integration", "index.js");
  if (!existsSync(testsPath)) throw new Error(`${testsPath} is missing: run npm run build first`);
  const { work, workspace, server, browser, stop } = await startExtensionHost({
    prefix: "switchyard-it-",
    env: (dir) => ({ SWITCHYARD_TEST_RESULTS: join(dir, "results.json"), SWITCHYARD_TEST_WORK: dir }),
  });
  const resultsFile = join(work, "results.json");
  try {
    const page = await browser.newPage();
    const exited = new Promise((resolve) => page.exposeFunction("codeAutomationExit", (code) => resolve(code)));
    await page.goto(workbenchUrl(server, { folder: workspace, testsPath }));
    let timer;
    const timeout = new Promise((resolve) => (timer = setTimeout(() => resolve("timeout"), timeoutMs)));
    const exitCode = await Promise.race([exited, timeout]);
    clearTimeout(timer);
    if (artifacts) {
      mkdirSync(artifacts, { recursive: true });
      await page.screenshot({ path: join(artifacts, "integration-workbench.png") }).catch(() => {});
    }
    let results = { passed: 0, failed: 0, failures: [], skipped: [], tests: [] };
    if (existsSync(resultsFile)) results = JSON.parse(readFileSync(resultsFile, "utf8"));
    if (exitCode === "timeout") {
      results.failed += 1;
      results.failures.push({
        title: "integration suite",
        error: `did not finish within ${timeoutMs} ms\n${server.output().slice(-4000)}`,
      });
    } else if (exitCode !== 0 && results.failed === 0) {
      results.failed += 1;
      results.failures.push({
        title: "integration suite",
        error: `the extension host reported exit code ${exitCode}\n${server.output().slice(-4000)}`,
      });
    }
    return { ...results, exitCode };
  } finally {
    await stop();
  }
}

/**
 * A fresh VS Code server and browser for one run of the extension: a temp `work` dir holding a
 * workspace whose proxy listens on a free loopback port (so nothing collides with the machine),
 * the CA and data dirs of its own; `env(work)` adds the extension host's variables. Used by the
 * integration suite and the VS Code cost bench. `stop()` closes both and removes `work`.
 */
export async function startExtensionHost({ prefix, env = () => ({}) }) {
  const work = mkdtempSync(join(tmpdir(), prefix));
  const workspace = join(work, "workspace");
  mkdirSync(join(workspace, ".vscode"), { recursive: true });
  // Still a picked port, bound later by the extension's proxy: the integration tests need one
  // fixed number that survives turning the proxy off and on and writing it back into settings
  // (states.test.ts: "the URL keeps the port while off"), which port 0 would change each time.
  const proxyPort = await freePort();
  writeFileSync(
    join(workspace, ".vscode", "settings.json"),
    JSON.stringify({ "switchyard.proxy.listen": [`127.0.0.1:${proxyPort}`] }, null, 2),
  );
  const server = await startVsCodeServer({
    env: {
      ...env(work),
      SWITCHYARD_TEST_PORT: String(proxyPort),
      SWITCHYARD_CAROOT: join(work, "ca"),
      SWITCHYARD_DATA_DIR: join(work, "data"),
    },
  });
  let launched;
  try {
    launched = await launchChromium();
  } catch (e) {
    await server.stop();
    throw e;
  }
  const { browser, close } = launched;
  const stop = async () => {
    await close();
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  };
  return { work, workspace, server, browser, stop };
}
