/**
 * A real Vite dev server (the `vite` devDependency, started programmatically in a temp root)
 * behind the proxy: the page loads over https, Vite's HMR WebSocket connects through the proxy
 * the way the browser client does (subprotocol `vite-hmr`, Origin and the page's token), and
 * editing a file pushes an update over that socket; and headless Chromium loads the page over h2
 * and keeps its HMR socket on that connection (RFC 8441). Loopback only.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { createServer, type ViteDevServer } from "vite";
import { WebSocket } from "ws";
import { chromium } from "playwright-core";
import CHROMIUM_FLAGS from "../../harness/chromium-flags.json";
import {
  httpsGetVia,
  needTools,
  nssHome,
  proxySettings,
  startRealProxy,
  waitForRecord,
  type RealProxy,
} from "./harness";

const NAME = "my-awesome-service.test";

describe("a real Vite dev server behind the proxy", () => {
  let f: RealProxy;
  let vite: ViteDevServer;
  let root = "";
  let socket: WebSocket | undefined;
  const messages: { type: string; [k: string]: unknown }[] = [];

  const get = (p: string): Promise<{ status?: number; body: string }> => httpsGetVia(f, NAME, p);

  before(async () => {
    root = mkdtempSync(path.join(tmpdir(), "switchyard-vite-"));
    writeFileSync(
      path.join(root, "index.html"),
      `<!doctype html><html><head><title>vite app</title></head><body><h1>Hello Vite</h1><script type="module" src="/main.js"></script></body></html>\n`,
    );
    writeFileSync(path.join(root, "main.js"), `document.querySelector("h1").dataset.version = "1";\n`);
    // The proxy's port is needed in Vite's hmr.clientPort, so the proxy starts first with no routes.
    f = await startRealProxy([]);
    vite = await createServer({
      root,
      configFile: false,
      logLevel: "silent",
      server: {
        host: "127.0.0.1",
        port: 0,
        strictPort: false,
        // What a user adds for a custom dev name: Vite rejects unknown Host headers (DNS rebinding).
        allowedHosts: [NAME],
        hmr: { clientPort: f.port, protocol: "wss" },
        watch: { usePolling: false },
      },
    });
    await vite.listen();
    const port = (vite.httpServer!.address() as net.AddressInfo).port;
    await f.proxy.update(proxySettings([{ host: NAME, upstream: `http://127.0.0.1:${port}` }]));
  });
  after(async () => {
    socket?.terminate();
    await vite?.close();
    await f?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it("serves Vite's page through the proxy, with the HMR client pointed at the proxy port", async () => {
    const page = await get("/");
    assert.equal(page.status, 200);
    assert.match(page.body, /<h1>Hello Vite<\/h1>/);
    assert.match(page.body, /\/@vite\/client/, "Vite injected its HMR client");
    const client = await get("/@vite/client");
    assert.equal(client.status, 200);
    assert.match(client.body, new RegExp(`"wss"`));
    assert.match(client.body, new RegExp(`${f.port}`), "the client dials the proxy's port (hmr.clientPort)");
  });

  it("connects Vite's HMR WebSocket through the proxy and receives {type: connected}", async () => {
    const client = await get("/@vite/client");
    const token = client.body.match(/const wsToken = "([^"]+)"/)?.[1];
    assert.ok(token, "Vite's client carries the WebSocket token");
    // servername is passed through to tls.connect; ws's types do not list it.
    // The name is dialled at 127.0.0.1 with its Host header, as a browser with a hosts entry does.
    const options = {
      ca: f.rootPem,
      servername: NAME,
      origin: `https://${NAME}:${f.port}`,
      headers: { host: `${NAME}:${f.port}` },
    };
    socket = new WebSocket(`wss://127.0.0.1:${f.port}/?token=${token}`, "vite-hmr", options);
    socket.on("message", (m) => messages.push(JSON.parse(String(m)) as { type: string }));
    await new Promise((resolve, reject) => socket!.once("open", resolve).once("error", reject));
    assert.equal(socket.protocol, "vite-hmr");
    await until(() => messages.some((m) => m.type === "connected"), 5000, "Vite's connected message");
  });

  it("pushes a reload over the proxied socket when a file in the root changes", async () => {
    assert.ok(socket && socket.readyState === WebSocket.OPEN, "the HMR socket from the previous test is open");
    // Load main.js so it is in Vite's module graph, as the browser would.
    assert.equal((await get("/main.js")).status, 200);
    await new Promise((r) => setTimeout(r, 300)); // let the watcher settle
    writeFileSync(path.join(root, "main.js"), `document.querySelector("h1").dataset.version = "2";\n`);
    await until(
      () => messages.some((m) => m.type === "full-reload" || m.type === "update"),
      10_000,
      "an update or full-reload message",
    );
    const got = messages.find((m) => m.type === "full-reload" || m.type === "update")!;
    console.log(`Vite pushed ${JSON.stringify(got)}`);
    assert.ok(["full-reload", "update"].includes(got.type));
    socket.close();
    const rec = await waitForRecord(f.proxy, (r) => r.requests.some((q) => q.status === 101));
    assert.equal(rec.clientHello?.serverName, NAME);
    assert.equal(rec.tls?.version, "TLSv1.3");
    assert.equal(rec.tls?.alpn, undefined, "ws offers no ALPN, so the proxy speaks HTTP/1.1 on it");
  });

  it("keeps Chromium's HMR socket on the page's h2 connection (RFC 8441 extended CONNECT)", async (t) => {
    if (!needTools(t, "chromium", "certutil")) return;
    const home = nssHome(f.rootFile);
    const browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      env: { ...process.env, HOME: home },
      args: [...CHROMIUM_FLAGS, `--host-resolver-rules=MAP ${NAME} 127.0.0.1`],
      timeout: 30_000,
    });
    try {
      const page = await browser.newPage();
      const logs: string[] = [];
      page.on("console", (m) => logs.push(m.text()));
      const connected = page.waitForEvent("console", {
        predicate: (m) => m.text().includes("[vite] connected."),
        timeout: 15_000,
      });
      assert.equal((await page.goto(`https://${NAME}:${f.port}/`))?.status(), 200);
      await connected;
      assert.ok(!logs.some((l) => /failed to connect to websocket/i.test(l)), logs.join("\n"));
    } finally {
      // A record is written when its connection closes: Chromium closes them when it exits.
      await browser.close();
      rmSync(home, { recursive: true, force: true });
    }
    const rec = await waitForRecord(
      f.proxy,
      (r) => r.tls?.alpn === "h2" && r.requests.some((q) => q.path === "/" && q.status === 200),
    );
    // Chromium (156 here) opened the HMR WebSocket as an extended CONNECT stream on the connection
    // that loaded the page, instead of a second, HTTP/1.1 connection for the Upgrade.
    const hmr = rec.requests.find((q) => q.status === 101);
    assert.ok(hmr, `the page's h2 connection carried the HMR socket: ${JSON.stringify(rec.requests)}`);
    assert.match(hmr.path, /^\/\?token=/);
  });
});

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
