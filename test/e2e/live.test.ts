/**
 * The live handshake log and the Switchyard view container in the real workbench: a real
 * Chromium (trusting the CA through a temp NSS database, the name mapped to loopback by
 * --host-resolver-rules) loads the site through the proxy and keeps its connection open.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser, Locator, Page } from "playwright-core";
// @ts-expect-error: plain JS harness module
import { launchChromium } from "../harness/browser.mjs";
// @ts-expect-error: plain JS harness module
import { freePort } from "../harness/codeServer.mjs";
import { readFileSync, writeFileSync } from "node:fs";
import { revealInSwitchyardViews } from "./switchyardViews";
import { until } from "./until";
import {
  assertShows,
  openWorkbench,
  panelFrame,
  panelTheme,
  runCommand,
  screenshot,
  setTheme,
  type Workbench,
} from "./workbench";

const HOST = "live-site.test";

/** What the harness's launchChromium returns. */
interface Chromium {
  browser: Browser;
  close(): Promise<void>;
}

/** A temp HOME whose NSS database (where Chromium on Linux looks) trusts `rootFile`. */
function nssHome(rootFile: string): string {
  const home = mkdtempSync(join(tmpdir(), "switchyard-e2e-nss-"));
  const db = `sql:${join(home, ".pki", "nssdb")}`;
  mkdirSync(join(home, ".pki", "nssdb"), { recursive: true });
  execFileSync("certutil", ["-N", "-d", db, "--empty-password"], { stdio: "ignore" });
  execFileSync("certutil", ["-A", "-d", db, "-t", "C,,", "-n", "switchyard-e2e", "-i", rootFile]);
  return home;
}

/**
 * Opens the Switchyard view container (unless it is showing) and returns the Routes row of `url`:
 * the row shows the name as its label and the port in its description.
 */
async function showRoute(page: Page, url: string): Promise<Locator> {
  const { hostname, port } = new URL(url);
  const row = page
    .locator(".monaco-list-row", { hasText: hostname })
    .filter({ hasText: `port ${port || "443"}` })
    .first();
  return revealInSwitchyardViews(page, row);
}

/** Polls `check` every 50 ms for up to 15 s. */
const untilTrue = (what: string, check: () => Promise<boolean>): Promise<void> => until(what, check, 15_000, 50);

describe("live handshakes and the Switchyard views in the real workbench", () => {
  let wb: Workbench;
  let app: Server;
  let port: number;
  let site: Chromium | undefined;
  let home: string | undefined;

  before(async () => {
    app = await new Promise<Server>((resolve) => {
      const s = createServer((req, res) => {
        res.setHeader("content-type", "text/html");
        res.end(`<!doctype html><title>live</title><p>hello ${req.url}</p>`);
      });
      s.listen(0, "127.0.0.1", () => resolve(s));
    });
    // Still a picked port, bound later by the extension's proxy: the first test expects this number in
    // the route's URL before the proxy starts, which 127.0.0.1:0 in settings cannot give.
    port = await freePort();
    const appPort = (app.address() as { port: number }).port;
    wb = await openWorkbench({
      settings: {
        "switchyard.proxy.listen": [`127.0.0.1:${port}`],
        "switchyard.proxy.routes": [{ host: HOST, upstream: `http://127.0.0.1:${appPort}` }],
      },
    });
  });
  after(async () => {
    await site?.close();
    if (home) rmSync(home, { recursive: true, force: true });
    await wb?.close();
    app?.close();
  });

  it("lists the route with its full URL (port included) in the Routes view, before the proxy starts", async () => {
    const row = await showRoute(wb.page, `https://${HOST}:${port}/`);
    await row.waitFor({ timeout: 30_000 });
    assert.match((await row.textContent()) ?? "", /127\.0\.0\.1/);
    await screenshot(wb.page, "views-routes-light.png");
  });

  it("shows a Chromium connection's row while the browser keeps the connection open", async () => {
    await runCommand(wb.page, "Switchyard: Start Proxy");
    await wb.page
      .locator(".statusbar-item", { hasText: `:${port}` })
      .first()
      .waitFor({ timeout: 30_000 });
    await runCommand(wb.page, "Switchyard: Open Panel");
    const frame = panelFrame(wb.page);
    await frame.locator('[data-testid="tab-handshakes"]').click();
    await frame.locator('[data-testid="handshake-empty"]').waitFor({ timeout: 15_000 });

    home = nssHome(join(wb.work, "ca", "root.pem"));
    const launched: Chromium = await launchChromium({
      args: [`--host-resolver-rules=MAP ${HOST} 127.0.0.1`],
      env: { ...process.env, HOME: home },
    });
    site = launched;
    const page: Page = await launched.browser.newPage();
    const response = await page.goto(`https://${HOST}:${port}/first`);
    assert.equal(response?.status(), 200, "Chromium trusts the CA and reaches the dev server");
    // "Live" is shown by the row's state, not by a stopwatch: the row is there while Chromium still
    // holds the connection (data-open="true"), so it came from the handshake, not from the close
    // that a log of finished connections would wait for. The wait is generous for a loaded machine.
    const row = frame.locator('[data-testid="handshake-row"][data-open="true"]', { hasText: HOST }).first();
    await row.waitFor({ timeout: 30_000 });
    assert.ok(page.isClosed() === false, "the browser is still open");
    await row.click();
    await frame.locator('[data-testid="handshake-request"]', { hasText: "/first" }).waitFor({ timeout: 5_000 });
    await screenshot(wb.page, "panel-live-row-light.png");
  });

  it("updates the open row in place as more requests go over the same connection", async () => {
    const frame = panelFrame(wb.page);
    const page = site!.browser.contexts()[0]!.pages()[0]!;
    const rowsBefore = await frame.locator('[data-testid="handshake-row"]', { hasText: HOST }).count();
    await page.evaluate(async () => {
      await fetch("/second");
    });
    await frame.locator('[data-testid="handshake-request"]', { hasText: "/second" }).waitFor({ timeout: 5_000 });
    const rowsAfter = await frame.locator('[data-testid="handshake-row"]', { hasText: HOST }).count();
    assert.equal(rowsAfter, rowsBefore, "the same row, no new one");
  });

  it("after a restart, the new connections show beside the old ones (ids do not collide)", async () => {
    const frame = panelFrame(wb.page);
    await site!.close();
    site = undefined;
    // The closed connection's row is final now.
    await untilTrue(
      "the first connection's row to close",
      async () => (await frame.locator('[data-testid="handshake-row"][data-open="true"]').count()) === 0,
    );
    const before = await frame.locator('[data-testid="handshake-row"]').count();
    await runCommand(wb.page, "Switchyard: Stop Proxy");
    await wb.page
      .locator(".statusbar-item", { hasText: /Switchyard$/ })
      .first()
      .waitFor({ timeout: 15_000 });
    await runCommand(wb.page, "Switchyard: Start Proxy");
    await wb.page
      .locator(".statusbar-item", { hasText: `:${port}` })
      .first()
      .waitFor({ timeout: 30_000 });
    const relaunched: Chromium = await launchChromium({
      args: [`--host-resolver-rules=MAP ${HOST} 127.0.0.1`],
      env: { ...process.env, HOME: home! },
    });
    site = relaunched;
    const page = await relaunched.browser.newPage();
    assert.equal((await page.goto(`https://${HOST}:${port}/after-restart`))?.status(), 200);
    await untilTrue(
      "a new row beside the old ones",
      async () => (await frame.locator('[data-testid="handshake-row"]').count()) > before,
    );
    const ids = await frame
      .locator('[data-testid="handshake-row"]')
      .evaluateAll((rows) => rows.map((r) => (r as unknown as { dataset: { id?: string } }).dataset.id));
    assert.equal(new Set(ids).size, ids.length, `row ids are unique: ${ids.join(", ")}`);
    const count = (await frame.locator('[data-testid="handshake-count"]').textContent()) ?? "";
    assert.match(count, new RegExp(`^${ids.length} connection`));
  });

  it("the Routes view's inline Open action opens the route's URL", async () => {
    const row = await showRoute(wb.page, `https://${HOST}:${port}/`);
    await row.hover();
    await row.locator('.action-label[aria-label="Open in Browser"]').click();
    // VS Code asks before it opens an external site; the dialog names the URL.
    const dialog = wb.page.locator(".monaco-dialog-box");
    // The new tab asks for the route's URL (this workbench's browser cannot resolve the name, so
    // the request is what shows the URL it was given).
    const request = wb.page
      .context()
      .waitForEvent("request", { predicate: (r) => r.url().includes(HOST), timeout: 15_000 });
    await dialog.waitFor({ timeout: 15_000 });
    assert.match((await dialog.textContent()) ?? "", new RegExp(`${HOST}:${port}`));
    await dialog
      .locator("a.monaco-button, button", { hasText: /^Open$/ })
      .first()
      .click();
    const opened = await request;
    assert.match(opened.url(), new RegExp(`^https://${HOST}:${port}/`));
    for (const other of wb.page.context().pages()) if (other !== wb.page) await other.close();
  });
  it("an invalid route edited live shows as a problem in the panel, with a notification to open the settings", async () => {
    const file = join(wb.workspace, ".vscode", "settings.json");
    const settings = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    const routes = settings["switchyard.proxy.routes"] as unknown[];
    writeFileSync(
      file,
      JSON.stringify(
        { ...settings, "switchyard.proxy.routes": [...routes, { host: "broken.test", upstream: "localhost:3000" }] },
        null,
        2,
      ),
    );
    // Toasts hide themselves after a while: read the notification centre instead.
    await new Promise((r) => setTimeout(r, 2000));
    await runCommand(wb.page, "Notifications: Show Notifications");
    const note = wb.page.locator(".notifications-center .notification-list-item", {
      hasText: "switchyard.proxy.routes",
    });
    await note.waitFor({ timeout: 15_000 }).catch(async (e) => {
      await screenshot(wb.page, "debug-toast.png");
      throw e;
    });
    assert.match((await note.textContent()) ?? "", /localhost:3000/);
    await note.locator(".monaco-button", { hasText: "Open Settings" }).first().waitFor();
    await runCommand(wb.page, "Notifications: Clear All Notifications");
    const problem = panelFrame(wb.page).locator('[data-testid="settings-problem"]');
    await problem.waitFor({ timeout: 15_000 });
    assert.match(
      (await problem.textContent()) ?? "",
      /switchyard\.proxy\.routes.*"localhost:3000" must start with http:\/\//,
    );
    writeFileSync(file, JSON.stringify(settings, null, 2));
    await problem.waitFor({ state: "detached", timeout: 15_000 });
  });

  it("looks native in the dark theme too (screenshots for the README)", async () => {
    await setTheme(wb, "Default Dark Modern");
    const frame = panelFrame(wb.page);
    await frame.locator('[data-testid="tab-handshakes"]').click();
    const row = frame.locator('[data-testid="handshake-row"]', { hasText: HOST }).first();
    await row.click();
    /** What the README's screenshot shows, in either theme: the views and the live log with a connection's details. */
    const assertPictured = async (theme: "dark" | "light"): Promise<void> => {
      assert.equal(await panelTheme(frame), theme, `the panel follows the ${theme} theme`);
      await showRoute(wb.page, `https://${HOST}:${port}/`);
      await assertShows(
        wb.page.locator(".monaco-list-row", { hasText: `127.0.0.1:${port}` }).first(),
        /listening/,
        "the listener in the Listeners view",
      );
      assert.equal(await frame.locator('[data-testid="tab-handshakes"]').getAttribute("aria-selected"), "true");
      assert.equal(await row.getAttribute("aria-selected"), "true", "a connection is selected");
      const detail = frame.locator('[data-testid="handshake-detail"]');
      await assertShows(detail, new RegExp(HOST), "the selected connection's details");
      await assertShows(detail.locator('[data-testid="handshake-request"]').first(), /\//, "a request it carried");
    };
    await assertPictured("dark");
    await new Promise((r) => setTimeout(r, 300));
    await screenshot(wb.page, "views-and-live-log-dark.png");
    await setTheme(wb, "Default Light Modern");
    await assertPictured("light");
    await new Promise((r) => setTimeout(r, 300));
    await screenshot(wb.page, "views-and-live-log-light.png");
  });
});
