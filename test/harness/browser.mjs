// Debian's Chromium driven by playwright-core (Playwright's own browser download cannot run here).
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exitOnSignals } from "./processGroup.mjs";

export const CHROMIUM = process.env.SWITCHYARD_CHROMIUM ?? "/usr/bin/chromium";
/** Flags for a headless Chromium on a machine without internet (shared with the TS tests). */
export const CHROMIUM_ARGS = JSON.parse(readFileSync(new URL("./chromium-flags.json", import.meta.url), "utf8"));

/** Throws (never skips) when Chromium is missing: browser tests are part of the suite. */
export function requireChromium() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is missing at ${CHROMIUM}: apt-get update && apt-get install -y chromium`);
  }
  return CHROMIUM;
}

/**
 * Launches a persistent-context-free headless Chromium; returns { browser, close() }. Playwright
 * starts it in a process group of its own and kills that group when this process exits; a signal
 * makes this process exit (processGroup.mjs) instead of only asking the browser to close.
 */
export async function launchChromium({ args = [], env } = {}) {
  const { chromium } = await import("playwright-core");
  exitOnSignals();
  const profile = mkdtempSync(join(tmpdir(), "switchyard-chromium-"));
  const browser = await chromium.launch({
    executablePath: requireChromium(),
    headless: true,
    args: [...CHROMIUM_ARGS, ...args],
    env: env ?? process.env,
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  return {
    browser,
    async close() {
      await browser.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
