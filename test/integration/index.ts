/**
 * The integration suite's entry inside the real extension host (loaded through
 * extensionTestsPath). Runs mocha over the bundled tests and writes the counts to
 * $SWITCHYARD_TEST_RESULTS so `npm test` can add them (passed, failed, skipped) to its summary line.
 */
import { writeFileSync } from "node:fs";
import Mocha from "mocha";
import { notes } from "./api";
import { loadSuites } from "./suites";

interface Results {
  passed: number;
  failed: number;
  failures: { title: string; error: string }[];
  tests: { title: string; state: string; durationMs?: number }[];
  /** Mocha's pending tests (`it.skip`, `this.skip()`); mocha keeps no reason, so none is given. */
  skipped: { title: string; reason?: string }[];
  notes: string[];
}

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: "bdd", timeout: 60_000, color: false, reporter: "spec" });
  mocha.suite.emit("pre-require", globalThis, "switchyard-integration", mocha);
  loadSuites();
  const results: Results = { passed: 0, failed: 0, failures: [], tests: [], skipped: [], notes };
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const file = process.env.SWITCHYARD_TEST_RESULTS;
      if (file) writeFileSync(file, JSON.stringify(results, null, 2));
      if (failures > 0) reject(new Error(`${failures} integration test(s) failed`));
      else resolve();
    });
    runner.on("pass", (test) => {
      results.passed += 1;
      results.tests.push({ title: test.fullTitle(), state: "passed", durationMs: test.duration });
    });
    runner.on("pending", (test) => {
      results.skipped.push({ title: test.fullTitle() });
      results.tests.push({ title: test.fullTitle(), state: "skipped" });
    });
    runner.on("fail", (test, err: Error) => {
      results.failed += 1;
      results.failures.push({ title: test.fullTitle(), error: err.stack ?? err.message });
      results.tests.push({ title: test.fullTitle(), state: "failed" });
    });
  });
}
