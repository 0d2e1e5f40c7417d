/**
 * `switchyard run` never leaves a dev server behind: SIGTERM, SIGINT or SIGHUP to run's pid alone
 * (an IDE's stop button, `kill`, a process manager; not a terminal's signal to the whole group) ends
 * every process of the command's tree, and the port is free afterwards. Checked with a stock Vite
 * project and a stock Next.js project started by `npm run dev` (npm -> sh -> node -> workers), and a
 * plain `sh -c` tree; and with a server that ignores SIGTERM (killed after the grace period, or at
 * once on a second signal). Linux: the tree is read from /proc.
 */
import { before, describe, it, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { descendantsOf, parseProcStat, type ProcStat } from "../../../extension/core/devservers/processTree";
import { needTools } from "../proxy/harness";
import { onlyOn } from "../requirements";
import { exitWithin, reapingHooks, reapMarked, ROOT, startCli, startServe } from "./cliProcesses";

/** The npm install of Next.js, react and react-dom: a first-run install from the registry. */
const NEXT_INSTALL_TIMEOUT_MS = 600_000;

type Proc = ProcStat & { pid: number };

function processes(): Proc[] {
  const out: Proc[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = parseProcStat(readFileSync(`/proc/${name}/stat`, "utf8"));
      if (stat && stat.state !== "Z") out.push({ pid: Number(name), ...stat });
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** The processes below `pid` now (not `pid` itself). */
function treeBelow(pid: number): Proc[] {
  const all = processes();
  const below = new Set(descendantsOf(pid, all).slice(1));
  return all.filter((p) => below.has(p.pid));
}

/** Which of `procs` still run (same pid and start time), and what runs in group or session `id`. */
function stillRunning(procs: readonly Proc[], id: number): string[] {
  const now = processes();
  const alive = now.filter((p) => procs.some((q) => q.pid === p.pid && q.startTime === p.startTime));
  const grouped = now.filter((p) => p.pgid === id || p.sid === id);
  return [...new Set([...alive, ...grouped])].map((p) => {
    let cmd = "";
    try {
      cmd = readFileSync(`/proc/${p.pid}/cmdline`, "utf8").replace(/\0/g, " ");
    } catch {
      // gone
    }
    return `${p.pid} ${cmd}`;
  });
}

/** Whether something accepts connections on `address`:`port`. */
function accepts(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect({ host: address, port });
    c.setTimeout(5000, () => {
      c.destroy();
      resolve(true);
    });
    c.once("connect", () => {
      c.destroy();
      resolve(true);
    });
    c.once("error", () => resolve(false));
  });
}

// The tree and its groups are read from /proc.
describe("switchyard run ends the whole tree of its command", { skip: onlyOn("linux") }, () => {
  let work: string;
  let env: NodeJS.ProcessEnv;
  // Whatever a test started ends with it, passed or failed: nothing may keep this file running.
  const marks = reapingHooks(() => rmSync(work, { recursive: true, force: true }));
  const fileMark = marks.file;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "switchyard-runstop-"));
    mkdirSync(join(work, "state"), { mode: 0o700 });
    env = {
      ...process.env,
      SWITCHYARD_STATE_DIR: join(work, "state"),
      SWITCHYARD_CAROOT: join(work, "ca"),
      NEXT_TELEMETRY_DISABLED: "1",
    };
    delete env.NODE_EXTRA_CA_CERTS;
    // Ended by the file's after hook (reapMarked(fileMark)), as everything carrying the mark.
    await startServe(env, fileMark);
  });

  /**
   * Starts `run NAME -- COMMAND` in `cwd`, waits until it is ready, sends `signal` to run's pid
   * (once, or twice: the second after run said it is stopping), and checks that nothing of the
   * tree is left and the port is free. Returns run's output.
   */
  async function stopAndCheck(options: {
    name: string;
    command: string[];
    cwd: string;
    signal: NodeJS.Signals;
    twice?: boolean;
    readyTimeoutMs?: number;
  }): Promise<string> {
    const run = startCli(["run", options.name, "--", ...options.command], env, marks.test(), options.cwd);
    const [, portText] = await run.waitFor(/ -> \S+ on port (\d+)/, options.readyTimeoutMs ?? 90_000);
    const port = Number(portText);
    const runPid = run.child.pid as number;
    // run's children are its command and, from source, tsx's esbuild service (run's own, in run's group).
    const leader = treeBelow(runPid).find((p) => p.ppid === runPid && p.pgid === p.pid);
    assert.ok(leader, `run's command leads a process group of its own: ${run.out()}`);
    const tree = [leader, ...treeBelow(leader.pid)];
    assert.ok(await accepts("127.0.0.1", port).then(async (v4) => v4 || accepts("::1", port)), "it listens");

    run.child.kill(options.signal);
    if (options.twice) {
      await run.waitFor(/stopping .* and its processes/, 30_000);
      run.child.kill(options.signal);
    }
    await exitWithin(run, 60_000);
    // run has exited: nothing may be left, without waiting for stragglers.
    assert.deepEqual(stillRunning(tree, leader.pid), [], `processes left behind:\n${run.out()}`);
    assert.equal(await accepts("127.0.0.1", port), false, `port ${port} is free on 127.0.0.1`);
    assert.equal(await accepts("::1", port), false, `port ${port} is free on ::1`);
    return run.out();
  }

  /** A stock `npm create vite` project (vanilla), with this repo's Vite linked in as its node_modules/vite. */
  function viteProject(): string {
    const app = mkdtempSync(join(work, "vite-project-"));
    writeFileSync(
      join(app, "package.json"),
      JSON.stringify(
        {
          name: "vite-project",
          private: true,
          version: "0.0.0",
          type: "module",
          scripts: { dev: "vite", build: "vite build", preview: "vite preview" },
          devDependencies: { vite: "^7.3.0" },
        },
        null,
        2,
      ),
    );
    writeFileSync(
      join(app, "index.html"),
      `<!doctype html>\n<html lang="en">\n  <head>\n    <meta charset="UTF-8" />\n    <title>vite-project</title>\n  </head>\n  <body>\n    <div id="app"></div>\n    <script type="module" src="/src/main.js"></script>\n  </body>\n</html>\n`,
    );
    mkdirSync(join(app, "src"));
    writeFileSync(join(app, "src", "main.js"), `document.querySelector("#app").innerHTML = "<h1>Hello Vite!</h1>";\n`);
    mkdirSync(join(app, "node_modules", ".bin"), { recursive: true });
    symlinkSync(join(ROOT, "node_modules", "vite"), join(app, "node_modules", "vite"));
    symlinkSync("../vite/bin/vite.js", join(app, "node_modules", ".bin", "vite"));
    return app;
  }

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`leaves nothing of a stock Vite app started by npm run dev after ${signal} to run's pid`, async (t) => {
      if (!needTools(t, "npm")) return;
      await stopAndCheck({
        name: `vite-${signal.toLowerCase()}`,
        command: ["npm", "run", "dev"],
        cwd: viteProject(),
        signal,
      });
    });
  }

  it("leaves nothing of a plain sh -c 'node server.js' tree after SIGHUP to run's pid", async () => {
    const dir = mkdtempSync(join(work, "plain-"));
    writeFileSync(
      join(dir, "server.js"),
      `require("http").createServer((q,s)=>s.end("plain")).listen(process.env.PORT);`,
    );
    await stopAndCheck({
      name: "plain",
      command: ["sh", "-c", "node server.js && echo exited"],
      cwd: dir,
      signal: "SIGHUP",
    });
  });

  it("SIGKILLs a tree that ignores SIGTERM after the grace period, and says which processes it killed", async () => {
    const dir = mkdtempSync(join(work, "stubborn-"));
    writeFileSync(
      join(dir, "server.js"),
      `process.on("SIGTERM",()=>{});require("http").createServer((q,s)=>s.end("stubborn")).listen(process.env.PORT);`,
    );
    const out = await stopAndCheck({
      name: "stubborn",
      command: ["sh", "-c", "node server.js && echo exited"],
      cwd: dir,
      signal: "SIGTERM",
    });
    assert.match(out, /still running after SIGTERM and 5 s; killed pid \d+ \(node server\.js\)/);
  });

  it("kills the tree at once on a second signal instead of exiting without clean-up", async () => {
    const dir = mkdtempSync(join(work, "twice-"));
    writeFileSync(
      join(dir, "server.js"),
      `process.on("SIGINT",()=>{});require("http").createServer((q,s)=>s.end("twice")).listen(process.env.PORT);`,
    );
    const out = await stopAndCheck({
      name: "twice",
      command: ["sh", "-c", "node server.js && echo exited"],
      cwd: dir,
      signal: "SIGINT",
      twice: true,
    });
    assert.match(out, /SIGINT again: killing sh and its processes now/);
  });

  describe("with a stock Next.js app installed from the npm registry", () => {
    let app: string;
    let installError: string | undefined;

    before(async () => {
      app = mkdtempSync(join(work, "next-app-"));
      writeFileSync(
        join(app, "package.json"),
        JSON.stringify({ name: "next-app", version: "0.1.0", private: true, scripts: { dev: "next dev" } }, null, 2),
      );
      mkdirSync(join(app, "app"));
      writeFileSync(
        join(app, "app", "layout.js"),
        `export const metadata = { title: "Create Next App" };\n\nexport default function RootLayout({ children }) {\n  return (\n    <html lang="en">\n      <body>{children}</body>\n    </html>\n  );\n}\n`,
      );
      writeFileSync(
        join(app, "app", "page.js"),
        `export default function Home() {\n  return <main><h1>Hello Next.js</h1></main>;\n}\n`,
      );
      installError = await npmInstall(app, ["next", "react", "react-dom"], `${fileMark}-install`, env);
    });

    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      it(`leaves nothing of it started by npm run dev after ${signal} to run's pid`, async (t: TestContext) => {
        if (!needTools(t, "npm")) return;
        assert.equal(installError, undefined, installError);
        await stopAndCheck({
          name: `next-${signal.toLowerCase()}`,
          command: ["npm", "run", "dev"],
          cwd: app,
          signal,
          readyTimeoutMs: 180_000,
        });
      });
    }
  });
});

/** `npm install PACKAGES` in `dir`, bounded; undefined when it worked, else what went wrong. */
async function npmInstall(
  dir: string,
  packages: string[],
  mark: string,
  env: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  const child = spawn("npm", ["install", "--no-audit", "--no-fund", ...packages], {
    cwd: dir,
    env: { ...env, SWITCHYARD_TEST_PROCESS_MARK: mark },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    new Promise<number | null>((resolve) => {
      child.once("exit", (code) => resolve(code));
      child.once("error", () => resolve(-1));
    }),
    new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), NEXT_INSTALL_TIMEOUT_MS))),
  ]);
  clearTimeout(timer);
  if (result === "timeout") {
    await reapMarked(mark);
    return `npm install ${packages.join(" ")} did not finish within ${NEXT_INSTALL_TIMEOUT_MS / 1000} s:\n${out}`;
  }
  return result === 0 ? undefined : `npm install ${packages.join(" ")} failed (exit ${result}):\n${out}`;
}
