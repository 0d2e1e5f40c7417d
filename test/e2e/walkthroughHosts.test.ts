/**
 * The walkthrough's "Map a name" step follows the hosts file, not only Add Host Mapping in this
 * window: a Switchyard mapping already in the file when the window opens ticks it, and so does one
 * written while the window is open by something else (the CLI, another window). The hosts file is
 * a temp file named by switchyard.hosts.file: the machine's own is never read or touched.
 */
import assert from "node:assert/strict";
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Page } from "playwright-core";
import { openWorkbench, runCommand, type Workbench } from "./workbench";

const BASE = "127.0.0.1\tlocalhost\n::1\tlocalhost\n";
const block = (name: string): string =>
  `# BEGIN Switchyard managed block: do not edit by hand\n127.0.0.1 ${name}\n::1 ${name}\n# END Switchyard\n`;

const step = (page: Page, id: string) => page.locator(`button.getting-started-step[data-step-id$="${id}"]`).first();
const checked = async (page: Page, id: string): Promise<boolean> =>
  (await step(page, id).getAttribute("aria-checked")) === "true";

async function openWalkthrough(page: Page): Promise<void> {
  await runCommand(page, "Welcome: Open Walkthrough...");
  const pick = page.locator(".quick-input-list .monaco-list-row", { hasText: "Get started with Switchyard" });
  await pick.first().waitFor({ timeout: 30_000 });
  await pick.first().click();
  await step(page, "mapHost").waitFor({ timeout: 30_000 });
}

async function untilTicked(page: Page, id: string, why: string): Promise<void> {
  const deadline = Date.now() + 45_000;
  while (!(await checked(page, id))) {
    if (Date.now() > deadline) throw new Error(`${id} was not ticked: ${why}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A workbench whose hosts file is a temp file holding `content`. */
function withHostsFile(content: string): { file: () => string; wb: () => Workbench } {
  let dir = "";
  let wb: Workbench;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "switchyard-e2e-walkthrough-hosts-"));
    writeFileSync(join(dir, "hosts"), content);
    wb = await openWorkbench({ settings: { "switchyard.hosts.file": join(dir, "hosts") } });
  });
  after(async () => {
    await wb?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return { file: () => join(dir, "hosts"), wb: () => wb };
}

describe("the walkthrough's Map a name step with a mapping made before this window", () => {
  const ctx = withHostsFile(BASE + block("earlier.test"));

  it("is ticked when the hosts file already maps a name in Switchyard's block", async () => {
    await openWalkthrough(ctx.wb().page);
    await untilTicked(ctx.wb().page, "mapHost", "the file's block maps earlier.test");
  });
});

describe("the walkthrough's Map a name step with a mapping made outside this window", () => {
  const ctx = withHostsFile(BASE);

  it("is not ticked while the block maps nothing, and ticks once something else writes a mapping", async () => {
    const page = ctx.wb().page;
    await openWalkthrough(page);
    assert.equal(await checked(page, "mapHost"), false, "nothing is mapped yet");
    // As the CLI writes it: a new file renamed over the old one.
    const next = `${ctx.file()}.next`;
    writeFileSync(next, BASE + block("outside.test"));
    renameSync(next, ctx.file());
    await untilTicked(page, "mapHost", "outside.test was mapped by another program");
  });
});
