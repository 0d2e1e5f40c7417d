import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openWorkbench, panelFrame, runCommand, screenshot, type Workbench } from "./workbench";

describe("the panel in the real VS Code workbench", () => {
  let wb: Workbench;
  before(async () => {
    wb = await openWorkbench({ settings: { "switchyard.proxy.listen": ["127.0.0.1:0"] } });
  });
  after(async () => wb?.close());

  it("opens from the command palette and shows the proxy state in the webview", async () => {
    await runCommand(wb.page, "Switchyard: Open Panel");
    const frame = panelFrame(wb.page);
    const state = frame.locator('[data-testid="proxy-state"]', { hasText: /off|stopped/i });
    await state.waitFor({ timeout: 30_000 });
    await assert.doesNotReject(() => frame.locator('[data-testid="tab-bindings"]').waitFor());
    assert.match((await state.textContent()) ?? "", /off|stopped/i);
    const path = await screenshot(wb.page, "workbench-panel.png");
    console.log(`screenshot: ${path}`);
  });
});
