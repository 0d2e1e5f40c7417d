/**
 * The native views and prompts in the real workbench, as a user meets them: the Routes view (the
 * name as the label, upstream and port beside it, every action in the context menu, at most two
 * inline, Enter opens the route, an invalid route kept with an error icon and Fix Route…), Add Route
 * (servers started in this window's terminal first, VS Code's own server not offered, the address
 * the server bound, a step count, an empty name explained inside the input, the hosts entry offered
 * in the same flow and written to a temp hosts file), Restart Proxy only while the proxy runs, the
 * status bar item's accessible name, and the Certificate Authority view in plain words.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Locator, Page } from "playwright-core";
import { revealInSwitchyardViews } from "./switchyardViews";
import { until } from "./until";
import { assertShows, openWorkbench, runCommand, screenshot, setTheme, type Workbench } from "./workbench";

const SITE = "views-site.test";
const BROKEN = "broken-route.test";

/** The Routes view's row whose label is `host`, opening the Switchyard view container when needed. */
async function routeRow(page: Page, host: string): Promise<Locator> {
  const row = page.locator(".monaco-list-row", { has: page.locator(".label-name", { hasText: host }) }).first();
  return revealInSwitchyardViews(page, row);
}

/** The labels of the context menu that right-clicking `row` opens (the menu stays open). */
async function contextMenu(page: Page, row: Locator): Promise<string[]> {
  await row.click({ button: "right" });
  const menu = page.locator(".monaco-menu-container .monaco-menu").first();
  await menu.waitFor({ timeout: 15_000 });
  return (await menu.locator(".action-label").allTextContents()).map((t) => t.trim()).filter(Boolean);
}

/**
 * Runs the open context menu's entry `title`. VS Code's menu can drop a click that lands while it
 * is still settling after the right click (the menu then stays open and nothing runs), so the click
 * is repeated until the menu has closed (bounded).
 */
async function chooseFromMenu(page: Page, title: RegExp): Promise<void> {
  const menu = page.locator(".monaco-menu-container .monaco-menu");
  for (let attempt = 0; ; attempt++) {
    const entry = page.locator(".monaco-menu-container .action-label", { hasText: title }).first();
    if (attempt > 0 && !(await entry.isVisible())) return;
    await entry.click();
    const closed = await menu
      .first()
      .waitFor({ state: "hidden", timeout: 3_000 })
      .then(() => true)
      .catch(() => false);
    if (closed) return;
    if (attempt >= 5) throw new Error(`the context menu stayed open after choosing ${String(title)}`);
  }
}

const quickInput = (page: Page) => ({
  widget: page.locator(".quick-input-widget"),
  input: page.locator(".quick-input-widget input"),
  title: page.locator(".quick-input-widget .quick-input-title"),
  message: page.locator(".quick-input-widget .quick-input-message"),
  rows: page.locator(".quick-input-widget .quick-input-list .monaco-list-row"),
});

/** The palette's rows for `filter`, once a row matching `present` shows (so the list is complete). */
async function paletteRows(page: Page, filter: string, present: string): Promise<string[]> {
  const q = quickInput(page);
  await page.keyboard.press("F1");
  await q.input.waitFor({ state: "visible", timeout: 15_000 });
  await q.input.fill(`>${filter}`);
  await q.rows.filter({ hasText: present }).first().waitFor({ timeout: 30_000 });
  const rows = (await q.rows.allTextContents()).map((t) => t.trim());
  await page.keyboard.press("Escape");
  await q.input.waitFor({ state: "hidden", timeout: 15_000 });
  return rows;
}

describe("the Switchyard views and prompts in the real workbench", () => {
  let wb: Workbench;
  let app: Server;
  let appPort: number;
  let hostsDir: string;
  let hostsFile: string;
  /** The upstream Add Route offered for the terminal's server. */
  let upstream = "";

  before(async () => {
    app = await new Promise<Server>((resolve) => {
      const s = createServer((_req, res) => res.end("views app"));
      s.listen(0, "127.0.0.1", () => resolve(s));
    });
    appPort = (app.address() as { port: number }).port;
    // The hosts file Switchyard edits here is a temp copy: the machine's own is never touched.
    hostsDir = mkdtempSync(join(tmpdir(), "switchyard-e2e-hosts-"));
    hostsFile = join(hostsDir, "hosts");
    writeFileSync(hostsFile, "127.0.0.1 localhost\n::1 localhost\n");
    wb = await openWorkbench({
      settings: {
        "switchyard.proxy.listen": ["127.0.0.1:0"],
        "switchyard.hosts.file": hostsFile,
        "switchyard.proxy.routes": [
          { host: SITE, upstream: `http://127.0.0.1:${appPort}` },
          { host: BROKEN, upstream: "localhost:3000" },
        ],
      },
    });
  });
  after(async () => {
    await wb?.close();
    app?.close();
    if (hostsDir) rmSync(hostsDir, { recursive: true, force: true });
  });

  it("the status bar item's accessible name is a plain sentence", async () => {
    const item = wb.page.locator('[aria-label^="Switchyard proxy is off"]').first();
    await item.waitFor({ timeout: 30_000 });
    const name = (await item.getAttribute("aria-label")) ?? "";
    assert.match(name, /^Switchyard proxy is off, 1 route\. Activate to start the proxy\.$/);
    assert.doesNotMatch(name, /\$\(|\*\*|\]\(|codicon/, "no icon ids or markdown");
  });

  it("does not offer Restart Proxy in the palette while the proxy is off", async () => {
    const rows = await paletteRows(wb.page, "Switchyard: Re", "Switchyard: Remove Route");
    assert.equal(rows.filter((r) => /Restart Proxy/.test(r)).length, 0, rows.join(" | "));
  });

  it("shows a route with its name as the label and its upstream as the description, in both themes", async () => {
    const row = await routeRow(wb.page, SITE);
    assert.equal((await row.locator(".label-name").textContent())?.trim(), SITE);
    const description = (await row.locator(".label-description").textContent()) ?? "";
    assert.match(
      description,
      new RegExp(`^→ 127\\.0\\.0\\.1:${appPort}$`),
      "the upstream (the port shows once the proxy picked it)",
    );
    await setTheme(wb, "Default Dark Modern");
    await assertShows(row, new RegExp(SITE), "the route row in the dark theme");
    await screenshot(wb.page, "views-routes-native-dark.png");
    await setTheme(wb, "Default Light Modern");
    await assertShows(row, new RegExp(SITE), "the route row in the light theme");
    await screenshot(wb.page, "views-routes-native-light.png");
  });

  it("keeps an invalid route in the view with an error icon and its problem", async () => {
    const row = await routeRow(wb.page, BROKEN);
    assert.equal(await row.locator(".codicon-error").count(), 1, "an error icon");
    const description = (await row.locator(".label-description").textContent()) ?? "";
    assert.match(description, /ignored: .*"localhost:3000" must start with http:\/\//);
    const inline = await row
      .locator(".actions .action-label")
      .evaluateAll((els) => els.map((e) => e.getAttribute("aria-label")));
    assert.deepEqual(inline, ["Fix Route…"]);
  });

  it("has every route action in the context menu and at most two inline", async () => {
    const row = await routeRow(wb.page, SITE);
    const inline = await row
      .locator(".actions .action-label")
      .evaluateAll((els) => els.map((e) => e.getAttribute("aria-label")));
    assert.ok(inline.length <= 2, `inline: ${inline.join(", ")}`);
    assert.deepEqual(inline, ["Open in Browser", "Copy URL"]);
    const menu = await contextMenu(wb.page, row);
    for (const title of ["Open in Browser", "Copy URL", "Probe URL…", "Open Panel", "Edit Route…", "Remove Route"])
      assert.ok(menu.includes(title), `"${title}" in the context menu: ${menu.join(", ")}`);
    // An entry of the menu works: Copy URL puts the route's URL on the clipboard.
    await wb.page.context().grantPermissions(["clipboard-read", "clipboard-write"], {
      origin: new URL(wb.page.url()).origin,
    });
    await chooseFromMenu(wb.page, /^Copy URL$/);
    let copied = "";
    await until("the URL on the clipboard", async () => {
      copied = String(await wb.page.evaluate("navigator.clipboard.readText()").catch(() => ""));
      return copied.startsWith("https://");
    });
    assert.match(copied, new RegExp(`^https://${SITE.replace(/\./g, "\\.")}(:\\d+)?/$`));
  });

  it("Enter on a route opens it", async () => {
    const row = await routeRow(wb.page, SITE);
    // A right click focuses the row without running its default command; Esc closes the menu.
    await contextMenu(wb.page, row);
    await wb.page.keyboard.press("Escape");
    await until("the row to have the focus", async () => /\bfocused\b/.test((await row.getAttribute("class")) ?? ""));
    await wb.page.keyboard.press("Enter");
    // VS Code asks before it opens an external site; the dialog names the route's URL.
    const dialog = wb.page.locator(".monaco-dialog-box");
    await dialog.waitFor({ timeout: 15_000 });
    assert.match((await dialog.textContent()) ?? "", new RegExp(`https://${SITE.replace(/\./g, "\\.")}`));
    await dialog
      .locator(".monaco-button", { hasText: /^Cancel$/ })
      .first()
      .click();
    await dialog.waitFor({ state: "hidden", timeout: 15_000 });
  });

  it("Fix Route… from the context menu offers the correction and the route then works", async () => {
    const row = await routeRow(wb.page, BROKEN);
    const menu = await contextMenu(wb.page, row);
    assert.ok(menu.includes("Fix Route…"), menu.join(", "));
    assert.ok(menu.includes("Remove Route"), menu.join(", "));
    await chooseFromMenu(wb.page, /^Fix Route…$/);
    const q = quickInput(wb.page);
    await q.rows.first().waitFor({ timeout: 15_000 });
    assert.match((await q.title.textContent()) ?? "", new RegExp(`Fix Route ${BROKEN}`));
    const fix = q.rows.filter({ hasText: "Change the upstream to http://localhost:3000" }).first();
    await fix.click();
    const file = join(wb.workspace, ".vscode", "settings.json");
    await until("the corrected upstream in settings.json", () =>
      readFileSync(file, "utf8").includes('"http://localhost:3000"'),
    );
    const fixed = await routeRow(wb.page, BROKEN);
    await until("the error icon to go", async () => (await fixed.locator(".codicon-error").count()) === 0);
    assert.match((await fixed.locator(".label-description").textContent()) ?? "", /^→ localhost:3000$/);
  });

  it("Add Route lists the terminal's server first, at the address it bound, and not VS Code's own server", async () => {
    await runCommand(wb.page, "Terminal: Create New Terminal");
    await wb.page.locator(".terminal-wrapper .xterm").first().waitFor({ timeout: 30_000 });
    await wb.page.locator(".xterm-helper-textarea:focus").waitFor({ timeout: 30_000 });
    await wb.page.keyboard.type(
      `node -e "require('http').createServer((q,s)=>s.end('terminal app')).listen(0,'127.0.0.1')"\n`,
    );
    const q = quickInput(wb.page);
    const started = q.rows.filter({ hasText: "Started in this window" }).first();
    // Detection polls the terminal's process tree: ask again until the server shows (bounded).
    for (let attempt = 0; ; attempt++) {
      await runCommand(wb.page, "Switchyard: Add Route…");
      await q.rows.first().waitFor({ timeout: 15_000 });
      if (await started.isVisible()) break;
      await wb.page.keyboard.press("Escape");
      if (attempt >= 30) throw new Error("the terminal's server never showed under Started in this window");
      await new Promise((r) => setTimeout(r, 1000));
    }
    assert.match((await q.title.textContent()) ?? "", /^Add Route \(1\/3\)$/);
    const rows = (await q.rows.allTextContents()).map((t) => t.trim());
    assert.match(rows[0] ?? "", /Started in this window/, `first: ${rows.join(" | ")}`);
    assert.match(rows[0] ?? "", /node/);
    assert.match(rows[0] ?? "", /http:\/\/127\.0\.0\.1:\d+/, "the address it bound, not localhost");
    assert.match((await q.rows.first().getAttribute("class")) ?? "", /\bfocused\b/, "the window's server is active");
    const vscodePort = new URL(wb.page.url()).port;
    assert.equal(
      rows.filter((r) => new RegExp(`port ${vscodePort}\\b`).test(r)).length,
      0,
      `VS Code's own server (port ${vscodePort}) is not offered: ${rows.join(" | ")}`,
    );
    for (const r of rows) assert.doesNotMatch(r, /http:\/\/localhost:/, "no localhost URL for a bound address");
    await screenshot(wb.page, "add-route-pick-light.png");
    upstream = /http:\/\/127\.0\.0\.1:\d+/.exec(rows[0] ?? "")?.[0] ?? "";
    await q.rows.first().click();
  });

  it("Add Route explains an empty name inside the input, then offers the hosts entry and writes it", async () => {
    const q = quickInput(wb.page);
    await until("step 2", async () => /Add Route \(2\/3\)/.test((await q.title.textContent()) ?? ""));
    await q.input.fill("");
    await q.input.press("Enter");
    await assertShows(q.message, /Type the name to open in the browser/, "the empty name's validation message");
    assert.ok(await q.input.isVisible(), "the input stays open");
    await q.input.fill("flow-site.test");
    await until("the message to clear", async () => !/Type the name/.test((await q.message.textContent()) ?? ""));
    await q.input.press("Enter");
    await until("step 3", async () => /Add Route \(3\/3\)/.test((await q.title.textContent()) ?? ""));
    const map = q.rows.filter({ hasText: "Map flow-site.test to 127.0.0.1 and ::1" }).first();
    await map.waitFor({ timeout: 15_000 });
    await screenshot(wb.page, "add-route-hosts-step-light.png");
    await map.click();
    const dialog = wb.page.locator(".monaco-dialog-box");
    await dialog.waitFor({ timeout: 15_000 });
    assert.match((await dialog.textContent()) ?? "", /flow-site\.test/);
    await dialog
      .locator(".monaco-button", { hasText: /^Write Hosts File$/ })
      .first()
      .click();
    await until("the mapping in the temp hosts file", () => readFileSync(hostsFile, "utf8").includes("flow-site.test"));
    const settings = JSON.parse(readFileSync(join(wb.workspace, ".vscode", "settings.json"), "utf8")) as Record<
      string,
      unknown
    >;
    const routes = settings["switchyard.proxy.routes"] as { host: string; upstream: string }[];
    assert.deepEqual(routes.at(-1), { host: "flow-site.test", upstream });
    await routeRow(wb.page, "flow-site.test");
  });

  it("Add Route cancelled at the hosts step writes nothing; Not now there still adds the route", async () => {
    const q = quickInput(wb.page);
    const settingsFile = join(wb.workspace, ".vscode", "settings.json");
    // VS Code rewrites settings.json in place (truncate, then write): a read between the two sees
    // an empty or partial file, so a read that does not parse is tried again (bounded).
    const settings = (): Record<string, unknown> => {
      for (let attempt = 1; ; attempt++) {
        try {
          return JSON.parse(readFileSync(settingsFile, "utf8")) as Record<string, unknown>;
        } catch (e) {
          if (!(e instanceof SyntaxError) || attempt >= 50) throw e;
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
        }
      }
    };
    const routeHosts = (): string[] => (settings()["switchyard.proxy.routes"] as { host: string }[]).map((r) => r.host);
    const hostsBefore = readFileSync(hostsFile, "utf8");
    /** Runs Add Route with the terminal's server and `name` up to the hosts step. */
    const toHostsStep = async (name: string): Promise<void> => {
      await runCommand(wb.page, "Switchyard: Add Route…");
      await q.rows.filter({ hasText: "Started in this window" }).first().waitFor({ timeout: 30_000 });
      await q.rows.first().click();
      await until("step 2", async () => /Add Route \(2\/3\)/.test((await q.title.textContent()) ?? ""));
      await q.input.fill(name);
      await q.input.press("Enter");
      await until("step 3", async () => /Add Route \(3\/3\)/.test((await q.title.textContent()) ?? ""));
      await q.rows
        .filter({ hasText: `Map ${name} to` })
        .first()
        .waitFor({ timeout: 15_000 });
    };
    await toHostsStep("esc-site.test");
    await wb.page.keyboard.press("Escape");
    await q.widget.waitFor({ state: "hidden", timeout: 15_000 });
    await toHostsStep("later-site.test");
    await q.rows.filter({ hasText: "Not now" }).first().click();
    // Writes happen in order: once the second flow's route is there, the first would be too.
    await until("the Not now route in settings.json", () => routeHosts().includes("later-site.test"));
    assert.ok(!routeHosts().includes("esc-site.test"), `Esc wrote a route: ${routeHosts().join(", ")}`);
    assert.equal(routeHosts().filter((h) => h === "later-site.test").length, 1, "written once");
    assert.equal(readFileSync(hostsFile, "utf8"), hostsBefore, "neither flow touched the hosts file");
  });

  it("offers Restart Proxy once the proxy runs, and the accessible name says where it listens", async () => {
    await runCommand(wb.page, "Switchyard: Start Proxy");
    const item = wb.page.locator('[aria-label^="Switchyard proxy is on at port"]').first();
    await item.waitFor({ timeout: 30_000 });
    const name = (await item.getAttribute("aria-label")) ?? "";
    assert.match(name, /^Switchyard proxy is on at port \d+, 4 routes\./);
    // The proxy picked its port (listen 127.0.0.1:0): the Routes view shows it now.
    const port = /port (\d+)/.exec(name)?.[1];
    const row = await routeRow(wb.page, SITE);
    await until("the port in the route's description", async () =>
      ((await row.locator(".label-description").textContent()) ?? "").endsWith(` · port ${port}`),
    );
    const rows = await paletteRows(wb.page, "Switchyard: Re", "Switchyard: Restart Proxy");
    assert.equal(rows.filter((r) => /Restart Proxy/.test(r)).length, 1);
  });

  it("names the root in plain words and folds the stores this machine lacks", async () => {
    // The proxy started above created the CA.
    // The other views folded, so the CA view has the room to show every row (the list draws only what fits).
    for (const view of ["Routes", "Listeners", "Host Mappings"]) {
      const other = wb.page.locator(".pane-header", { hasText: view }).first();
      if ((await other.getAttribute("aria-expanded")) === "true") await other.click();
    }
    const header = wb.page.locator(".pane-header", { hasText: "Certificate Authority" }).first();
    if ((await header.getAttribute("aria-expanded")) !== "true") await header.click();
    const root = wb.page.locator(".monaco-list-row", { hasText: "Switchyard local root (yours, " }).first();
    await root.waitFor({ timeout: 30_000 });
    assert.match(
      (await root.locator(".label-name").textContent()) ?? "",
      /^Switchyard local root \(yours, (not trusted yet in (the|any of \d+) stores?|trusted in \d+ of \d+ stores?)\)$/,
    );
    const folded = wb.page.locator(".monaco-list-row", { hasText: "Not on this machine" }).first();
    await folded.waitFor({ timeout: 15_000 });
    assert.equal(await folded.getAttribute("aria-expanded"), "false", "collapsed");
    // The stores this machine lacks are inside the folded node, not at the top level.
    const absent = wb.page.locator(".monaco-list-row .label-description", { hasText: /^not on this machine$/ });
    assert.equal(await absent.count(), 0);
    await folded.click();
    await absent.first().waitFor({ timeout: 15_000 });
    assert.ok(await wb.page.locator(".pane-header", { hasText: "Host Mappings" }).count(), "the view's one name");
    await screenshot(wb.page, "views-ca-light.png");
  });
});
