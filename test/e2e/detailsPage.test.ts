/**
 * The packaged README on VS Code's extension details page shows every screenshot.
 *
 * The details page renders the README in a webview whose sanitizer drops relative image sources and
 * whose policy allows `img-src https: data:`, so the VSIX's README must name its images by https://
 * URL (scripts/package.mjs). Here the VSIX is packaged with an images base on a name served by a
 * local https server (a test CA that this Chromium profile trusts, the name mapped to loopback for
 * this browser only), unpacked, and opened in the real workbench; each <img> on the page must have
 * loaded (naturalWidth > 0).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, normalize } from "node:path";
import { after, before, describe, it } from "node:test";
import type { FrameLocator, Page } from "playwright-core";
import { LocalCa } from "../../extension/core/ca/authority";
import { nssHome } from "../unit/proxy/harness";
// @ts-expect-error: plain JS harness module shared with `npm start` and the integration runner
import { launchChromium } from "../harness/browser.mjs";
// @ts-expect-error: plain JS harness module shared with `npm start` and the integration runner
import { ensureCodeServer, repoRoot, serverDirArgs, serverMain, startVsCodeServer } from "../harness/codeServer.mjs";
import { screenshot } from "./workbench";

const IMAGES_HOST = "images.switchyard.test";
/** Where the server keeps the repository's files, as a repository host's raw URLs do. */
const RAW = "/switchyard/raw/HEAD/";
const REPO = repoRoot as string;

/** The relative image paths README.md links, in order. */
function readmeImages(): string[] {
  const text = readFileSync(join(REPO, "README.md"), "utf8");
  return [...text.matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1] as string);
}

/** The details page's README document: the only webview here (an overlay outside the editor's DOM). */
function readmeFrame(page: Page): FrameLocator {
  return page.frameLocator("iframe.webview.ready").frameLocator("#active-frame");
}

describe("the extension details page", () => {
  let work: string;
  let images: Server;
  const served: string[] = [];
  let server:
    | {
        port: number;
        url: string;
        dirs: Record<"userData" | "serverData" | "extensions", string>;
        stop(): Promise<void>;
      }
    | undefined;
  let closeBrowser: (() => Promise<void>) | undefined;
  let page: Page;
  let base: string;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "switchyard-details-"));
    const { ca } = await LocalCa.openOrCreate({ dir: join(work, "ca") });
    const leaf = await ca.leafFor(IMAGES_HOST);
    writeFileSync(join(work, "root.pem"), ca.rootPem());
    images = createServer({ cert: leaf.chainPem, key: leaf.keyPem }, (req, res) => {
      const path = decodeURIComponent(new URL(req.url ?? "/", "https://x").pathname);
      const rel = normalize(path.slice(RAW.length));
      if (!path.startsWith(RAW) || !rel.startsWith("media/screenshots/") || !rel.endsWith(".png")) {
        res.writeHead(404).end();
        return;
      }
      try {
        const body = readFileSync(join(REPO, rel));
        served.push(rel);
        res.writeHead(200, { "content-type": "image/png" }).end(body);
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => images.listen(0, "127.0.0.1", resolve));
    const port = (images.address() as AddressInfo).port;
    base = `https://${IMAGES_HOST}:${port}${RAW}`;

    const vsix = join(work, "switchyard.vsix");
    execFileSync(process.execPath, [join(REPO, "scripts", "package.mjs"), "--images-url", base, "--out", vsix], {
      cwd: REPO,
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 120_000,
    });
    const folder = join(work, "workspace");
    mkdirSync(folder);

    const running = (server = await startVsCodeServer({ env: { SWITCHYARD_CAROOT: join(work, "extension-ca") } }));
    // Installed as a user installs a VSIX, before the window opens (its extension host scans then).
    const { pkg, node } = ensureCodeServer() as { pkg: string; node: string };
    const dirs = running.dirs;
    execFileSync(
      node,
      [serverMain(pkg), ...serverDirArgs(dirs), "--accept-server-license-terms", "--install-extension", vsix],
      { stdio: ["ignore", "pipe", "pipe"], timeout: 120_000 },
    );
    const home = nssHome(join(work, "root.pem"));
    const launched = await launchChromium({
      args: [`--host-resolver-rules=MAP ${IMAGES_HOST} 127.0.0.1`],
      env: { ...process.env, HOME: home },
    });
    closeBrowser = async () => {
      await launched.close();
      rmSync(home, { recursive: true, force: true });
    };
    page = await launched.browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`${running.url}/?${new URLSearchParams({ folder }).toString()}`, {
      waitUntil: "domcontentloaded",
      timeout: 120_000,
    });
    await page.locator(".monaco-workbench").waitFor({ timeout: 60_000 });
    await page.locator(".statusbar-item", { hasText: "Switchyard" }).first().waitFor({ timeout: 90_000 });
  });

  after(async () => {
    await closeBrowser?.();
    await server?.stop();
    images?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("shows every README screenshot, loaded over https", async () => {
    const expected = readmeImages();
    assert.ok(expected.length >= 5, `README.md links its screenshots: ${expected.join(", ")}`);
    // The Extensions view lists the extension under development; its row opens the details page.
    await page.keyboard.press("Control+Shift+X");
    // The search box is a small editor: typed into, not filled.
    const search = page.locator(".extensions-viewlet .suggest-input-container").first();
    await search.waitFor({ timeout: 30_000 });
    await search.click();
    await page.keyboard.type("@installed Switchyard");
    const row = page.locator(".extensions-viewlet .monaco-list-row", { hasText: "Switchyard" }).first();
    await row.waitFor({ timeout: 30_000 });
    await row.click();
    const frame = readmeFrame(page);
    await frame.locator("h1", { hasText: "Switchyard" }).waitFor({ timeout: 60_000 });
    const imgs = frame.locator("img");
    const deadline = Date.now() + 30_000;
    let state: { src: string; alt: string; complete: boolean; width: number }[] = [];
    for (;;) {
      state = await imgs.evaluateAll((els) =>
        els.map((e) => {
          const img = e as unknown as { src: string; alt: string; complete: boolean; naturalWidth: number };
          return { src: img.src, alt: img.alt, complete: img.complete, width: img.naturalWidth };
        }),
      );
      if (state.length >= expected.length && state.every((s) => s.complete)) break;
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await screenshot(page, "details-page-readme.png");
    assert.deepEqual(
      state.map((s) => s.src),
      expected.map((rel) => `${base}${rel}`),
      "each README image keeps its https:// source on the page",
    );
    for (const s of state)
      assert.ok(s.complete && s.width > 0, `${s.alt} (${s.src}) did not load: ${JSON.stringify(s)}`);
    assert.deepEqual(
      [...new Set(served)].sort(),
      [...new Set(expected)].sort(),
      "each image came from the https server",
    );
  });
});
