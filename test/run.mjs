// `npm test`: every suite, one summary line at the end ("N passed, N failed") for CI.
//   node test/run.mjs                 static checks, unit, extension host, browser
//   node test/run.mjs unit e2e        only the named phases
// Phases: static (typecheck, lint, format), unit (node:test over test/unit/**), integration
// (mocha inside the real VS Code extension host), e2e (Playwright + Chromium against the real
// workbench and the panel). Artifacts (screenshots) go to .test-artifacts/.
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { repoRoot } from "./harness/codeServer.mjs";

const ALL = ["static", "unit", "integration", "e2e"];
const phases = process.argv.slice(2).filter((a) => ALL.includes(a));
const selected = phases.length > 0 ? phases : ALL;
const totals = { passed: 0, failed: 0 };
const failures = [];
const started = Date.now();

function run(cmd, args, { env = {}, capture = false } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: capture ? ["ignore", "pipe", "pipe"] : "inherit",
    });
    let out = "";
    if (capture) {
      child.stdout.on("data", (d) => (out += d));
      child.stderr.on("data", (d) => (out += d));
    }
    child.on("close", (code) => resolve({ code, out }));
    child.on("error", (e) => resolve({ code: 127, out: String(e) }));
  });
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

/** Runs node:test over files; counts come from the TAP summary written beside the spec output. */
async function nodeTests(label, files, extraEnv = {}) {
  if (files.length === 0) {
    record(`${label}: test files exist`, false, "no test files found");
    return;
  }
  const tap = join(tmpdir(), `switchyard-${label}-${process.pid}.tap`);
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
    { env: extraEnv },
  );
  let text = "";
  try {
    text = readFileSync(tap, "utf8");
    rmSync(tap, { force: true });
  } catch {
    /* reported below */
  }
  const pass = Number(/^# pass (\d+)/m.exec(text)?.[1] ?? NaN);
  const fail = Number(/^# fail (\d+)/m.exec(text)?.[1] ?? NaN);
  if (Number.isNaN(pass) || Number.isNaN(fail)) {
    record(`${label}: test runner finished`, false, `exit code ${code}, no TAP summary`);
    return;
  }
  totals.passed += pass;
  totals.failed += fail;
  for (const m of text.matchAll(/^\s*not ok \d+ - (.*)$/gm)) failures.push(`${label}: ${m[1]}`);
  if (code !== 0 && fail === 0) record(`${label}: test runner exit code`, false, `exit code ${code}`);
  const todo = Number(/^# todo (\d+)/m.exec(text)?.[1] ?? 0);
  for (const m of text.matchAll(/^\s*(?:not )?ok \d+ - (.*) # TODO (.*)$/gm))
    console.log(`known open problem (todo): ${m[1]}: ${m[2]}`);
  console.log(
    `${label}: ${pass} passed, ${fail} failed${todo ? `, ${todo} todo (known open problems, listed above)` : ""}`,
  );
}

if (selected.includes("static")) {
  console.log("\n== static checks ==");
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
    const { code, out } = await run(process.execPath, args, { capture: true });
    if (code !== 0) console.log(out);
    record(name, code === 0, code === 0 ? "" : "see output above");
  }
}

if (selected.includes("unit")) {
  console.log("\n== unit (node:test) ==");
  await nodeTests("unit", findTests(join(repoRoot, "test", "unit")));
}

if (selected.includes("integration")) {
  console.log("\n== integration (inside the real VS Code extension host) ==");
  const build = await run(process.execPath, [join(repoRoot, "scripts", "build.mjs")]);
  if (build.code !== 0) record("build", false, `exit code ${build.code}`);
  else {
    try {
      const { runExtensionTests } = await import("./harness/extensionTests.mjs");
      const r = await runExtensionTests({ artifacts: join(repoRoot, ".test-artifacts") });
      for (const t of r.tests) console.log(`${t.state === "passed" ? "ok  " : "FAIL"} ${t.title}`);
      for (const f of r.failures) console.log(`--- ${f.title}\n${f.error}`);
      for (const n of r.notes ?? []) console.log(`note: ${n}`);
      totals.passed += r.passed;
      totals.failed += r.failed;
      failures.push(...r.failures.map((f) => `integration: ${f.title}`));
      if (r.passed + r.failed === 0) record("integration: tests ran", false, "no test reported a result");
      console.log(`integration: ${r.passed} passed, ${r.failed} failed`);
    } catch (e) {
      record("integration: harness", false, e.message);
      console.log(e.stack);
    }
  }
}

if (selected.includes("e2e")) {
  console.log("\n== e2e (Playwright + Chromium) ==");
  mkdirSync(join(repoRoot, ".test-artifacts"), { recursive: true });
  await nodeTests("e2e", findTests(join(repoRoot, "test", "e2e")));
}

const seconds = ((Date.now() - started) / 1000).toFixed(0);
if (failures.length > 0) console.log(`\nFailures:\n${failures.map((f) => `  - ${f}`).join("\n")}`);
console.log(`\n(${selected.join(", ")} in ${seconds} s)`);
console.log(`${totals.passed} passed, ${totals.failed} failed`);
// Exit explicitly: a stray handle (a browser helper, a timer) must never keep CI waiting.
process.exit(totals.failed > 0 || totals.passed === 0 ? 1 : 0);
