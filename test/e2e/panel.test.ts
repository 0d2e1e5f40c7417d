import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
// @ts-expect-error: plain JS harness module
import { freePort } from "../harness/codeServer.mjs";
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
import { until } from "./until";

const HOST = "my-awesome-service.test";

/** curl, asynchronously: the dev server answering it lives in this same process. */
function curl(port: number, ...args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      "curl",
      ["-sS", "--max-time", "10", "--resolve", `${HOST}:${port}:127.0.0.1`, ...args],
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, out: stdout + stderr });
      },
    );
  });
}

describe("the Switchyard panel in the real workbench", () => {
  let wb: Workbench;
  let app: Server;
  let port: number;
  let hostsFile: string;

  before(async () => {
    app = await new Promise<Server>((resolve) => {
      const s = createServer((req, res) => res.end(`hello from the dev server ${req.url}`));
      s.listen(0, "127.0.0.1", () => resolve(s));
    });
    // Still a picked port, bound later by the extension's proxy (a race on a busy machine): the test
    // looks for this number in the workbench and in curl's --resolve. Reading the bound port back
    // from the workbench after the proxy starts, with 127.0.0.1:0 in settings, is left for later.
    port = await freePort();
    const appPort = (app.address() as { port: number }).port;
    wb = await openWorkbench({
      settings: {
        "switchyard.proxy.listen": [`127.0.0.1:${port}`],
        "switchyard.proxy.routes": [{ host: HOST, upstream: `http://127.0.0.1:${appPort}` }],
      },
    });
    hostsFile = join(wb.work, "hosts");
    writeFileSync(hostsFile, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n");
    const settingsFile = join(wb.workspace, ".vscode", "settings.json");
    const settings = JSON.parse(readFileSync(settingsFile, "utf8"));
    writeFileSync(settingsFile, JSON.stringify({ ...settings, "switchyard.hosts.file": hostsFile }, null, 2));
  });
  after(async () => {
    await wb?.close();
    app?.close();
  });

  it("starts the proxy from the panel and shows the listener", async () => {
    await runCommand(wb.page, "Switchyard: Open Panel");
    const frame = panelFrame(wb.page);
    await frame.locator('[data-testid="proxy-toggle"]').click();
    await frame.locator('[data-testid="proxy-state"]', { hasText: /on|listening/i }).waitFor({ timeout: 30_000 });
    await frame.locator("text=127.0.0.1").first().waitFor();
    // What the screenshot shows: the Bindings view with the listener listening and the route.
    assert.equal(await frame.locator('[data-testid="tab-bindings"]').getAttribute("aria-selected"), "true");
    await assertShows(
      frame.locator('[data-testid="bindings-table"]'),
      new RegExp(`127\\.0\\.0\\.1:${port}[\\s\\S]*listening`),
      "the listener on 127.0.0.1, listening",
    );
    await assertShows(
      frame.locator('[data-testid="routes-table"]'),
      new RegExp(`https://${HOST}:${port}/`),
      "the route",
    );
    await screenshot(wb.page, "panel-bindings-light.png");
  });

  it("reopened while the proxy runs, shows it on from its first paint: no Connecting…, no Start Proxy", async () => {
    await runCommand(wb.page, "View: Close Editor");
    await wb.page.locator("iframe.webview.ready").waitFor({ state: "detached", timeout: 15_000 });
    await runCommand(wb.page, "Switchyard: Open Panel");
    const frame = panelFrame(wb.page);
    const state = frame.locator('[data-testid="proxy-state"]');
    await state.waitFor({ timeout: 30_000 });
    // Read as soon as the panel has painted, before the extension's snapshot (seconds) arrives.
    const first = await state.innerText();
    const toggle = await frame.locator('[data-testid="proxy-toggle"]').innerText();
    assert.match(first, new RegExp(`^Proxy on · :${port}$`), `first paint: ${first}`);
    assert.equal(toggle, "Stop Proxy");
  });

  it("shows a curl request's handshake with its SNI and ALPN, and its details on click", async () => {
    const root = join(wb.work, "ca", "root.pem");
    const ok = await curl(port, "--cacert", root, "--http2", `https://${HOST}:${port}/from-curl`);
    assert.equal(ok.code, 0, ok.out);
    assert.match(ok.out, /hello from the dev server \/from-curl/);
    const frame = panelFrame(wb.page);
    await frame.locator('[data-testid="tab-handshakes"]').click();
    const row = frame.locator('[data-testid="handshake-row"]', { hasText: HOST }).filter({ hasText: "h2" }).first();
    await row.waitFor({ timeout: 15_000 });
    await row.click();
    const detail = frame.locator('[data-testid="handshake-detail"]');
    await detail.locator(`text=${HOST}`).first().waitFor();
    assert.match((await detail.textContent()) ?? "", /TLSv1\.3|TLS 1\.3/);
    await frame.locator('[data-testid="handshake-timeline"]').waitFor();
    // The number a person reads is the proxy run's own count (#1, #2…), not the worker's id
    // namespace (#4294967297), and Copy as JSON carries the same number as seq.
    const head = (await detail.locator(".detail-head").first().textContent()) ?? "";
    const seq = Number(/· #(\d+) ·/.exec(head)?.[1]);
    assert.ok(seq >= 1 && seq < 1000, `a readable number in the details title: ${head}`);
    await wb.page.context().grantPermissions(["clipboard-read", "clipboard-write"], {
      origin: new URL(wb.page.url()).origin,
    });
    await frame.locator('[data-testid="handshake-copy-json"]').click();
    let copied = "";
    await until("the record on the clipboard", async () => {
      copied = String(await wb.page.evaluate("navigator.clipboard.readText()").catch(() => ""));
      return copied.startsWith("{");
    });
    assert.equal((JSON.parse(copied) as { seq: number }).seq, seq, "Copy as JSON says the same number");
    // What the screenshot shows: curl's row selected, and its details (name, ALPN, the request).
    assert.equal(await row.getAttribute("aria-selected"), "true");
    await assertShows(detail, new RegExp(`${HOST}[\\s\\S]*h2`), "the details of curl's h2 connection");
    await assertShows(
      frame.locator('[data-testid="handshake-request"]', { hasText: "/from-curl" }).first(),
      /\/from-curl/,
      "curl's request in the details",
    );
    await screenshot(wb.page, "panel-handshakes-light.png");
  });

  it("explains a client that does not trust the CA, naming curl and offering its fix", async () => {
    const refused = await curl(port, `https://${HOST}:${port}/untrusted`);
    assert.notEqual(refused.code, 0, "curl without the root refuses the certificate");
    const frame = panelFrame(wb.page);
    const row = frame.locator('[data-testid="handshake-row"]', { hasText: /fail/i }).first();
    await row.waitFor({ timeout: 15_000 });
    await row.click();
    const explanation = frame.locator('[data-testid="handshake-explanation"]');
    await explanation.waitFor();
    assert.match((await explanation.textContent()) ?? "", /does not trust the Switchyard root[\s\S]*curl \(OpenSSL\)/);
    await frame.locator('[data-testid="handshake-fix"]').first().waitFor();
    // What the screenshot shows: the failed row selected, the explanation and the fixes for curl.
    assert.equal(await row.getAttribute("aria-selected"), "true");
    await assertShows(
      frame.locator('[data-testid="handshake-fix"]').first(),
      /Copy curl --cacert/,
      "curl's fix: the root given with --cacert",
    );
    await frame.locator('[data-testid="handshake-fix"]').first().click();
    await assertShows(
      frame.locator('[data-testid="notice"]').last(),
      new RegExp(`Copied: curl --cacert '${join(wb.work, "ca", "root.pem").replace(/[.]/g, "\\.")}' URL`),
      "the command copied, with the root's file",
    );
    await screenshot(wb.page, "panel-handshake-failure-light.png");
  });

  it("redirects plain HTTP on the same port, and the panel shows it", async () => {
    const r = await curl(
      port,
      "-o",
      "/dev/null",
      "-w",
      "%{http_code} %{redirect_url}",
      `http://${HOST}:${port}/plain?q=1`,
    );
    assert.equal(r.out.trim(), `307 https://${HOST}:${port}/plain?q=1`);
    await panelFrame(wb.page)
      .locator('[data-testid="handshake-row"]', { hasText: /redirect/i })
      .first()
      .waitFor({ timeout: 15_000 });
  });

  it("adds a host mapping from the panel after the user confirms the diff", async () => {
    const frame = panelFrame(wb.page);
    await frame.locator('[data-testid="tab-hosts"]').click();
    await frame.locator('[data-testid="mapping-name"]').fill(HOST);
    await frame.locator('[data-testid="mapping-add"]').click();
    const dialog = wb.page.locator(".monaco-dialog-box");
    await dialog.waitFor({ timeout: 15_000 });
    assert.match(
      (await dialog.textContent()) ?? "",
      new RegExp(`\\+ ?127\\.0\\.0\\.1\\s+${HOST.replace(/\./g, "\\.")}`),
    );
    await dialog.locator("a.monaco-button, button", { hasText: "Write Hosts File" }).click();
    await frame.locator('[data-testid="mapping-remove"]').first().waitFor({ timeout: 15_000 });
    const text = readFileSync(hostsFile, "utf8");
    assert.ok(
      text.startsWith("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n"),
      "the lines outside the block are untouched",
    );
    assert.match(text, new RegExp(`127\\.0\\.0\\.1 ${HOST}`));
    assert.match(text, new RegExp(`::1 ${HOST}`));
    // What the screenshot shows: the mapping in the panel's table, with both addresses.
    await assertShows(
      frame.locator('[data-testid="mappings-table"]'),
      new RegExp(`${HOST.replace(/\./g, "\\.")}[\\s\\S]*127\\.0\\.0\\.1[\\s\\S]*::1`),
      "the new mapping",
    );
    await screenshot(wb.page, "panel-hosts-light.png");
  });

  it("shows the CA and its trust state", async () => {
    const frame = panelFrame(wb.page);
    await frame.locator('[data-testid="tab-certificates"]').click();
    await frame.locator("text=SHA-256").first().waitFor({ timeout: 15_000 });
    // What the screenshot shows: the CA's facts (a fingerprint, the development names it may sign
    // for) and the trust table, with the callout that nothing trusts this test's fresh CA yet.
    await assertShows(
      frame.locator('[data-testid="ca-facts"]'),
      /SHA-256\s+[0-9A-Fa-f:]{64,}[\s\S]*Name constraints\s+localhost\s+test\b/,
      "the CA's fingerprint and name constraints",
    );
    await assertShows(frame.locator('[data-testid="trust-table"]'), /not trusted/, "the trust stores");
    await assertShows(frame.locator('[data-testid="ca-untrusted"]'), /No trust store trusts the CA yet/, "the callout");
    await screenshot(wb.page, "panel-certificates-light.png");
  });

  it("looks native in the dark theme too", async () => {
    await setTheme(wb, "Default Dark Modern");
    const frame = panelFrame(wb.page);
    assert.equal(await panelTheme(frame), "dark", "the webview follows the dark theme");
    // What each screenshot shows: that view's tab selected and its content, in the dark theme.
    const content: Record<string, [string, RegExp]> = {
      bindings: ["bindings-table", /listening/],
      handshakes: ["handshake-table", new RegExp(HOST)],
      certificates: ["ca-facts", /SHA-256/],
      hosts: ["mappings-table", new RegExp(HOST)],
    };
    for (const [view, [testId, text]] of Object.entries(content)) {
      await frame.locator(`[data-testid="tab-${view}"]`).click();
      assert.equal(await frame.locator(`[data-testid="tab-${view}"]`).getAttribute("aria-selected"), "true");
      await assertShows(frame.locator(`[data-testid="${testId}"]`), text, `the ${view} view`);
      await new Promise((r) => setTimeout(r, 300));
      await screenshot(wb.page, `panel-${view}-dark.png`);
    }
  });

  it("the status bar item toggles the proxy (checked with a real connection)", async () => {
    const item = wb.page.locator(".statusbar-item", { hasText: "Switchyard" }).first();
    await item.click();
    await wb.page
      .locator(".statusbar-item", { hasText: /Switchyard$/ })
      .first()
      .waitFor({ timeout: 15_000 });
    const off = await curl(port, "-o", "/dev/null", `http://${HOST}:${port}/`);
    assert.equal(off.code, 7, `nothing listens after the click: ${off.out}`);
    await item.click();
    await wb.page
      .locator(".statusbar-item", { hasText: `:${port}` })
      .first()
      .waitFor({ timeout: 15_000 });
    const on = await curl(port, "-o", "/dev/null", "-w", "%{http_code}", `http://${HOST}:${port}/`);
    assert.equal(on.out.trim(), "307");
  });
});
