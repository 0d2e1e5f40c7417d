// The panel's browser code on its own: built with esbuild, served from 127.0.0.1 with the same CSP
// the extension uses, and driven by Chromium through playwright-core. A fake acquireVsCodeApi stands
// in for the VS Code webview host (the lead's code-server test covers the real one).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as esbuild from "esbuild";
import type { Browser, Page } from "playwright-core";
// @ts-expect-error: plain JS harness module shared with `npm start` and the integration runner
import { launchChromium } from "../harness/browser.mjs";
import { parseWebviewMessage, type HostMessage, type PanelSnapshot, type RecordView } from "../../webview/protocol";
import { DARK_PLUS, LIGHT_PLUS, emptySnapshot, makeRecords, snapshot, themeCss } from "./panel-fixtures";
import { recoveredConnection, untrustedCurl, type RecoveredConnection } from "./panel-records";
import { needTools } from "../unit/requirements";

const ROOT = join(__dirname, "..", "..");
const SHOTS = join(ROOT, ".test-artifacts", "panel");
type Theme = "light" | "dark";

// The page callbacks below run in Chromium; the project's tsconfig has no DOM lib, so the little
// they touch is declared here.
interface PageElement {
  dataset: Record<string, string | undefined>;
  scrollHeight: number;
  scrollTop: number;
}
declare const window: { __posted: unknown[]; __problems: string[]; dispatchEvent(event: unknown): boolean };
declare const document: {
  activeElement: { getAttribute(name: string): string | null } | null;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): { length: number };
  createElement(tag: "canvas"): {
    width: number;
    height: number;
    getContext(kind: "2d"): {
      drawImage(image: unknown, x: number, y: number): void;
      getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
    } | null;
  };
};
declare const Image: new () => { src: string; width: number; height: number; decode(): Promise<void> };
declare function getComputedStyle(
  element: unknown,
  pseudo?: string,
): { backgroundColor: string; getPropertyValue(name: string): string };
declare const MessageEvent: new (type: "message", init: { data: unknown }) => unknown;
declare function requestAnimationFrame(callback: (time: number) => void): number;

let out: string;
let server: Server;
let origin: string;
let browser: Browser;
let closeBrowser: (() => Promise<void>) | undefined;

function fakeHost(): string {
  // Mirrors the webview host: one acquireVsCodeApi per page, state kept across reloads.
  return `
window.__posted = [];
window.__problems = [];
document.addEventListener("securitypolicyviolation", (e) => window.__problems.push("CSP " + e.violatedDirective + " " + e.blockedURI));
window.addEventListener("error", (e) => window.__problems.push("error " + e.message));
let acquired = false;
window.acquireVsCodeApi = () => {
  if (acquired) throw new Error("An instance of the VS Code API has already been acquired");
  acquired = true;
  return {
    postMessage: (m) => window.__posted.push(JSON.parse(JSON.stringify(m))),
    getState: () => JSON.parse(sessionStorage.getItem("vscode-state") || "null") ?? undefined,
    setState: (s) => (sessionStorage.setItem("vscode-state", JSON.stringify(s)), s),
  };
};`;
}

/** The page as panelHost.ts builds it; `proxy` is the state it embeds in #app for the first paint. */
function page(theme: Theme, proxy?: string): string {
  const nonce = randomBytes(16).toString("base64");
  const csp = `default-src 'none'; img-src ${origin} data:; style-src ${origin}; font-src ${origin}; script-src 'nonce-${nonce}'`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<link rel="stylesheet" href="/theme-${theme}.css"><link rel="stylesheet" href="/webview.css">
<script nonce="${nonce}">${fakeHost()}</script>
<title>Switchyard</title></head>
<body class="vscode-${theme}"><div id="app" aria-live="polite"${proxy ? ` data-proxy="${proxy.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;")}"` : ""}>Loading Switchyard…</div>
<script nonce="${nonce}" src="/webview.js"></script></body></html>`;
}

async function open(theme: Theme = "light", embedded?: PanelSnapshot["proxy"]): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, colorScheme: theme });
  context.setDefaultTimeout(5000);
  const p = await context.newPage();
  const proxy = embedded ? `&proxy=${encodeURIComponent(JSON.stringify(embedded))}` : "";
  await p.goto(`${origin}/?theme=${theme}${proxy}`);
  await p.waitForSelector('[data-testid="tab-bindings"]');
  return p;
}

/** Delivers a message the way the webview host does, synchronously. */
async function send(p: Page, message: unknown): Promise<void> {
  await p.evaluate((m) => window.dispatchEvent(new MessageEvent("message", { data: m })), message);
}

async function posted(p: Page): Promise<unknown[]> {
  return p.evaluate(() => window.__posted);
}

async function assertClean(p: Page): Promise<void> {
  assert.deepEqual(await p.evaluate(() => window.__problems), []);
  await p.context().close();
}

async function shot(p: Page, name: string): Promise<void> {
  await p.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await p.screenshot({ path: join(SHOTS, `${name}.png`) });
}

const rows = (p: Page) => p.locator('[data-testid="handshake-row"]');

/** Reads pixels of a PNG screenshot by drawing it on a canvas in a blank page (no decoder dependency). */
async function pixels(png: Buffer, points: { x: number; y: number }[]): Promise<{ r: number; g: number; b: number }[]> {
  const blank = await browser.newPage();
  try {
    return await blank.evaluate(
      async ({ data, at }) => {
        const img = new Image();
        img.src = `data:image/png;base64,${data}`;
        await img.decode();
        const canvas = document.createElement("canvas");
        canvas.width = img.width;
        canvas.height = img.height;
        const g = canvas.getContext("2d")!;
        g.drawImage(img, 0, 0);
        return at.map(({ x, y }) => {
          const [r, gr, b] = g.getImageData(x, y, 1, 1).data;
          return { r: r!, g: gr!, b: b! };
        });
      },
      { data: png.toString("base64"), at: points },
    );
  } finally {
    await blank.close();
  }
}

/**
 * Streams batches one per frame, as the live log receives them; resolves with the most row
 * elements the DOM held after any batch, and the rows after scrolling to row 2,500.
 */
async function streamRecords(p: Page, batches: RecordView[][]): Promise<{ mostRows: number; rows: number }> {
  // No named functions inside: the test's TypeScript transform would wrap them in a helper that
  // does not exist in the page.
  return p.evaluate(async (all) => {
    const table = document.querySelector('[data-testid="handshake-table"]')!;
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))); // first paint of the tab
    let mostRows = 0;
    for (const records of all) {
      window.dispatchEvent(new MessageEvent("message", { data: { type: "records", records } }));
      await new Promise((r) => requestAnimationFrame(r));
      mostRows = Math.max(mostRows, document.querySelectorAll('[data-testid="handshake-row"]').length);
    }
    table.scrollTop = 2500 * 24;
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    return { mostRows, rows: document.querySelectorAll('[data-testid="handshake-row"]').length };
  }, batches);
}

describe("Switchyard panel in a browser (standalone webview)", () => {
  before(async () => {
    out = mkdtempSync(join(tmpdir(), "switchyard-webview-"));
    await esbuild.build({
      entryPoints: { webview: join(ROOT, "webview/main.ts") },
      outdir: out,
      bundle: true,
      platform: "browser",
      format: "iife",
      target: "es2022",
      logLevel: "warning",
      loader: { ".css": "css" },
    });
    const files: Record<string, [string, string]> = {
      "/webview.js": ["text/javascript", readFileSync(join(out, "webview.js"), "utf8")],
      "/webview.css": ["text/css", readFileSync(join(out, "webview.css"), "utf8")],
      "/theme-light.css": ["text/css", themeCss(LIGHT_PLUS)],
      "/theme-dark.css": ["text/css", themeCss(DARK_PLUS)],
    };
    server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const file = files[url.pathname];
      const theme: Theme = url.searchParams.get("theme") === "dark" ? "dark" : "light";
      const embedded = url.searchParams.get("proxy") ?? undefined;
      const [type, body] = file ?? (url.pathname === "/" ? ["text/html", page(theme, embedded)] : ["text/plain", ""]);
      res.writeHead(file || url.pathname === "/" ? 200 : 404, { "content-type": `${type}; charset=utf-8` });
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // The harness's Chromium (the same flags; gone with this process, also when it is signalled).
    ({ browser, close: closeBrowser } = (await launchChromium()) as { browser: Browser; close(): Promise<void> });
    mkdirSync(SHOTS, { recursive: true });
  });

  after(async () => {
    await closeBrowser?.();
    await new Promise((r) => server?.close(r));
    rmSync(out, { recursive: true, force: true });
  });

  for (const theme of ["light", "dark"] as const) {
    it(`renders all four views from a snapshot (${theme}), screenshots in .test-artifacts/panel`, async () => {
      const p = await open(theme);
      assert.deepEqual((await posted(p))[0], { type: "ready" });
      await send(p, { type: "records", records: makeRecords(1, 120), reset: true });
      await send(p, { type: "snapshot", snapshot });
      await assert.doesNotReject(p.getByText("Proxy on · :8443").waitFor());

      await p.click('[data-testid="tab-bindings"]');
      assert.equal(await p.locator('[data-testid="bindings-table"] tbody tr').count(), 3);
      assert.equal(await p.locator('[data-testid="mismatch"]').count(), 3);
      assert.match(await p.locator('[data-testid="resolution-table"]').innerText(), /::1/);
      assert.match(await p.locator('[data-testid="interfaces-table"]').innerText(), /docker0/);
      await shot(p, `bindings-${theme}`);

      await p.click('[data-testid="tab-handshakes"]');
      assert.equal(await p.getAttribute('[data-testid="tab-handshakes"]', "aria-selected"), "true");
      await rows(p).first().waitFor();
      await p.locator('[data-testid="handshake-row"].failed').first().click();
      await p.locator('[data-testid="handshake-explanation"]').waitFor();
      await shot(p, `handshakes-${theme}`);

      await p.click('[data-testid="tab-certificates"]');
      assert.match(await p.locator('[data-testid="ca-facts"]').innerText(), /Switchyard Development CA/);
      assert.equal(await p.locator('[data-testid="ca-trust"]').count(), 1);
      assert.equal(await p.locator('[data-testid="ca-untrust"]').count(), 1);
      assert.deepEqual(await p.locator('[data-testid="trust-checked-by"]').allInnerTexts(), [
        "checked: openssl verify against /etc/ssl/certs/ca-certificates.crt",
        "checked: certutil -V -u V with a fresh leaf",
      ]);
      await p.click('[data-testid="ca-recheck"]');
      const recheck = (await posted(p)).at(-1);
      assert.deepEqual(recheck, { type: "recheckTrust" });
      assert.ok(parseWebviewMessage(recheck), "the extension accepts it");
      await p.click('[data-testid="ca-check-clients"]');
      assert.deepEqual((await posted(p)).at(-1), { type: "checkClients" });
      await send(p, { type: "clientChecks", running: true, checks: [] });
      assert.equal(await p.locator('[data-testid="ca-check-clients"]').isDisabled(), true, "one check at a time");
      await send(p, {
        type: "clientChecks",
        running: false,
        checks: [
          {
            client: "curl (system store)",
            state: "fail",
            reason: "it does not trust the Switchyard root",
            fix: "sudo switchyard ca trust",
          },
          { client: "node + NODE_EXTRA_CA_CERTS", state: "pass" },
          { client: "java (default trust store)", state: "skipped", reason: "not installed" },
          { client: 7, state: "pass" },
        ],
      });
      const clients = p.locator('[data-testid="clients-table"]');
      assert.equal(await clients.locator("tbody tr").count(), 3, "the malformed row is dropped");
      assert.match(
        await clients.innerText(),
        /curl \(system store\)\s+fails\s+it does not trust the Switchyard root\s+sudo switchyard ca trust/,
      );
      assert.match(await clients.innerText(), /java \(default trust store\)\s+not installed/);
      assert.equal(await p.locator('[data-testid="ca-check-clients"]').isDisabled(), false);
      await shot(p, `certificates-${theme}`);

      await p.click('[data-testid="tab-hosts"]');
      assert.equal(await p.locator('[data-testid="mapping-remove"]').count(), 2);
      assert.equal(await p.locator('[data-testid="hosts-conflict"]').count(), 1);
      await shot(p, `hosts-${theme}`);
      await assertClean(p);
    });
  }

  it("shows helpful empty states with buttons when nothing is set up", async () => {
    const p = await open("light");
    await send(p, { type: "snapshot", snapshot: emptySnapshot });
    // Each screenshot below is of the empty state asserted just before it.
    assert.match(
      await p.locator('[data-testid="panel-bindings"] [data-testid="empty-state"]').innerText(),
      /The proxy is off[\s\S]*Start Proxy/,
    );
    await p.click('[data-testid="bindings-start-proxy"]');
    await shot(p, "empty-bindings-light");
    await p.click('[data-testid="tab-handshakes"]');
    assert.match(await p.locator('[data-testid="handshake-empty"]').innerText(), /Switchyard: Start Proxy/);
    await p.click('[data-testid="empty-start-proxy"]');
    await shot(p, "empty-handshakes-light");
    await p.click('[data-testid="tab-certificates"]');
    assert.match(
      await p.locator('[data-testid="panel-certificates"] [data-testid="empty-state"]').innerText(),
      /No local CA yet[\s\S]*Create CA/,
    );
    await p.click('[data-testid="ca-create"]');
    await shot(p, "empty-certificates-light");
    await p.click('[data-testid="tab-hosts"]');
    assert.match(await p.locator('[data-testid="mappings-table"]').innerText(), /No managed mappings/);
    await shot(p, "empty-hosts-light");
    const actions = (await posted(p)).filter((m) => (m as { type: string }).type === "action");
    assert.deepEqual(actions, [
      { type: "action", action: "startProxy" },
      { type: "action", action: "startProxy" },
      { type: "action", action: "createCa" },
    ]);
    await assertClean(p);
  });

  it("stays responsive while 5,000 records stream in, rendering only the visible rows", async () => {
    // What keeps the panel responsive is that a batch's work does not grow with the log: only the
    // rows in view exist in the DOM, whatever the number of records. That is asserted here, after
    // every batch; how many milliseconds a batch takes depends on the machine's load and is not.
    const batches: RecordView[][] = [];
    for (let i = 0; i < 50; i++) batches.push(makeRecords(1 + i * 100, 100));
    const p = await open("dark");
    await send(p, { type: "snapshot", snapshot });
    await p.click('[data-testid="tab-handshakes"]');
    const run = await streamRecords(p, batches);
    assert.ok(run.mostRows > 0 && run.mostRows < 100, `${run.mostRows} row elements in the DOM after a batch`);
    assert.ok(run.rows < 100, `${run.rows} row elements in the DOM after scrolling`);
    assert.match(await p.locator('[data-testid="handshake-count"]').innerText(), /^5000 connections/);
    const visible = await rows(p).evaluateAll((els) =>
      els.map((e) => Number((e as unknown as PageElement).dataset.id)),
    );
    assert.ok(visible.includes(5000 - 2500), "the rows around the scroll position are rendered");

    // The log is a ring: past 10,000 the oldest records go, and the DOM still holds only the rows in view.
    const ring = await streamRecords(
      p,
      Array.from({ length: 6 }, (_, i) => makeRecords(5001 + i * 1000, 1000)),
    );
    assert.ok(ring.mostRows < 100, `${ring.mostRows} row elements in the DOM after a 1,000-record batch`);
    assert.match(await p.locator('[data-testid="handshake-count"]').innerText(), /^10000 connections/);
    await assertClean(p);
  });

  it("filters by every word and pauses the live view", async () => {
    const p = await open();
    await send(p, { type: "records", records: makeRecords(1, 200), reset: true });
    await p.click('[data-testid="tab-handshakes"]');
    await p.fill('[data-testid="handshake-filter"]', "API.test h2");
    const snis = await rows(p).evaluateAll((els) => els.map((e) => (e as unknown as PageElement).dataset.sni));
    assert.ok(snis.length > 0 && snis.every((s) => s === "api.test"), `filtered SNIs: ${snis.join(",")}`);
    assert.match(await p.locator('[data-testid="handshake-count"]').innerText(), /of 200/);
    await p.fill('[data-testid="handshake-filter"]', "no-such-host");
    assert.equal(await rows(p).count(), 0);
    assert.match(await p.locator('[data-testid="handshake-empty"]').innerText(), /No matches/);
    await p.fill('[data-testid="handshake-filter"]', "");

    await p.click('[data-testid="handshake-pause"]');
    assert.equal(await p.getAttribute('[data-testid="handshake-pause"]', "aria-pressed"), "true");
    const newestBefore = await rows(p).first().getAttribute("data-id");
    await send(p, { type: "records", records: makeRecords(201, 5) });
    assert.equal(await rows(p).first().getAttribute("data-id"), newestBefore, "paused view does not move");
    assert.equal(await p.locator('[data-testid="handshake-pause"]').innerText(), "Resume (5 new)");
    await p.click('[data-testid="handshake-pause"]');
    assert.equal(await rows(p).first().getAttribute("data-id"), "205");
    await assertClean(p);
  });

  it("shows a selected row's ClientHello, certificate and timeline, and posts its fix", async () => {
    const p = await open();
    await send(p, { type: "records", records: makeRecords(1, 30), reset: true });
    await p.click('[data-testid="tab-handshakes"]');
    await p.click('[data-testid="handshake-row"][data-id="29"]');
    const detail = p.locator('[data-testid="handshake-detail"]');
    assert.match(await detail.locator('[data-testid="handshake-clienthello"]').innerText(), /x25519/);
    assert.match(
      await detail.locator('[data-testid="handshake-certificate"]').innerText(),
      /Switchyard Development CA/,
    );
    assert.equal(await detail.locator('[data-testid="handshake-timeline"] li').count(), 6);
    assert.equal(await detail.locator('[data-testid="handshake-fix"]').count(), 0, "no fix for a good connection");
    assert.match(await detail.innerText(), /full handshake/);

    await p.keyboard.press("ArrowUp"); // newest first: up is id 30
    assert.equal(await p.getAttribute('[data-testid="handshake-row"][data-id="30"]', "aria-selected"), "true");
    for (let i = 0; i < 6; i++) await p.keyboard.press("ArrowDown"); // id 24, which failed (id % 7 === 3)
    assert.equal(await p.getAttribute('[data-testid="handshake-row"][data-id="24"]', "aria-selected"), "true");
    assert.match(await detail.innerText(), /unknown CA/);
    await detail.locator('[data-testid="handshake-fix"]').click();
    const last = (await posted(p)).at(-1);
    assert.deepEqual(last, { type: "action", action: "trustCa" });
    assert.ok(parseWebviewMessage(last), "the extension accepts it");

    // A resumed session says so, and that its certificate was sent on an earlier connection.
    await send(p, { type: "records", records: [{ ...makeRecords(32, 1)[0]!, resumed: true }] });
    await p.click('[data-testid="handshake-row"][data-id="32"]');
    assert.match(await detail.innerText(), /resumed from an earlier connection/);
    assert.match(await detail.innerText(), /certificate \(sent on the earlier connection\)/i); // card titles are upper-cased by CSS
    await assertClean(p);
  });

  it("moves between tabs with the arrow keys", async () => {
    const p = await open();
    await p.focus('[data-testid="tab-bindings"]');
    await p.keyboard.press("ArrowRight");
    assert.equal(await p.evaluate(() => document.activeElement?.getAttribute("data-testid")), "tab-handshakes");
    await p.keyboard.press("End");
    assert.equal(await p.getAttribute('[data-testid="tab-hosts"]', "aria-selected"), "true");
    assert.equal(await p.isVisible('[data-testid="panel-hosts"]'), true);
    assert.equal(await p.isVisible('[data-testid="panel-bindings"]'), false);
    await p.keyboard.press("ArrowRight");
    assert.equal(await p.getAttribute('[data-testid="tab-bindings"]', "aria-selected"), "true");
    await assertClean(p);
  });

  it("ignores malformed messages from the extension and keeps working", async () => {
    const p = await open();
    const junk: unknown[] = [
      null,
      42,
      "snapshot",
      { type: "nope" },
      { type: "snapshot" },
      {
        type: "snapshot",
        snapshot: { proxy: { state: "on", bindings: [{ spec: 1 }], routes: "x" }, ca: { trust: 5 } },
      },
      { type: "records", records: "many" },
      { type: "records", records: [null, { id: "x" }, { id: 7, alpnOffered: "h2", detail: 3 }] },
      { type: "probeResult", url: 5 },
      { type: "notice", level: "loud" },
      { type: "snapshot", snapshot: { ...snapshot, hosts: { mappings: [{ name: "x.test" }] } } },
    ];
    for (const m of junk) await send(p, m);
    await send(p, { type: "snapshot", snapshot } satisfies HostMessage);
    await send(p, {
      type: "notice",
      level: "error",
      text: "Could not write /etc/hosts: permission denied",
    } satisfies HostMessage);
    assert.match(await p.locator('[data-testid="notice"]').innerText(), /permission denied/);
    assert.equal(await p.locator('[data-testid="bindings-table"] tbody tr').count(), 3);
    await p.click('[data-testid="tab-handshakes"]');
    assert.equal(await rows(p).count(), 1, "the one usable record is shown");
    await assertClean(p);
  });

  it("restores the view, filter, pause and selection from getState after a reload", async () => {
    const p = await open();
    await send(p, { type: "records", records: makeRecords(1, 50), reset: true });
    await p.click('[data-testid="tab-handshakes"]');
    await p.fill('[data-testid="handshake-filter"]', "grafana");
    await p.click('[data-testid="handshake-row"][data-id="42"]');
    await p.click('[data-testid="handshake-pause"]');
    await p.reload();
    await p.waitForSelector('[data-testid="tab-handshakes"][aria-selected="true"]');
    assert.equal(await p.inputValue('[data-testid="handshake-filter"]'), "grafana");
    assert.equal(await p.getAttribute('[data-testid="handshake-pause"]', "aria-pressed"), "true");
    await send(p, { type: "records", records: makeRecords(1, 50), reset: true });
    assert.equal(await p.getAttribute('[data-testid="handshake-row"][data-id="42"]', "aria-selected"), "true");
    assert.match(await p.locator('[data-testid="handshake-detail"]').innerText(), /grafana\.test/);
    await assertClean(p);
  });

  it("posts probe and hosts messages the extension accepts, and shows the probe result", async () => {
    const p = await open();
    await send(p, { type: "snapshot", snapshot });
    await p.fill('[data-testid="probe-input"]', "http://my-awesome-service.test:8443/");
    await p.click('[data-testid="probe-button"]');
    await send(p, {
      type: "probeResult",
      url: "http://my-awesome-service.test:8443/",
      ok: false,
      text: "This port speaks HTTPS but the URL says http.",
    });
    assert.match(await p.locator('[data-testid="probe-result"]').innerText(), /speaks HTTPS/);
    await p.click('[data-testid="tab-hosts"]');
    await p.fill('[data-testid="mapping-name"]', "not a name");
    await p.click('[data-testid="mapping-add"]');
    assert.match(await p.locator('[data-testid="mapping-error"]').innerText(), /not a valid host name/);
    await p.fill('[data-testid="mapping-name"]', "Shop.test");
    await p.click('[data-testid="mapping-add"]');
    await p.click('[data-testid="mapping-remove"][data-name="grafana.test"]');
    const messages = (await posted(p)).slice(1);
    assert.deepEqual(messages, [
      { type: "probe", url: "http://my-awesome-service.test:8443/" },
      { type: "addMapping", name: "shop.test", addresses: ["127.0.0.1", "::1"] },
      { type: "removeMapping", name: "grafana.test" },
    ]);
    for (const m of messages) assert.ok(parseWebviewMessage(m), `accepted: ${JSON.stringify(m)}`);
    await assertClean(p);
  });

  /** Every store the snapshot lists trusts the root, or not. */
  const withTrust = (trusted: boolean): PanelSnapshot => ({
    ...snapshot,
    ca: {
      ...snapshot.ca!,
      trust: snapshot.ca!.trust.map((t) => ({ ...t, trusted: t.available ? trusted : t.trusted })),
    },
  });

  it("shows the proxy's real state from the first paint, never Connecting… or Start while it runs", async () => {
    // The page as panelHost builds it, with the state embedded: right before any message arrives.
    const p = await open("light", snapshot.proxy);
    assert.deepEqual(await posted(p), [{ type: "ready" }], "no message from the host yet");
    assert.equal(await p.locator('[data-testid="proxy-state"]').innerText(), "Proxy on · :8443");
    assert.equal(await p.locator('[data-testid="proxy-toggle"]').innerText(), "Stop Proxy");
    await p.click('[data-testid="tab-handshakes"]');
    assert.doesNotMatch(await p.locator('[data-testid="handshake-empty"]').innerText(), /Start Proxy|proxy is off/);
    assert.equal(await p.locator('[data-testid="empty-start-proxy"]').count(), 0);
    await assertClean(p);

    // A page without the state (an older host) says it is checking, with no Start button, until told.
    const q = await open("dark");
    assert.equal(await q.locator('[data-testid="proxy-state"]').innerText(), "Checking the proxy…");
    assert.equal(await q.locator('[data-testid="proxy-toggle"]').isVisible(), false);
    assert.doesNotMatch(await q.locator("body").innerText(), /Connecting…|Start Proxy/);
    await send(q, { type: "proxy", proxy: snapshot.proxy });
    assert.equal(await q.locator('[data-testid="proxy-state"]').innerText(), "Proxy on · :8443");
    assert.equal(await q.locator('[data-testid="proxy-toggle"]').innerText(), "Stop Proxy");
    // Restored after a reload (getState), the header is right before any message, too.
    await q.reload();
    await q.waitForSelector('[data-testid="tab-bindings"]');
    assert.equal(await q.locator('[data-testid="proxy-state"]').innerText(), "Proxy on · :8443");
    assert.equal(await q.locator('[data-testid="proxy-toggle"]').innerText(), "Stop Proxy");
    await assertClean(q);
  });

  let recovered: RecoveredConnection | undefined;
  it("shows a connection's current state: a 502 then 200s on one h2 connection reads ok, with the 502 in its history", async () => {
    const { afterFailure, closed } = (recovered = await recoveredConnection());
    const p = await open("light");
    await send(p, { type: "snapshot", snapshot });
    await p.click('[data-testid="tab-handshakes"]');
    const id = closed.id;
    const row = p.locator(`[data-testid="handshake-row"][data-id="${id}"]`);
    await send(p, { type: "records", records: [afterFailure] });
    assert.equal(await row.getAttribute("data-state"), "failed", "right after the 502 the row is failed");
    assert.match(await row.locator(".c-outcome").innerText(), /failed at upstream/);
    await send(p, { type: "records", records: [closed] });
    assert.equal(await row.getAttribute("data-state"), "ok");
    assert.match(await row.locator(".c-outcome").innerText(), /^proxied 200 \(3 requests\) · recovered$/);
    // The dot and the words agree: the dot has the ok colour, not the error one.
    const dot = await row
      .locator(".c-outcome")
      .evaluate((el) => getComputedStyle(el as never, "::before").backgroundColor);
    const ok = await p.evaluate(() =>
      getComputedStyle(document.querySelector(".hs-viewport") as never).getPropertyValue("--sy-ok"),
    );
    assert.ok(dot !== "rgba(0, 0, 0, 0)" && ok !== "", `dot ${dot}`);
    await row.click();
    const detail = p.locator('[data-testid="handshake-detail"]');
    assert.equal(await detail.locator('[data-testid="handshake-explanation"]').count(), 0, "no red banner");
    const history = detail.locator('[data-testid="handshake-history"]');
    assert.match(
      await history.innerText(),
      /request 1 failed at upstream[\s\S]*closed the connection without answering[\s\S]*now\s+proxied 200/,
    );
    assert.deepEqual(
      (await detail.locator('[data-testid="handshake-request"]').allInnerTexts()).map((t) =>
        t.split("\t")[3]?.slice(0, 3),
      ),
      ["502", "200", "200"],
    );
    await assertClean(p);
  });

  it("names a client that does not trust the root and offers its fix; no Trust Local CA once every store trusts", async (t) => {
    if (!needTools(t, "curl")) return;
    const rec = await untrustedCurl("/home/dev/.local/share/switchyard/ca/root.pem");
    const p = await open("light");
    await send(p, { type: "snapshot", snapshot: withTrust(false) });
    await send(p, { type: "records", records: [rec] });
    await p.click('[data-testid="tab-handshakes"]');
    await p.click(`[data-testid="handshake-row"][data-id="${rec.id}"]`);
    const banner = p.locator('[data-testid="handshake-explanation"]');
    assert.match(await banner.innerText(), /does not trust the Switchyard root[\s\S]*curl \(OpenSSL\)[\s\S]*--cacert/);
    const fixes = p.locator('[data-testid="handshake-fix"]');
    assert.deepEqual(await fixes.allInnerTexts(), ["Copy curl --cacert", "Copy the ca env command", "Trust Local CA"]);
    await fixes.first().click();
    const copied = (await posted(p)).at(-1);
    assert.deepEqual(copied, {
      type: "copy",
      text: "curl --cacert '/home/dev/.local/share/switchyard/ca/root.pem' URL",
    });
    assert.ok(parseWebviewMessage(copied), "the extension accepts it");
    // Every store trusts the root: offering Trust Local CA again would loop.
    await send(p, { type: "snapshot", snapshot: withTrust(true) });
    assert.deepEqual(await fixes.allInnerTexts(), ["Copy curl --cacert", "Copy the ca env command"]);
    // Copy as JSON instead of raw JSON in the pane; the pane shows readable fields.
    assert.doesNotMatch(await p.locator('[data-testid="handshake-detail"]').innerText(), /[{]"/);
    await p.click('[data-testid="handshake-copy-json"]');
    const json = (await posted(p)).at(-1) as { type: string; text: string };
    assert.equal(json.type, "copy");
    assert.equal((JSON.parse(json.text) as { id: number }).id, rec.id);
    assert.ok(parseWebviewMessage(json));
    assert.match(await p.locator('[data-testid="handshake-clienthello"]').innerText(), /Program\s+curl \(OpenSSL\)/);
    await shot(p, "handshake-untrusted-client-light");
    await assertClean(p);

    // The same row in the dark theme, screenshot checked: the banner sits on a dark background.
    const d = await open("dark");
    await send(d, { type: "snapshot", snapshot: withTrust(true) });
    await send(d, { type: "records", records: [rec] });
    await d.click('[data-testid="tab-handshakes"]');
    await d.click(`[data-testid="handshake-row"][data-id="${rec.id}"]`);
    const box = (await d.locator('[data-testid="handshake-explanation"]').boundingBox())!;
    const png = await d.screenshot({ path: join(SHOTS, "handshake-untrusted-client-dark.png") });
    const [inBanner] = await pixels(png, [{ x: Math.round(box.x + box.width - 4), y: Math.round(box.y + 4) }]);
    assert.ok((inBanner!.r + inBanner!.g + inBanner!.b) / 3 < 110, `dark banner: ${JSON.stringify(inBanner)}`);
    assert.deepEqual(await d.locator('[data-testid="handshake-fix"]').allInnerTexts(), [
      "Copy curl --cacert",
      "Copy the ca env command",
    ]);
    await assertClean(d);
  });

  for (const theme of ["light", "dark"] as const) {
    it(`fits Time, SNI, Route and Outcome at the default width, with a tooltip on every cell and one date format (${theme})`, async () => {
      recovered ??= await recoveredConnection(); // made by the test above, unless it was left out
      const p = await open(theme);
      await send(p, { type: "snapshot", snapshot });
      const failedRow = makeRecords(31, 1)[0]!; // fails (id % 7 === 3, not plain HTTP), near the top
      // The real row after 40 made-up ones, with an id of its own (both count from 1).
      const real = { ...recovered.closed, id: 1000 };
      await send(p, { type: "records", records: [...makeRecords(1, 40), real], reset: true });
      await p.click('[data-testid="tab-handshakes"]');
      await rows(p).first().waitFor();
      const cells = await p.locator('[data-testid="handshake-row"] .hs-cell').evaluateAll((els) =>
        els
          .map(
            (e) =>
              e as unknown as {
                className: string;
                scrollWidth: number;
                clientWidth: number;
                title: string;
                textContent: string;
                offsetParent: unknown;
              },
          )
          .filter((e) => e.offsetParent !== null)
          .map((e) => ({
            cls: e.className,
            cut: e.scrollWidth > e.clientWidth,
            sizes: `${e.scrollWidth} > ${e.clientWidth}`,
            title: e.title,
            text: e.textContent,
          })),
      );
      assert.ok(cells.length > 100, `${cells.length} visible cells`);
      for (const c of cells) {
        assert.ok(c.title.includes(c.text) || c.title.length > 0, `${c.cls} "${c.text}" has a tooltip`);
        if (/c-(time|sni|route|outcome)/.test(c.cls))
          assert.equal(c.cut, false, `${c.cls} "${c.text}" is cut (${c.sizes})`);
      }
      const row = p.locator(`[data-testid="handshake-row"][data-id="1000"]`);
      const shown = await row.locator(".c-time").innerText();
      assert.match(shown, /^\d{2}:\d{2}:\d{2}\.\d{3}$/);
      await row.click();
      const when = await p.locator('[data-testid="handshake-time"]').innerText();
      assert.match(when, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/);
      assert.ok(when.endsWith(shown), `one format: ${when} / ${shown}`);
      assert.equal(
        await row.locator(".c-time").getAttribute("title"),
        when,
        "the tooltip is the same clock with its date",
      );

      // The screenshot, checked: the recovered row's dot is green, a failed row's red, and the
      // background is the theme's.
      const png = await p.screenshot({ path: join(SHOTS, `handshakes-current-state-${theme}.png`) });
      const failed = p.locator(`[data-testid="handshake-row"][data-id="${failedRow.id}"] .c-outcome`);
      const dotAt = async (cell: typeof failed): Promise<{ x: number; y: number }> => {
        const box = (await cell.boundingBox())!;
        return { x: Math.round(box.x + 6 + 3), y: Math.round(box.y + box.height / 2) };
      };
      const [okPixel, failedPixel, background] = await pixels(png, [
        await dotAt(row.locator(".c-outcome")),
        await dotAt(failed),
        { x: 1270, y: 850 },
      ]);
      assert.ok(okPixel!.g > okPixel!.r, `the ok dot is green: ${JSON.stringify(okPixel)}`);
      assert.ok(failedPixel!.r > failedPixel!.g, `the failed dot is red: ${JSON.stringify(failedPixel)}`);
      const luminance = (background!.r + background!.g + background!.b) / 3;
      assert.ok(theme === "dark" ? luminance < 90 : luminance > 180, `${theme} background ${luminance}`);
      await assertClean(p);
    });
  }
});
