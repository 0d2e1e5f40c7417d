/**
 * Shared steps for browser tests against the real VS Code workbench: a VS Code server with the
 * extension under development, Chromium through Playwright, the command palette and the panel's
 * webview frame.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FrameLocator, Locator, Page } from "playwright-core";
// @ts-expect-error: plain JS harness module shared with `npm start` and the integration runner
import { launchChromium } from "../harness/browser.mjs";
// @ts-expect-error: plain JS harness module shared with `npm start` and the integration runner
import { repoRoot, startVsCodeServer, workbenchUrl } from "../harness/codeServer.mjs";

export const ARTIFACTS = join(repoRoot as string, ".test-artifacts");

export interface Workbench {
  page: Page;
  workspace: string;
  work: string;
  close(): Promise<void>;
}

/** Opens a workspace with the given settings in a fresh VS Code server and browser. */
export async function openWorkbench(
  options: {
    settings?: Record<string, unknown>;
    userSettings?: Record<string, unknown>;
    env?: Record<string, string>;
    /** With workspace trust enabled in userSettings: expect the folder to open in Restricted Mode. */
    trust?: "deny";
    /** Files written into the workspace before the window opens (path relative to it: contents). */
    files?: Record<string, string>;
  } = {},
): Promise<Workbench> {
  const work = mkdtempSync(join(tmpdir(), "switchyard-e2e-"));
  const workspace = join(work, "workspace");
  mkdirSync(join(workspace, ".vscode"), { recursive: true });
  writeFileSync(join(workspace, ".vscode", "settings.json"), JSON.stringify(options.settings ?? {}, null, 2));
  for (const [path, contents] of Object.entries(options.files ?? {})) writeFileSync(join(workspace, path), contents);
  const server = await startVsCodeServer({
    settings: options.userSettings ?? {},
    env: { SWITCHYARD_CAROOT: join(work, "ca"), ...options.env },
  });
  let closeBrowser: (() => Promise<void>) | undefined;
  const close = async (): Promise<void> => {
    await closeBrowser?.();
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  };
  // A workbench that does not come up must not leave its server and browser behind: the test's
  // `after` never sees this Workbench to close it.
  try {
    const launched = await launchChromium();
    closeBrowser = launched.close;
    const page: Page = await launched.browser.newPage({ viewport: { width: 1400, height: 900 } });
    // A loaded 2-core machine (CI, parallel e2e runs) was seen to take over 30 s to load the workbench.
    await page.goto(workbenchUrl(server, { folder: workspace }), { timeout: 120_000 });
    await page.locator(".monaco-workbench").waitFor({ timeout: 60_000 });
    if (options.trust === "deny") {
      // A development host opens an unknown folder in Restricted Mode (with a banner, no prompt).
      await page.locator(".statusbar-item", { hasText: "Restricted Mode" }).first().waitFor({ timeout: 60_000 });
    }
    // The Switchyard status bar item appears once the extension has activated (onStartupFinished, or
    // workspaceContains:package.json while the window starts).
    await page.locator(".statusbar-item", { hasText: "Switchyard" }).first().waitFor({ timeout: 90_000 });
    return { page, workspace, work, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** Runs a command from the palette by its title, as a user would. */
export async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible", timeout: 15_000 });
  await input.fill(`>${title}`);
  const row = page.locator(".quick-input-list .monaco-list-row", { hasText: title }).first();
  await row.waitFor({ timeout: 30_000 });
  await input.press("Enter");
}

/** The Switchyard panel's document inside the webview's nested iframes. */
export function panelFrame(page: Page): FrameLocator {
  return page.frameLocator("iframe.webview.ready").frameLocator("#active-frame");
}

/**
 * What a screenshot is taken to show, asserted: `locator` is visible and its text matches `text`.
 * A screenshot is an artifact for people; this is what makes the test fail when the view is wrong.
 */
export async function assertShows(locator: Locator, text: RegExp, what: string): Promise<void> {
  await locator.waitFor({ state: "visible", timeout: 15_000 }).catch(() => {
    throw new Error(`${what}: not visible`);
  });
  assert.match(await locator.innerText(), text, what);
}

/** The panel webview's theme as VS Code tells it (the class on the webview's body). */
export async function panelTheme(frame: FrameLocator): Promise<"dark" | "light" | "other"> {
  const cls = (await frame.locator("body").getAttribute("class")) ?? "";
  return /\bvscode-dark\b/.test(cls) ? "dark" : /\bvscode-light\b/.test(cls) ? "light" : "other";
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, name);
  await page.screenshot({ path });
  return path;
}

/** Switches the colour theme through the workspace settings file, which VS Code watches. */
export async function setTheme(wb: Workbench, theme: "Default Light Modern" | "Default Dark Modern"): Promise<void> {
  const file = join(wb.workspace, ".vscode", "settings.json");
  const current = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  writeFileSync(file, JSON.stringify({ ...current, "workbench.colorTheme": theme }, null, 2));
  await wb.page.locator(`.monaco-workbench.${theme.includes("Dark") ? "vs-dark" : "vs"}`).waitFor({ timeout: 20_000 });
}
