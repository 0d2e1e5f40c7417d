/**
 * `switchyard run NAME -- COMMAND` as a user runs it: real processes (the CLI, a `serve` beside it,
 * plain Node servers and a stock Vite with no config file), real sockets on loopback, curl and a
 * headless Chromium trusting the root through a temp NSS database. State and CA live in temp dirs.
 */
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import net from "node:net";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import CHROMIUM_FLAGS from "../../harness/chromium-flags.json";
import { ControlClient } from "../../../extension/core/control/controlClient";
import { freePort } from "../../../extension/core/devservers/freePort";
import { needTools, nssHome } from "../proxy/harness";

import {
  cliArgv,
  exitWithin,
  reapingHooks,
  ROOT,
  startCli as startMarkedCli,
  startServe,
  type Cli,
} from "./cliProcesses";

function curl(url: string, rootFile: string): { code: number; body: string } {
  // --ipv4: curl answers *.localhost itself with both loopbacks, and every proxy here binds 127.0.0.1 only.
  const r = spawnSync("curl", ["-sS", "--ipv4", "--max-time", "10", "--cacert", rootFile, url], {
    encoding: "utf8",
    timeout: 20_000,
  });
  return { code: r.status ?? -1, body: `${r.stdout}${r.stderr}` };
}

describe("switchyard run", () => {
  let work: string;
  let env: NodeJS.ProcessEnv;
  let rootFile: string;
  let port: number;
  let serve: Cli;
  /** The file's shared processes (serve) and each test's own: both ended by hooks, also after a failure. */
  // Whatever a test started ends with it, passed or failed: nothing may keep this file running.
  const marks = reapingHooks(() => rmSync(work, { recursive: true, force: true }));
  const fileMark = marks.file;
  const startCli = (args: string[], env: NodeJS.ProcessEnv, cwd = ROOT): Cli =>
    startMarkedCli(args, env, marks.test(), cwd);
  const server = (body: string): string => {
    const file = join(work, `server-${Math.random().toString(16).slice(2)}.js`);
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
    ({ cli: serve, port } = await startServe(env, fileMark));
  });

  it("serves a Node server that listens on PORT at https://shop.localhost, with the root in NODE_EXTRA_CA_CERTS, and takes the route away on SIGTERM", async (t) => {
    if (!needTools(t, "curl")) return;
    const file = server(
      `const fs=require("fs");require("http").createServer((q,s)=>s.end("shop on "+process.env.PORT+" ca="+fs.readFileSync(process.env.NODE_EXTRA_CA_CERTS,"utf8").includes(${JSON.stringify(readFileSync(rootFile, "utf8").trim().split("\n")[1])}))).listen(process.env.PORT);`,
    );
    const run = startCli(["run", "shop", "--", process.execPath, file], env);
    const [line] = await run.waitFor(/https:\/\/shop\.localhost:\d+\//);
    assert.equal(line, `https://shop.localhost:${port}/`, "the URL names the running proxy's port");
    const answer = curl(`https://shop.localhost:${port}/`, rootFile);
    assert.match(answer.body, /^shop on \d+ ca=true$/, "curl resolves *.localhost by itself and trusts the leaf");
    // listen(PORT) with no address binds :: (both families): routed to its IPv6 loopback.
    await serve.waitFor(/routes from switchyard run: shop\.localhost -> http:\/\/\[::1\]:\d+ \(pid \d+\)/);
    run.child.kill("SIGTERM");
    const ended = await exitWithin(run);
    assert.equal(ended.code, 143, `run exits as its command did (SIGTERM): ${run.out()}`);
    const control = await ControlClient.connect(join(work, "state", "control.sock"));
    try {
      const listed = await control.request({ op: "list" });
      assert.ok(listed.ok && !listed.routes?.some((r) => r.host === "shop.localhost"), "the route is gone");
    } finally {
      control.close();
    }
    // What a name with no route gets is the proxy's business (its page, or no certificate at all).
    const after = curl(`https://shop.localhost:${port}/`, rootFile);
    assert.doesNotMatch(after.body, /shop on/, "the dev server gets no more requests");
  });

  it("routes the name again through a proxy of its own when the proxy it registered with stops", async (t) => {
    if (!needTools(t, "curl")) return;
    // Its own state folder, so stopping this proxy leaves the shared one alone.
    const state = join(work, "state-reroute");
    mkdirSync(state, { mode: 0o700 });
    const env2 = { ...env, SWITCHYARD_STATE_DIR: state };
    const { cli: lone, port: first } = await startServe(env2, marks.test());
    const file = server(`require("http").createServer((q,s)=>s.end("again")).listen(process.env.PORT);`);
    const run = startCli(["run", "again", "--listen", "127.0.0.1:0", "--", process.execPath, file], env2);
    await run.waitFor(new RegExp(`https://again\\.localhost:${first}/`));
    assert.equal(curl(`https://again.localhost:${first}/`, rootFile).body, "again");
    lone.child.kill("SIGTERM");
    await exitWithin(lone);
    // run's own proxy listens on 127.0.0.1:0 too: the URL it prints names the port it bound.
    const [, ownText] = await run.waitFor(
      /the proxy serving again\.localhost stopped; routing it again[^]*https:\/\/again\.localhost:(\d+)\/ -> /,
    );
    const own = Number(ownText);
    assert.equal(curl(`https://again.localhost:${own}/`, rootFile).body, "again", "served by run's own proxy now");
    run.child.kill("SIGTERM");
    await exitWithin(run);
  });

  it("keeps routing the name when the proxy it reconnects to is itself stopping and closes on it", async (t) => {
    if (!needTools(t, "curl")) return;
    // A stand-in for a proxy that is shutting down: it takes run's route on the first connection,
    // then accepts each new connection and closes it (as a stopping proxy whose socket still
    // accepts does), and only after two of those stops listening, as a proxy's end does.
    const state = join(work, "state-stopping");
    mkdirSync(state, { mode: 0o700 });
    const env2 = { ...env, SWITCHYARD_STATE_DIR: state };
    let first: net.Socket | undefined;
    let closedOn = 0;
    let routed!: () => void;
    const routeAdded = new Promise<void>((r) => (routed = r));
    const stopping = net.createServer((c) => {
      c.setEncoding("utf8");
      if (first) {
        closedOn += 1;
        c.once("data", () => c.destroy());
        if (closedOn === 2) stopping.close();
        return;
      }
      first = c;
      let buffered = "";
      c.on("data", (d: string) => {
        buffered += d;
        let nl: number;
        while ((nl = buffered.indexOf("\n")) >= 0) {
          const request = JSON.parse(buffered.slice(0, nl)) as { id: number; op: string };
          buffered = buffered.slice(nl + 1);
          c.write(`${JSON.stringify({ v: 1, id: request.id, ok: true, bindings: [] })}\n`);
          if (request.op === "add") routed();
        }
      });
    });
    await new Promise<void>((resolve) => stopping.listen(join(state, "control.sock"), resolve));
    try {
      const file = server(`require("http").createServer((q,s)=>s.end("still")).listen(process.env.PORT);`);
      const run = startCli(["run", "still", "--listen", "127.0.0.1:0", "--", process.execPath, file], env2);
      await run.waitFor(/https:\/\/still\.localhost\/ -> /);
      await routeAdded;
      first!.destroy();
      // run's own proxy on 127.0.0.1:0: the URL it prints names the port it bound.
      const [, ownText] = await run.waitFor(/https:\/\/still\.localhost:(\d+)\/ -> /);
      const own = Number(ownText);
      assert.equal(closedOn, 2, "run was closed on twice by the stopping proxy before it started its own");
      assert.doesNotMatch(run.out(), /no longer routed/);
      assert.equal(curl(`https://still.localhost:${own}/`, rootFile).body, "still", "served by run's own proxy");
      run.child.kill("SIGTERM");
      await exitWithin(run);
    } finally {
      stopping.close();
    }
  });

  it("finds the port when the command ignores PORT, and routes to exactly the address each server bound", async (t) => {
    if (!needTools(t, "curl")) return;
    // Bound to 127.0.0.1 only, on a port of its own choosing (it ignores PORT).
    const ignoring = startCli(
      [
        "run",
        "elsewhere",
        "--",
        process.execPath,
        server(`require("http").createServer((q,s)=>s.end("fixed port")).listen(0,"127.0.0.1");`),
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
    const [, elsewhere] = await ignoring.waitFor(/elsewhere\.localhost:\d+\/ -> \S+ on port (\d+)/);
    assert.equal(curl(`https://elsewhere.localhost:${port}/`, rootFile).body, "fixed port");
    const [, sixPort] = await v6.waitFor(/six\.localhost:\d+\/ -> \S+ on port (\d+)/);
    assert.equal(curl(`https://six.localhost:${port}/`, rootFile).body, "v6 only");
    // Not http://localhost:PORT: the proxy would dial ::1 first, where another user may listen.
    const control = await ControlClient.connect(join(work, "state", "control.sock"));
    try {
      const listed = await control.request({ op: "list" });
      assert.ok(listed.ok);
      const upstreamOf = (host: string): string | undefined => listed.routes?.find((r) => r.host === host)?.upstream;
      assert.equal(upstreamOf("elsewhere.localhost"), `http://127.0.0.1:${elsewhere}`);
      assert.equal(upstreamOf("six.localhost"), `http://[::1]:${sixPort}`);
    } finally {
      control.close();
    }
    ignoring.child.kill("SIGTERM");
    v6.child.kill("SIGTERM");
    await Promise.all([exitWithin(ignoring), exitWithin(v6)]);
  });

  it("says so when the command exits before it listens, with the command's exit code", async () => {
    const run = startCli(["run", "quitter", "--", process.execPath, "-e", "process.exit(3)"], env);
    const ended = await exitWithin(run);
    assert.equal(ended.code, 3);
    assert.match(run.out(), /exited \(code 3\) before it listened on a port/);
  });

  it("refuses a second run of the same name before starting its command, naming the first run's pid", async () => {
    const file = server(`require("http").createServer((q,s)=>s.end("first")).listen(process.env.PORT);`);
    const first = startCli(["run", "twice", "--", process.execPath, file], env);
    await first.waitFor(/https:\/\/twice\.localhost/);
    const marker = join(work, "second-started");
    const second = startCli(
      ["run", "twice", "--", process.execPath, "-e", `require("fs").writeFileSync(${JSON.stringify(marker)}, "ran")`],
      env,
    );
    const ended = await exitWithin(second);
    assert.equal(ended.code, 1);
    const firstPid = first.child.pid as number;
    assert.match(
      second.out(),
      new RegExp(
        `twice\\.localhost is already routed for pid ${firstPid} \\([^)]*cli\\.[jt]s run twice -- [^)]*\\); \\S*node was not started`,
      ),
      "the owner's pid is checked against its command line",
    );
    assert.equal(existsSync(marker), false, "the second command never ran");
    assert.equal(
      curl(`https://twice.localhost:${port}/`, rootFile).body,
      "first",
      "the first run still serves the name",
    );
    first.child.kill("SIGTERM");
    await exitWithin(first);
  });

  it("lets only one of two runs of one name started together start its command", async () => {
    const racers = [0, 1].map((n) => {
      const marker = join(work, `racer-${n}-started`);
      const file = server(
        `require("fs").writeFileSync(${JSON.stringify(marker)}, "ran");require("http").createServer((q,s)=>s.end("racer ${n}")).listen(process.env.PORT);`,
      );
      return { marker, run: startCli(["run", "race", "--", process.execPath, file], env) };
    });
    // Whichever loses exits; the winner keeps serving until it is stopped.
    const loser = await Promise.race(racers.map((r, n) => r.run.exit.then(() => n)));
    const winner = racers[1 - loser]!;
    assert.equal((await exitWithin(racers[loser]!.run)).code, 1);
    assert.match(
      racers[loser]!.run.out(),
      /race\.localhost is already (routed|reserved \(its dev server is starting\)) for pid \d+/,
    );
    assert.equal(existsSync(racers[loser]!.marker), false, "the losing run's command never ran");
    await winner.run.waitFor(/https:\/\/race\.localhost:\d+\/ -> /);
    assert.equal(existsSync(winner.marker), true);
    winner.run.child.kill("SIGTERM");
    await exitWithin(winner.run);
  });

  it("takes a name whose holder's claimed pid no longer runs, and says when a claimed pid runs something else", async () => {
    // A child of this process: the proxy takes a claimed pid only from the connection's own process tree.
    const gone = spawn("sleep", ["30"], { stdio: "ignore" });
    const goneExited = once(gone, "exit");
    assert.ok(gone.pid);
    // Two connections: the proxy drops a connection whose owner is gone, which must not take the other claim along.
    const holder = await ControlClient.connect(join(work, "state", "control.sock"));
    const claimer = await ControlClient.connect(join(work, "state", "control.sock"));
    try {
      const stale = await holder.request({
        op: "reserve",
        host: "stale.localhost",
        owner: { pid: gone.pid, command: "node gone.js" },
      });
      assert.ok(stale.ok);
      gone.kill("SIGKILL");
      await goneExited;
      // A live pid that claims a command it does not run: refused, and the claim is shown as one.
      const claimed = await claimer.request({
        op: "reserve",
        host: "claimed.localhost",
        owner: { pid: process.pid, command: "vite --not-this-process" },
      });
      assert.ok(claimed.ok);
      const file = server(`require("http").createServer((q,s)=>s.end("fresh")).listen(process.env.PORT);`);
      const fresh = startCli(["run", "stale", "--", process.execPath, file], env);
      await fresh.waitFor(/https:\/\/stale\.localhost:\d+\/ -> /);
      assert.equal(curl(`https://stale.localhost:${port}/`, rootFile).body, "fresh");
      const refused = startCli(["run", "claimed", "--", process.execPath, file], env);
      assert.equal((await exitWithin(refused)).code, 1);
      assert.match(
        refused.out(),
        new RegExp(
          `claimed\\.localhost is already reserved \\(its dev server is starting\\) for pid ${process.pid} \\(claimed: vite --not-this-process; that pid runs `,
        ),
      );
      fresh.child.kill("SIGTERM");
      await exitWithin(fresh);
    } finally {
      gone.kill("SIGKILL");
      holder.close();
      claimer.close();
    }
  });

  it("says the route answers with the dev server's host-check page, with the fix, instead of calling it ready", async () => {
    // What Vite answers for a Host it does not know (the exact page of Vite 6/7's hostCheck middleware).
    const file = server(
      `require("http").createServer((q,s)=>{const h=String(q.headers.host).replace(/:\\d+$/,"");` +
        `s.writeHead(403,{"content-type":"text/plain"});` +
        `s.end('Blocked request. This host ("'+h+'") is not allowed.\\nTo allow this host, add "'+h+'" to \`server.allowedHosts\` in vite.config.js.')})` +
        `.listen(process.env.PORT);`,
    );
    const run = startCli(["run", "blocked", "--", process.execPath, file], env);
    await run.waitFor(/is not your app yet/);
    assert.match(
      run.out(),
      new RegExp(
        `https://blocked\\.localhost:${port}/ is not your app yet: Vite refused the name "blocked\\.localhost" with 403 .*add "blocked\\.localhost" to server\\.allowedHosts`,
      ),
    );
    assert.doesNotMatch(run.out(), / -> \S*node on port/, "not announced as ready");
    run.child.kill("SIGTERM");
    await exitWithin(run);
  });

  it("gives the dev server the proxy's port in WDS_SOCKET_PORT, and names webpack-dev-server's one setting when it sees it", async () => {
    // A stand-in named as webpack-dev-server's own bin is, answering with the variable it got.
    const bin = join(work, "node_modules", "webpack-dev-server", "bin");
    mkdirSync(bin, { recursive: true });
    const file = join(bin, "webpack-dev-server.js");
    writeFileSync(
      file,
      `require("http").createServer((q,s)=>s.end("socket port "+process.env.WDS_SOCKET_PORT)).listen(process.env.PORT,"127.0.0.1");`,
    );
    const run = startCli(["run", "wds", "--", process.execPath, file], env);
    await run.waitFor(/https:\/\/wds\.localhost:\d+\/ -> /);
    assert.equal(curl(`https://wds.localhost:${port}/`, rootFile).body, `socket port ${port}`);
    await run.waitFor(
      /note: webpack-dev-server's hot reload connects to its own port .*"auto:\/\/0\.0\.0\.0:0\/ws"/,
      10_000,
    );
    run.child.kill("SIGTERM");
    await exitWithin(run);
  });

  it("rejects a name that cannot be a host name, and a missing command, as usage errors", () => {
    const bad = spawnSync(process.execPath, cliArgv(["run", "a b", "--", "true"]), {
      env,
      encoding: "utf8",
      timeout: 30_000,
    });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /cannot be a host name/);
    const none = spawnSync(process.execPath, cliArgv(["run", "shop"]), { env, encoding: "utf8", timeout: 30_000 });
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
    // A picked port is harmless here: Vite moves to the next free port when this one was taken
    // meanwhile (no --strictPort), and run routes to whichever port Vite's process listens on.
    const vitePort = await freePort();
    const vite = join(ROOT, "node_modules", "vite", "bin", "vite.js");
    const run = startCli(["run", "my-app.test", "--", process.execPath, vite, "--port", String(vitePort)], env, app);
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
      await exitWithin(run).catch(() => {});
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
