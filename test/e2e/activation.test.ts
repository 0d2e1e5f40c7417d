/**
 * When VS Code activates Switchyard: in a web app's folder (a package.json at its root) on
 * `workspaceContains:package.json`, while the window starts and on its own, so that VS Code's
 * Running Extensions view reports Switchyard's own load and activate time rather than a batch of
 * other extensions' (onStartupFinished queues them all at once). The status bar item and the Routes
 * view work as they do after onStartupFinished (every other e2e file opens a folder without one).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { revealInSwitchyardViews } from "./switchyardViews";
import { openWorkbench, runCommand, screenshot, type Workbench } from "./workbench";

const SITE = "activation-site.test";

describe("activation in a web app's folder (package.json)", () => {
  let wb: Workbench;
  before(async () => {
    wb = await openWorkbench({
      settings: { "switchyard.proxy.routes": [{ host: SITE, upstream: "http://127.0.0.1:5173" }] },
      files: { "package.json": JSON.stringify({ name: "app", scripts: { dev: "vite" } }, null, 2) },
    });
  });
  after(async () => {
    await wb?.close();
  });

  it("shows the status bar item and the Routes view's route from the settings", async () => {
    const item = wb.page.locator(".statusbar-item", { hasText: "Switchyard" }).first();
    assert.match((await item.innerText()).trim(), /Switchyard/);
    const row = wb.page.locator(".monaco-list-row", { has: wb.page.locator(".label-name", { hasText: SITE }) });
    await revealInSwitchyardViews(wb.page, row.first());
  });

  it("is activated while the window starts (VS Code's Running Extensions view says Startup Activation)", async () => {
    await runCommand(wb.page, "Developer: Show Running Extensions");
    const row = wb.page.locator(".runtime-extensions-editor .extension", { hasText: /switchyard/i }).first();
    const time = row.locator(".activation-time");
    await time.filter({ hasText: /\d+\s*ms/ }).waitFor({ timeout: 30_000 });
    const text = ((await time.textContent()) ?? "").trim();
    await screenshot(wb.page, "activation-running-extensions.png");
    assert.match(text, /^Startup Activation: \d+\s*ms$/, `Switchyard's row says "${text}"`);
  });
});
