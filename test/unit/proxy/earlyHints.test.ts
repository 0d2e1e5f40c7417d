/**
 * 103 Early Hints in a real browser: headless Chromium loads a stock Vite dev server (the `vite`
 * devDependency) through two proxies, one with `switchyard.proxy.earlyHints` on and one with it
 * off (the default), and the page must come out byte-identical through both: on a hinted load, after
 * an import is removed and a module edited (the hints then name a stale module), and after an HMR
 * update (the reloaded page imports `?t=` versions). Vite's own request log shows the hints were
 * fetched. Loopback only.
 */
import { after, before, describe, it, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { createServer, type Plugin, type ViteDevServer } from "vite";
import { chromium, type Browser, type Page } from "playwright-core";
import CHROMIUM_FLAGS from "../../harness/chromium-flags.json";
import { needTools, nssHome, proxySettings, startRealProxy, type RealProxy } from "./harness";

const NAME = "hinted-app.test";

/** What the page shows once every module ran: the DOM, the modules' own log, the applied style. */
const READ_PAGE = `(() => ({
  html: document.documentElement.outerHTML,
  log: globalThis.__log.join(" "),
  color: getComputedStyle(document.querySelector("h1")).color,
}))()`;

interface PageState {
  html: string;
  log: string;
  color: string;
}

/** A request Vite answered: which proxy it came through, and whether it was a revalidation. */
interface Seen {
  via: string;
  url: string;
  conditional: boolean;
}

describe("early hints with Chromium and a real Vite dev server", () => {
  let root = "";
  let home = "";
  let vite: ViteDevServer;
  let hinted: RealProxy;
  let plain: RealProxy;
  let browser: Browser | undefined;
  const seen: Seen[] = [];

  const file = (name: string, text: string): void => writeFileSync(path.join(root, name), text);
  const module = (name: string, version: string, imports: string[] = []): string =>
    `${imports.map((i) => `import "${i}";`).join("\n")}\n(globalThis.__log ??= []).push("${name}:${version}");\n`;

  before(async () => {
    root = mkdtempSync(path.join(tmpdir(), "switchyard-hints-"));
    mkdirSync(path.join(root, "src"));
    file(
      "index.html",
      `<!doctype html><html><head><title>hinted</title></head><body><h1>Hints</h1><script type="module" src="/main.js"></script></body></html>\n`,
    );
    file("style.css", "h1 { color: rgb(0, 0, 1); }\n");
    file("main.js", module("main", "1", ["./style.css", "./src/a.js", "./src/b.js"]) + "globalThis.__done = true;\n");
    file("src/a.js", module("a", "1", ["./leaf.js"]));
    file("src/b.js", module("b", "1"));
    file("src/leaf.js", module("leaf", "1"));
    hinted = await startRealProxy([], { "switchyard.proxy.earlyHints": true });
    plain = await startRealProxy([]);
    // Vite's request log, read by the proxy port in Forwarded (which proxy the request came through).
    const log: Plugin = {
      name: "request-log",
      configureServer(server) {
        server.middlewares.use((req, _res, next) => {
          const host = String(req.headers["x-forwarded-host"] ?? "");
          seen.push({ via: host, url: req.url ?? "", conditional: req.headers["if-none-match"] !== undefined });
          next();
        });
      },
    };
    vite = await createServer({
      root,
      configFile: false,
      logLevel: "silent",
      plugins: [log],
      server: { host: "127.0.0.1", port: 0, strictPort: false, allowedHosts: [NAME] },
    });
    await vite.listen();
    const port = (vite.httpServer!.address() as net.AddressInfo).port;
    const routes = [{ host: NAME, upstream: `http://127.0.0.1:${port}` }];
    await hinted.proxy.update(proxySettings(routes, { "switchyard.proxy.earlyHints": true }));
    await plain.proxy.update(proxySettings(routes));
  });
  after(async () => {
    await browser?.close();
    await vite?.close();
    await hinted?.close();
    await plain?.close();
    for (const dir of [root, home]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function start(t: TestContext): Promise<Browser | undefined> {
    if (!needTools(t, "chromium", "certutil")) return undefined;
    if (browser) return browser;
    home = nssHome(hinted.rootFile);
    // Each proxy issues from its own CA: the second root joins the same NSS database.
    execFileSync("certutil", [
      "-A",
      "-d",
      `sql:${path.join(home, ".pki", "nssdb")}`,
      "-t",
      "C,,",
      "-n",
      "switchyard-test-2",
      "-i",
      plain.rootFile,
    ]);
    browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      env: { ...process.env, HOME: home },
      args: [...CHROMIUM_FLAGS, `--host-resolver-rules=MAP ${NAME} 127.0.0.1`],
      timeout: 30_000,
    });
    return browser;
  }

  const url = (f: RealProxy): string => `https://${NAME}:${f.port}/`;

  /** A cold load (new context) through `f`: the page's state once main.js ran, and Vite's log of it. */
  async function coldLoad(b: Browser, f: RealProxy): Promise<{ state: PageState; requests: Seen[] }> {
    const from = seen.length;
    const context = await b.newContext();
    try {
      const page = await context.newPage();
      assert.equal((await page.goto(url(f)))?.status(), 200);
      return { state: await settled(page), requests: seen.slice(from).filter((s) => s.via.endsWith(`:${f.port}`)) };
    } finally {
      await context.close();
    }
  }

  async function settled(page: Page): Promise<PageState> {
    await page.waitForFunction("globalThis.__done === true", undefined, { timeout: 20_000 });
    return (await page.evaluate(READ_PAGE)) as PageState;
  }

  /** Loads through both proxies (the hinted one twice: learn, then hinted) and compares the pages. */
  async function compare(b: Browser): Promise<{ state: PageState; hintedRequests: Seen[] }> {
    await coldLoad(b, hinted);
    const withHints = await coldLoad(b, hinted);
    const without = await coldLoad(b, plain);
    assert.deepEqual(withHints.state, without.state, "the page is the same with and without hints");
    return { state: withHints.state, hintedRequests: withHints.requests };
  }

  it("loads a byte-identical page with hints, which Chromium fetches before the page asks", async (t) => {
    const b = await start(t);
    if (!b) return;
    const { state, hintedRequests } = await compare(b);
    assert.equal(state.log, "leaf:1 a:1 b:1 main:1");
    assert.equal(state.color, "rgb(0, 0, 1)");
    // The hint's fetch and then the page's own (a revalidation: Vite sends no-cache with an ETag).
    const leaf = hintedRequests.filter((s) => s.url === "/src/leaf.js");
    assert.equal(leaf.length, 2, JSON.stringify(hintedRequests));
    assert.equal(leaf[1]!.conditional, true, "the page revalidated the hint's copy");
  });

  it("stays byte-identical after an import is removed and a module edited (stale hints)", async (t) => {
    const b = await start(t);
    if (!b) return;
    file("main.js", module("main", "2", ["./style.css", "./src/a.js"]) + "globalThis.__done = true;\n");
    file("src/leaf.js", module("leaf", "2"));
    await new Promise((r) => setTimeout(r, 300)); // Vite's watcher invalidates the edited modules
    const { state } = await compare(b);
    assert.equal(state.log, "leaf:2 a:1 main:2");
    assert.doesNotMatch(state.html, /b:1/);
  });

  it("stays byte-identical across an HMR update and the ?t= versions a reload then imports", async (t) => {
    const b = await start(t);
    if (!b) return;
    const context = await b.newContext();
    try {
      const page = await context.newPage();
      const connected = page.waitForEvent("console", {
        predicate: (m) => m.text().includes("[vite] connected."),
        timeout: 15_000,
      });
      await page.goto(url(hinted));
      await settled(page);
      await connected;
      file("style.css", "h1 { color: rgb(0, 0, 2); }\n");
      await page.waitForFunction(`getComputedStyle(document.querySelector("h1")).color === "rgb(0, 0, 2)"`, undefined, {
        timeout: 15_000,
      });
      // A reload of the updated page imports the HMR version (style.css?t=…), learned for later loads.
      await page.reload();
      const reloaded = await settled(page);
      const fresh = await coldLoad(b, plain);
      assert.deepEqual(reloaded, fresh.state);
    } finally {
      await context.close();
    }
    const { state } = await compare(b);
    assert.equal(state.color, "rgb(0, 0, 2)");
  });
});
