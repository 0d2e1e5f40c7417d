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
import { assertShows, openWorkbench, panelFrame, runCommand, screenshot, type Workbench } from "./workbench";

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
    // The list draws only the rows in view, sorted by time: tall enough for every extension of the
    // window, so Switchyard's row is drawn wherever a loaded machine's timings put it.
    const viewport = wb.page.viewportSize();
    await wb.page.setViewportSize({ width: 1400, height: 3000 });
    await runCommand(wb.page, "Developer: Show Running Extensions");
    const row = wb.page.locator(".runtime-extensions-editor .extension", { hasText: /switchyard/i }).first();
    const time = row.locator(".activation-time");
    await time.filter({ hasText: /\d+\s*ms/ }).waitFor({ timeout: 30_000 });
    const text = ((await time.textContent()) ?? "").trim();
    await screenshot(wb.page, "activation-running-extensions.png");
    if (viewport) await wb.page.setViewportSize(viewport);
    assert.match(text, /^Startup Activation: \d+\s*ms$/, `Switchyard's row says "${text}"`);
  });

  it("opens the device QR panel, whose encoder is no longer in extension.js (dist/qrcode.js, loaded then)", async () => {
    // The test above left Running Extensions open in a modal editor, which blocks the workbench until closed.
    const modal = wb.page.locator(".monaco-modal-editor-block");
    if (await modal.isVisible()) {
      await wb.page.keyboard.press("Escape");
      await modal.waitFor({ state: "hidden", timeout: 15_000 });
    }
    await runCommand(wb.page, "Switchyard: Show Device QR Code");
    const frame = panelFrame(wb.page);
    await assertShows(frame.locator("h1"), /^Open your dev apps on a phone$/, "the QR panel's heading");
    // Sharing is off here (turning it on would announce on this machine's network): the panel says so.
    await assertShows(frame.locator("body"), /Sharing on the LAN is off/, "the QR panel's text");
    await screenshot(wb.page, "activation-device-qr-panel.png");
  });
});
