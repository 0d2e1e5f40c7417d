/**
 * A screenshot of each Switchyard view and of the panel, in a light and a dark theme, each asserted:
 * the view shows its content (DOM text) and the theme applied (the computed background's luminance).
 * Also what the views say about the window in this workbench: the VS Code server of code-server,
 * opened in a browser on the same machine at 127.0.0.1 (remoteName is that authority, uiKind web).
 */
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Locator, Page } from "playwright-core";
import { openWorkbench, panelFrame, panelTheme, runCommand, screenshot, setTheme, type Workbench } from "./workbench";

const HOST = "shots.test";
const THEMES = [
  { theme: "Default Light Modern", tone: "light" },
  { theme: "Default Dark Modern", tone: "dark" },
] as const;

/** The side bar pane whose header reads `title`. */
const pane = (page: Page, title: string): Locator =>
  page.locator(".pane", { has: page.locator(".pane-header", { hasText: new RegExp(`^\\s*${title}`, "i") }) }).first();

/** Relative luminance (0 black … 1 white) of a CSS colour such as `rgb(31, 31, 31)`. */
function luminance(css: string): number {
  const [r, g, b] = (css.match(/[\d.]+/g) ?? []).slice(0, 3).map((v) => Number(v) / 255);
  const lin = (c = 0): number => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

async function backgroundOf(locator: Locator): Promise<string> {
  // Runs in the page (no DOM types in this tsconfig): the first ancestor with a painted background.
  return locator.evaluate((el) => {
    type Node = { parentElement: Node | null };
    const page = globalThis as unknown as { getComputedStyle(e: Node): { backgroundColor: string } };
    for (let e: Node | null = el as unknown as Node; e; e = e.parentElement) {
      const bg = page.getComputedStyle(e).backgroundColor;
      if (bg && !/rgba\(0, 0, 0, 0\)|transparent/.test(bg)) return bg;
    }
    return "";
  });
}

function assertTone(css: string, tone: "light" | "dark", what: string): void {
  const l = luminance(css);
  if (tone === "light") assert.ok(l > 0.6, `${what}: ${css} (luminance ${l.toFixed(2)}) is not a light background`);
  else assert.ok(l < 0.1, `${what}: ${css} (luminance ${l.toFixed(2)}) is not a dark background`);
}

describe("screenshots of the views and the panel, light and dark", () => {
  let wb: Workbench;
  const hostsFile = join(tmpdir(), `switchyard-shots-hosts-${process.pid}`);

  before(async () => {
    // A hosts file of the test's own with a managed block, so Hosts Mappings has a row to show.
    writeFileSync(
      hostsFile,
      `127.0.0.1 localhost\n# BEGIN Switchyard managed block: do not edit by hand\n127.0.0.1 ${HOST}\n::1 ${HOST}\n# END Switchyard\n`,
    );
    wb = await openWorkbench({
      settings: {
        "switchyard.proxy.routes": [{ host: HOST, upstream: "http://127.0.0.1:3000" }],
        "switchyard.proxy.listen": ["127.0.0.1:0"],
        "switchyard.hosts.file": hostsFile,
      },
    });
    // The Certificate Authority view then shows the root (waited for below, with each view's content).
    await runCommand(wb.page, "Switchyard: Create Local CA");
  });
  after(async () => {
    await wb?.close();
    rmSync(hostsFile, { force: true });
  });

  for (const { theme, tone } of THEMES) {
    it(`shows Routes, Listeners, Host Mappings and Certificate Authority in the ${tone} theme`, async () => {
      const { page } = wb;
      await setTheme(wb, theme);
      // The views' own focus command shows the container (clicking its icon would hide an open side bar).
      await runCommand(page, "Focus on Routes View");
      const views = [
        { title: "Routes", text: new RegExp(HOST.replace(".", "\\.")) },
        { title: "Listeners", text: /proxy is off|127\.0\.0\.1/i },
        { title: "Hosts? Mappings", text: new RegExp(HOST.replace(".", "\\.")) },
        // The root's row ("Switchyard local root (…)"), not the view's message about the window.
        { title: "Certificate Authority", text: /local root/i },
      ];
      for (const v of views) {
        const p = pane(page, v.title);
        await p.waitFor({ timeout: 30_000 });
        const header = p.locator(".pane-header").first();
        if ((await header.getAttribute("aria-expanded")) !== "true") await header.click();
        const body = p.locator(".pane-body").first();
        const deadline = Date.now() + 60_000;
        while (!v.text.test(await body.innerText())) {
          if (Date.now() > deadline)
            assert.fail(
              `${v.title} does not show ${v.text} in the ${tone} theme: ${JSON.stringify(await body.innerText())}`,
            );
          await new Promise((r) => setTimeout(r, 200));
        }
        assertTone(await backgroundOf(body), tone, `${v.title} view`);
      }
      // In this workbench (a browser on the same machine as the server), the views say so.
      assert.match(
        await pane(page, "Routes").innerText(),
        /code-server in a browser, with the browser on the same machine \(the machine running code-server\): routes open directly/,
      );
      assert.match(
        await pane(page, "Certificate Authority").innerText(),
        /code-server in a browser, with the browser on the same machine: your browser uses these trust stores/,
      );
      await screenshot(page, `views-${tone}.png`);
    });

    it(`shows the panel in the ${tone} theme`, async () => {
      const { page } = wb;
      await setTheme(wb, theme);
      await runCommand(page, "Switchyard: Open Panel");
      const frame = panelFrame(page);
      await frame.locator('[data-testid="proxy-state"]').waitFor({ timeout: 60_000 });
      assert.equal(await panelTheme(frame), tone, "the webview's body carries VS Code's theme class");
      const routes = frame.locator('[data-testid="routes-table"]');
      await routes.locator(`text=${HOST}`).first().waitFor({ timeout: 30_000 });
      assertTone(await backgroundOf(frame.locator("body")), tone, "panel");
      await screenshot(page, `panel-${tone}.png`);
    });
  }
});
