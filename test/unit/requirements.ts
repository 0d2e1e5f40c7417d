// What a test needs from the machine it runs on (root, a tool, a Linux kernel feature), checked in
// one place. On a developer's machine a test whose need is not met skips, saying why and what to
// install; under CI=true (where the project installs every tool and runs as root) it fails, so a CI
// image cannot pass by testing less. A test written for another operating system is not a need: it
// skips everywhere, and `npm test` lists it with the other skips.
import { spawnSync } from "node:child_process";
import type { TestContext } from "node:test";

/** CI=true: every need must be met; a missing one is a failure. */
export const needsAreRequired = process.env.CI === "true";

/**
 * `reason` is why a need is not met here (undefined when it is). Under CI=true that is an error,
 * thrown; elsewhere the reason is returned for the caller to skip with.
 */
export function unmet(reason: string | undefined): string | undefined {
  if (reason && needsAreRequired) throw new Error(`${reason} (required under CI=true)`);
  return reason;
}

/** Why this process cannot act as root `to` do something (undefined when it is root). */
export function rootMissing(to: string): string | undefined {
  return process.getuid?.() === 0 ? undefined : unmet(`needs root ${to}`);
}

/** Which of `tools` are not on PATH, in words (undefined when all are). */
export function toolsMissing(...tools: string[]): string | undefined {
  const missing = tools.filter((tool) => spawnSync("sh", ["-c", 'command -v "$1"', "sh", tool]).status !== 0);
  if (missing.length === 0) return undefined;
  return unmet(`${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} required for this test but not installed`);
}

/**
 * Why `tool` cannot run with `args` (a version query), or undefined when it runs: for tools whose
 * presence on PATH is not enough (a wrapper script without its program).
 */
export function toolCannotRun(tool: string, args: string[]): string | undefined {
  const ran = spawnSync(tool, args, { stdio: "ignore" });
  if (!ran.error && ran.status === 0) return undefined;
  return unmet(`${tool} is required for this test but does not run (${ran.error?.message ?? `exit ${ran.status}`})`);
}

/**
 * Inside a test: true when `reason` is undefined (the need is met). Otherwise the test skips with
 * the reason and this returns false (the caller returns); under CI=true it throws instead.
 */
export function need(t: TestContext, reason: string | undefined): boolean {
  if (!unmet(reason)) return true;
  t.skip(reason);
  return false;
}

/** `need` for tools on PATH: `if (!needTools(t, "curl")) return;`. */
export function needTools(t: TestContext, ...tools: string[]): boolean {
  return need(t, toolsMissing(...tools));
}

/** `need` for root: `if (!needRoot(t, "to chown to nobody")) return;`. */
export function needRoot(t: TestContext, to: string): boolean {
  return need(t, rootMissing(to));
}

/**
 * For a test's `skip` option when it is about one operating system: false on `platform`, else the
 * reason it is skipped (never a failure, also under CI=true).
 */
export function onlyOn(platform: NodeJS.Platform): string | false {
  return process.platform === platform ? false : `${platform} only (this is ${process.platform})`;
}
