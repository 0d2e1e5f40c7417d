/**
 * The Getting Started walkthrough ticks a step only when it worked: pressing Esc in Add Host
 * Mapping leaves it open, and starting the proxy from the status bar (not the step's button)
 * ticks "Start the proxy".
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Page } from "playwright-core";
// @ts-expect-error: plain JS harness module
import { freePort } from "../harness/codeServer.mjs";
import { openWorkbench, runCommand, screenshot, type Workbench } from "./workbench";

const step = (page: Page, id: string) => page.locator(`button.getting-started-step[data-step-id$="${id}"]`).first();

async function checked(page: Page, id: string): Promise<boolean> {
  return (await step(page, id).getAttribute("aria-checked")) === "true";
}

describe("the Switchyard walkthrough", () => {
  let wb: Workbench;
  let port: number;

  before(async () => {
    port = await freePort();
    wb = await openWorkbench({ settings: { "switchyard.proxy.listen": [`127.0.0.1:${port}`] } });
  });
  after(async () => wb?.close());

  it("opens with no step ticked on a fresh machine", async () => {
    await runCommand(wb.page, "Welcome: Open Walkthrough...");
    const pick = wb.page.locator(".quick-input-list .monaco-list-row", { hasText: "Get started with Switchyard" });
    await pick.first().waitFor({ timeout: 30_000 });
    await pick.first().click();
    await step(wb.page, "mapHost").waitFor({ timeout: 30_000 });
    for (const id of ["createCa", "mapHost", "addRoute", "start"])
      assert.equal(await checked(wb.page, id), false, `${id} is not ticked yet`);
    const titles = await wb.page.locator("button.getting-started-step .step-title").evaluateAll((els) =>
      els.map((e) => {
        const t = e as unknown as { scrollWidth: number; clientWidth: number; textContent: string };
        return { text: t.textContent, cut: t.scrollWidth > t.clientWidth };
      }),
    );
    assert.equal(titles.length, 4, JSON.stringify(titles));
    assert.deepEqual(
      titles.filter((t) => t.cut),
      [],
      "every step title fits",
    );
  });

  it("does not tick Map a name when the user presses Esc in the input", async () => {
    await step(wb.page, "mapHost").click();
    await wb.page.locator("a", { hasText: "Add Host Mapping" }).first().click();
    const input = wb.page.locator(".quick-input-widget input");
    await input.waitFor({ state: "visible", timeout: 15_000 });
    await input.press("Escape");
    await input.waitFor({ state: "hidden", timeout: 15_000 });
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(await checked(wb.page, "mapHost"), false, "nothing was mapped");
  });

  it("ticks Start the proxy when it was started from the status bar and listens", async () => {
    await wb.page.locator(".statusbar-item", { hasText: "Switchyard" }).first().click();
    await wb.page
      .locator(".statusbar-item", { hasText: `:${port}` })
      .first()
      .waitFor({ timeout: 30_000 });
    const deadline = Date.now() + 15_000;
    while (!(await checked(wb.page, "start"))) {
      if (Date.now() > deadline) throw new Error("the Start step was not ticked");
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(await checked(wb.page, "mapHost"), false, "still open: nothing was mapped");
    await screenshot(wb.page, "walkthrough-light.png");
  });
});
