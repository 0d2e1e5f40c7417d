// `npm test`: every suite, one summary line at the end ("N passed, N failed, N skipped") for CI,
// with every skipped test listed (name and reason) above it.
//   node test/run.mjs                 static checks, unit, extension host, browser
//   node test/run.mjs unit e2e        only the named phases
// Phases: static (typecheck, lint, format), unit (node:test over test/unit/**), integration
// (mocha inside the real VS Code extension host), e2e (Playwright + Chromium against the real
// workbench and the panel). Artifacts (screenshots) go to .test-artifacts/.
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { repoRoot } from "./harness/codeServer.mjs";
import {
  exitOnSignals,
  groupMembers,
  signalGroup,
  spawnGroup,
  stoppingOnSignal,
  trackGroup,
} from "./harness/processGroup.mjs";
import { skippedTests } from "./harness/tap.mjs";

const ALL = ["static", "unit", "integration", "e2e"];
/** A phase only test/unit/harness/runSignals.test.ts asks for: a test file that starts processes and hangs. */
const SELFTEST = "processes-selftest";
const phases = process.argv.slice(2).filter((a) => ALL.includes(a) || a === SELFTEST);
const selected = phases.length > 0 ? phases : ALL;
const totals = { passed: 0, failed: 0, skipped: 0 };
const failures = [];
/** Every skipped test, "phase: suite › test: reason", listed above the summary line. */
const skips = [];
/** One line per phase for the summary: "unit: 325 passed, 0 failed", or why it could not start. */
const suiteLines = [];
const started = Date.now();
/** Processes a phase left running when it ended (ended then), listed above the summary. */
const leftovers = [];

// Stopped by SIGTERM, SIGINT or SIGHUP (a CI timeout, Ctrl-C), `npm test` takes down what it
// started: each phase runs in a process group of its own, which these signals would not reach,
// and the VS Code servers and browsers are groups of their own too (harness/processGroup.mjs).
exitOnSignals();
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"]) {
  process.on(signal, () => console.log(`\n${signal}: stopping the running phase and every process it started`));
}

/**
 * Runs one step of a phase as the leader of its own process group. When it ends, any process still
 * in its group was started by a test and outlived it: it is listed and killed.
 */
function run(cmd, args, { env = {}, capture = false, label = cmd } = {}) {
  return new Promise((resolve) => {
    const child = spawnGroup(cmd, args, {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: capture ? ["ignore", "pipe", "pipe"] : "inherit",
    });
    const untrack = child.pid ? trackGroup(child.pid, { graceMs: 10_000 }) : () => {};
    let out = "";
    if (capture) {
      child.stdout.on("data", (d) => (out += d));
      child.stderr.on("data", (d) => (out += d));
    }
    child.on("close", (code) => {
      // Stopped by a signal, the phase did not fail: the signal handler ends this process instead.
      if (stoppingOnSignal()) return;
      endLeftovers(child.pid, label);
      untrack();
      resolve({ code, out });
    });
    child.on("error", (e) => {
      untrack();
      resolve({ code: 127, out: String(e) });
    });
  });
}

function endLeftovers(pgid, what) {
  for (const pid of groupMembers(pgid)) {
    let cmdline = "?";
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
    } catch {
      /* gone meanwhile */
    }
    leftovers.push(`${what}: pid ${pid} (${cmdline.slice(0, 200)})`);
  }
  signalGroup(pgid, "SIGKILL");
}

function record(name, ok, detail = "") {
  if (ok) totals.passed += 1;
  else {
    totals.failed += 1;
    failures.push(`${name}${detail ? `: ${detail}` : ""}`);
  }
  console.log(`${ok ? "ok  " : "FAIL"} ${name}`);
}

function findTests(dir) {
  const out = [];
  let entries = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries.sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith(".test.ts")) out.push(p);
  }
  return out;
}

/** How many `it(...)` a suite's files declare: what did not run when the suite could not start. */
function declaredTests(files) {
  let n = 0;
  for (const f of files) n += (readFileSync(f, "utf8").match(/^\s*it\(/gm) ?? []).length;
  return n;
}

/** A suite that never ran its tests: each declared test counts as failed, and the summary says why. */
function suiteDidNotStart(label, files, why) {
  const missing = Math.max(1, declaredTests(files));
  totals.failed += missing;
  failures.push(`${label}: did not start: ${why}`);
  suiteLines.push(`${label}: did not start (${why}); its ${missing} tests count as failed`);
  console.log(`FAIL ${label}: did not start: ${why}`);
}

/** Runs node:test over files; counts come from the TAP summary written beside the spec output. */
async function nodeTests(label, files, extraEnv = {}) {
  if (files.length === 0) {
    record(`${label}: test files exist`, false, "no test files found");
    return;
  }
  const tap = join(tmpdir(), `switchyard-${label}-${process.pid}.tap`);
  // Also when a signal ends this process mid-phase.
  const removeTap = () => rmSync(tap, { force: true });
  process.on("exit", removeTap);
  const { code } = await run(
    process.execPath,
    [
      "--import",
      "tsx",
      "--test",
      "--test-concurrency=1",
      // A hung test fails instead of hanging CI (whole-file budgets are well under this).
      "--test-timeout=300000",
      "--test-reporter=spec",
      "--test-reporter-destination=stdout",
      "--test-reporter=tap",
      `--test-reporter-destination=${tap}`,
      ...files.map((f) => relative(repoRoot, f)),
    ],
    { env: extraEnv, label },
  );
  let text = "";
  try {
    text = readFileSync(tap, "utf8");
    removeTap();
    process.off("exit", removeTap);
  } catch {
    /* reported below */
  }
  const pass = Number(/^# pass (\d+)/m.exec(text)?.[1] ?? NaN);
  const fail = Number(/^# fail (\d+)/m.exec(text)?.[1] ?? NaN);
  if (Number.isNaN(pass) || Number.isNaN(fail)) {
    suiteDidNotStart(label, files, `the test runner ended with exit code ${code} and no TAP summary`);
    return;
  }
  // A test cancelled by a failed hook, a crashed file or a timeout never showed it works: it fails.
  const cancelled = Number(/^# cancelled (\d+)/m.exec(text)?.[1] ?? 0);
  const failed = fail + cancelled;
  const skipped = Number(/^# skipped (\d+)/m.exec(text)?.[1] ?? 0);
  totals.passed += pass;
  totals.failed += failed;
  totals.skipped += skipped;
  skips.push(...skippedTests(text).map((s) => `${label}: ${s}`));
  for (const m of text.matchAll(/^\s*not ok \d+ - (.*)$/gm)) failures.push(`${label}: ${m[1]}`);
  if (code !== 0 && failed === 0) record(`${label}: test runner exit code`, false, `exit code ${code}`);
  const todo = Number(/^# todo (\d+)/m.exec(text)?.[1] ?? 0);
  for (const m of text.matchAll(/^\s*(?:not )?ok \d+ - (.*) # TODO (.*)$/gm))
    console.log(`known open problem (todo): ${m[1]}: ${m[2]}`);
  const line =
    `${label}: ${pass} passed, ${failed} failed, ${skipped} skipped` +
    (cancelled ? ` (${cancelled} cancelled, counted as failed)` : "") +
    (todo ? `, ${todo} todo (known open problems, listed above)` : "");
  suiteLines.push(line);
  console.log(line);
}

if (selected.includes("static")) {
  console.log("\n== static checks ==");
  const staticCounts = { passed: 0, failed: 0 };
  const tsc = join(repoRoot, "node_modules", "typescript", "bin", "tsc");
  for (const [name, args] of [
    ["typecheck extension, tests, bench", [tsc, "-p", "tsconfig.json", "--noEmit"]],
    ["typecheck webview", [tsc, "-p", "webview/tsconfig.json", "--noEmit"]],
    [
      "eslint",
      [
        join(repoRoot, "node_modules", "eslint", "bin", "eslint.js"),
        "extension",
        "webview",
        "test",
        "bench",
        "scripts",
      ],
    ],
    [
      "prettier --check",
      [join(repoRoot, "node_modules", "prettier", "bin", "prettier.cjs"), "--check", "--log-level=warn", "."],
    ],
  ]) {
    const { code, out } = await run(process.execPath, args, { capture: true, label: name });
    if (code !== 0) console.log(out);
    record(name, code === 0, code === 0 ? "" : "see output above");
    if (code === 0) staticCounts.passed += 1;
    else staticCounts.failed += 1;
  }
  suiteLines.push(`static: ${staticCounts.passed} passed, ${staticCounts.failed} failed, 0 skipped`);
}

if (selected.includes("unit")) {
  console.log("\n== unit (node:test) ==");
  await nodeTests("unit", findTests(join(repoRoot, "test", "unit")));
}

if (selected.includes("integration")) {
  console.log("\n== integration (inside the real VS Code extension host) ==");
  const integrationFiles = findTests(join(repoRoot, "test", "integration"));
  const build = await run(process.execPath, [join(repoRoot, "scripts", "build.mjs")], { label: "build" });
  if (build.code !== 0) suiteDidNotStart("integration", integrationFiles, `the build failed (exit code ${build.code})`);
  else {
    try {
      const { runExtensionTests } = await import("./harness/extensionTests.mjs");
      const r = await runExtensionTests({ artifacts: join(repoRoot, ".test-artifacts") });
      const marks = { passed: "ok  ", skipped: "skip" };
      for (const t of r.tests) console.log(`${marks[t.state] ?? "FAIL"} ${t.title}`);
      for (const f of r.failures) console.log(`--- ${f.title}\n${f.error}`);
      for (const n of r.notes ?? []) console.log(`note: ${n}`);
      if (r.passed + r.failed === 0) suiteDidNotStart("integration", integrationFiles, "no test reported a result");
      else {
        // A suite cut short (timeout, crash) reports what ran: the declared tests that did not, fail.
        // Mocha's pending tests (`this.skip()`, `it.skip`) did report: they count as skipped.
        const rSkipped = r.skipped ?? [];
        const missing = Math.max(0, declaredTests(integrationFiles) - r.passed - r.failed - rSkipped.length);
        if (missing > 0) failures.push(`integration: ${missing} tests never reported a result`);
        totals.passed += r.passed;
        totals.failed += r.failed + missing;
        totals.skipped += rSkipped.length;
        failures.push(...r.failures.map((f) => `integration: ${f.title}`));
        skips.push(...rSkipped.map((t) => `integration: ${t.title}: ${t.reason || "(no reason given)"}`));
        const line =
          `integration: ${r.passed} passed, ${r.failed + missing} failed, ${rSkipped.length} skipped` +
          (missing ? ` (${missing} never ran)` : "");
        suiteLines.push(line);
        console.log(line);
      }
    } catch (e) {
      console.log(e.stack);
      suiteDidNotStart("integration", integrationFiles, `the VS Code harness failed: ${e.message.split("\n")[0]}`);
    }
  }
}

if (selected.includes("e2e")) {
  console.log("\n== e2e (Playwright + Chromium) ==");
  mkdirSync(join(repoRoot, ".test-artifacts"), { recursive: true });
  await nodeTests("e2e", findTests(join(repoRoot, "test", "e2e")));
}

if (selected.includes(SELFTEST)) {
  await nodeTests(SELFTEST, [join(repoRoot, "test", "fixtures", "processes", "startsProcesses.test.mjs")]);
}

const seconds = ((Date.now() - started) / 1000).toFixed(0);
if (leftovers.length > 0) {
  console.log(`\nLeft running after their phase ended (killed now):\n${leftovers.map((l) => `  - ${l}`).join("\n")}`);
}
if (skips.length > 0) console.log(`\nSkipped:\n${skips.map((s) => `  - ${s}`).join("\n")}`);
if (failures.length > 0) console.log(`\nFailures:\n${failures.map((f) => `  - ${f}`).join("\n")}`);
console.log(`\nSuites (Node ${process.version}, ${seconds} s):\n${suiteLines.map((l) => `  ${l}`).join("\n")}`);
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
// Exit explicitly: a stray handle (a browser helper, a timer) must never keep CI waiting.
process.exit(totals.failed > 0 || totals.passed === 0 ? 1 : 0);
