/**
 * `switchyard run NAME -- COMMAND` as a user runs it: real processes (the CLI, a `serve` beside it,
 * plain Node servers and a stock Vite with no config file), real sockets on loopback, curl and a
 * headless Chromium trusting the root through a temp NSS database. State and CA live in temp dirs.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import CHROMIUM_FLAGS from "../../harness/chromium-flags.json";
import { freePort } from "../../../extension/core/devservers/freePort";
import { needTools, nssHome } from "../proxy/harness";

const ROOT = join(__dirname, "..", "..", "..");
const BIN = join(ROOT, "bin", "switchyard.js");
const PROXY_PAGE = "Answered by the Switchyard dev proxy";

/** A started CLI process with its output collected. */
interface Cli {
  child: ChildProcess;
  out: () => string;
  /** Resolves with the first match of `re` in stdout+stderr (rejects after timeoutMs or on exit). */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startCli(args: string[], env: NodeJS.ProcessEnv, cwd = ROOT): Cli {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const listeners = new Set<() => void>();
  const onData = (d: Buffer): void => {
    out += d.toString();
    for (const l of listeners) l();
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    out: () => out,
    exit,
    waitFor(re, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const m = re.exec(out);
          if (m) {
            cleanup();
            resolve(m);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no ${re} within ${timeoutMs} ms:\n${out}`));
        }, timeoutMs);
        const onExit = (): void => {
          setTimeout(() => {
            const m = re.exec(out);
            cleanup();
            if (m) resolve(m);
            else reject(new Error(`the process exited before ${re}:\n${out}`));
          }, 50);
        };
        const cleanup = (): void => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off("exit", onExit);
        };
        listeners.add(check);
        child.once("exit", onExit);
        check();
      });
    },
  };
}

function curl(url: string, rootFile: string): { code: number; body: string } {
  const r = spawnSync("curl", ["-sS", "--max-time", "10", "--cacert", rootFile, url], { encoding: "utf8" });
  return { code: r.status ?? -1, body: `${r.stdout}${r.stderr}` };
}

describe("switchyard run", () => {
  let work: string;
  let env: NodeJS.ProcessEnv;
  let rootFile: string;
  let port: number;
  let serve: Cli;
  const started: Cli[] = [];
  const server = (body: string): string => {
    const file = join(work, `server-${started.length}-${Math.random().toString(16).slice(2)}.js`);
    writeFileSync(file, body);
    return file;
  };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "switchyard-run-"));
    mkdirSync(join(work, "state"), { mode: 0o700 });
    env = {
      ...process.env,
      SWITCHYARD_STATE_DIR: join(work, "state"),
      SWITCHYARD_CAROOT: join(work, "ca"),
      NODE_EXTRA_CA_CERTS: "",
    };
    delete env.NODE_EXTRA_CA_CERTS;
    rootFile = join(work, "ca", "root.pem");
    port = await freePort();
    serve = startCli(["serve", "--listen", `127.0.0.1:${port}`], env);
    await serve.waitFor(/listening on 127\.0\.0\.1/);
  });

  after(async () => {
    for (const c of [...started, serve]) if (c && c.child.exitCode === null) c.child.kill("SIGKILL");
    rmSync(work, { recursive: true, force: true });
  });

  it("serves a Node server that listens on PORT at https://shop.localhost, with the root in NODE_EXTRA_CA_CERTS, and takes the route away on SIGTERM", async (t) => {
    if (!needTools(t, "curl")) return;
    const file = server(
      `const fs=require("fs");require("http").createServer((q,s)=>s.end("shop on "+process.env.PORT+" ca="+fs.readFileSync(process.env.NODE_EXTRA_CA_CERTS,"utf8").includes(${JSON.stringify(readFileSync(rootFile, "utf8").trim().split("\n")[1])}))).listen(process.env.PORT);`,
    );
    const run = startCli(["run", "shop", "--", process.execPath, file], env);
    started.push(run);
    const [line] = await run.waitFor(/https:\/\/shop\.localhost:\d+\//);
    assert.equal(line, `https://shop.localhost:${port}/`, "the URL names the running proxy's port");
    const answer = curl(`https://shop.localhost:${port}/`, rootFile);
    assert.match(answer.body, /^shop on \d+ ca=true$/, "curl resolves *.localhost by itself and trusts the leaf");
    await serve.waitFor(/routes from switchyard run: shop\.localhost -> http:\/\/localhost:\d+ \(pid \d+\)/);
    run.child.kill("SIGTERM");
    const ended = await run.exit;
    assert.equal(ended.code, 143, `run exits as its command did (SIGTERM): ${run.out()}`);
    const after = curl(`https://shop.localhost:${port}/`, rootFile);
    assert.match(after.body, new RegExp(PROXY_PAGE), "the next request gets the proxy's own page: no route");
  });

  it("routes the name again through a proxy of its own when the proxy it registered with stops", async (t) => {
    if (!needTools(t, "curl")) return;
    // Its own state folder, so stopping this proxy leaves the shared one alone.
    const state = join(work, "state-reroute");
    mkdirSync(state, { mode: 0o700 });
    const env2 = { ...env, SWITCHYARD_STATE_DIR: state };
    const [first, own] = [await freePort(), await freePort()];
    const lone = startCli(["serve", "--listen", `127.0.0.1:${first}`], env2);
    started.push(lone);
    await lone.waitFor(/listening on 127\.0\.0\.1/);
    const file = server(`require("http").createServer((q,s)=>s.end("again")).listen(process.env.PORT);`);
    const run = startCli(["run", "again", "--listen", `127.0.0.1:${own}`, "--", process.execPath, file], env2);
    started.push(run);
    await run.waitFor(new RegExp(`https://again\\.localhost:${first}/`));
    assert.equal(curl(`https://again.localhost:${first}/`, rootFile).body, "again");
    lone.child.kill("SIGTERM");
    await lone.exit;
    await run.waitFor(/the proxy serving again\.localhost stopped; routing it again/);
    await run.waitFor(new RegExp(`https://again\\.localhost:${own}/`));
    assert.equal(curl(`https://again.localhost:${own}/`, rootFile).body, "again", "served by run's own proxy now");
    run.child.kill("SIGTERM");
    await run.exit;
  });

  it("finds the port when the command ignores PORT, and when it listens only on ::1", async (t) => {
    if (!needTools(t, "curl")) return;
    const elsewhere = await freePort();
    const ignoring = startCli(
      [
        "run",
        "elsewhere",
        "--",
        process.execPath,
        server(`require("http").createServer((q,s)=>s.end("fixed port")).listen(${elsewhere},"127.0.0.1");`),
      ],
      env,
    );
    const v6 = startCli(
      [
        "run",
        "six",
        "--",
        process.execPath,
        server(`require("http").createServer((q,s)=>s.end("v6 only")).listen(process.env.PORT,"::1");`),
      ],
      env,
    );
    started.push(ignoring, v6);
    await ignoring.waitFor(new RegExp(`on port ${elsewhere}`));
    assert.equal(curl(`https://elsewhere.localhost:${port}/`, rootFile).body, "fixed port");
    await v6.waitFor(/https:\/\/six\.localhost/);
    assert.equal(curl(`https://six.localhost:${port}/`, rootFile).body, "v6 only");
    ignoring.child.kill("SIGTERM");
    v6.child.kill("SIGTERM");
    await Promise.all([ignoring.exit, v6.exit]);
  });

  it("says so when the command exits before it listens, with the command's exit code", async () => {
    const run = startCli(["run", "quitter", "--", process.execPath, "-e", "process.exit(3)"], env);
    const ended = await run.exit;
    assert.equal(ended.code, 3);
    assert.match(run.out(), /exited \(code 3\) before it listened on a port/);
  });

  it("refuses a second run of the same name, naming the first one's pid", async () => {
    const file = server(`require("http").createServer((q,s)=>s.end("first")).listen(process.env.PORT);`);
    const first = startCli(["run", "twice", "--", process.execPath, file], env);
    started.push(first);
    await first.waitFor(/https:\/\/twice\.localhost/);
    const second = startCli(["run", "twice", "--", process.execPath, file], env);
    const ended = await second.exit;
    assert.equal(ended.code, 1);
    assert.match(second.out(), /twice\.localhost is already routed for pid \d+/);
    first.child.kill("SIGTERM");
    await first.exit;
  });

  it("rejects a name that cannot be a host name, and a missing command, as usage errors", () => {
    const bad = spawnSync(process.execPath, [BIN, "run", "a b", "--", "true"], { env, encoding: "utf8" });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /cannot be a host name/);
    const none = spawnSync(process.execPath, [BIN, "run", "shop"], { env, encoding: "utf8" });
    assert.equal(none.status, 2);
    assert.match(none.stderr, /after --/);
  });

  it("serves a stock Vite app (no vite.config) that Chromium loads, with HMR connected and a CSS edit applied without a reload", async (t) => {
    if (!needTools(t, "chromium", "certutil")) return;
    const app = join(work, "vite-app");
    mkdirSync(app);
    writeFileSync(
      join(app, "index.html"),
      `<!doctype html><html><head><title>stock vite</title><link rel="stylesheet" href="/style.css"></head><body><h1>Hello</h1><script type="module" src="/main.js"></script></body></html>\n`,
    );
    writeFileSync(join(app, "main.js"), `window.loadedAt = performance.now();\n`);
    writeFileSync(join(app, "style.css"), `h1 { color: rgb(1, 2, 3); }\n`);
    const vitePort = await freePort();
    const vite = join(ROOT, "node_modules", "vite", "bin", "vite.js");
    const run = startCli(["run", "my-app.test", "--", process.execPath, vite, "--port", String(vitePort)], env, app);
    started.push(run);
    const [url] = await run.waitFor(/https:\/\/my-app\.test:\d+\//, 90_000);
    const home = nssHome(rootFile);
    const browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      env: { ...process.env, HOME: home },
      args: [...CHROMIUM_FLAGS, "--host-resolver-rules=MAP my-app.test 127.0.0.1"],
    });
    try {
      const page = await browser.newPage();
      const logs: string[] = [];
      page.on("console", (m) => logs.push(m.text()));
      const response = await page.goto(url);
      assert.equal(response?.status(), 200, "no 403 'Blocked request': Vite accepts the name with no config");
      await waitUntil(
        () => logs.some((l) => l.includes("[vite] connected.")),
        20_000,
        () => logs.join("\n"),
      );
      // Browser-side expressions as strings: this file is typed for Node, not the DOM.
      const loadedAt = await page.evaluate("window.loadedAt");
      const h1Color = 'getComputedStyle(document.querySelector("h1")).color';
      assert.equal(await page.evaluate(h1Color), "rgb(1, 2, 3)");
      writeFileSync(join(app, "style.css"), `h1 { color: rgb(4, 5, 6); }\n`);
      await page.waitForFunction(`${h1Color} === "rgb(4, 5, 6)"`, undefined, { timeout: 20_000 });
      assert.equal(await page.evaluate("window.loadedAt"), loadedAt, "the style changed by a hot update, not a reload");
    } finally {
      await browser.close();
      rmSync(home, { recursive: true, force: true });
      run.child.kill("SIGTERM");
      await once(run.child, "exit").catch(() => {});
    }
  });
});

async function waitUntil(check: () => boolean, timeoutMs: number, detail: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out; seen:\n${detail()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
