/**
 * The `switchyard` CLI the tests start: this checkout's sources bundled as `npm run build` bundles
 * them (cli.js with proxyWorker.js and the lazily loaded bundles beside it), as the VSIX and
 * bin/switchyard.js run it. It is built into a folder named after the state of the sources, so a
 * test never runs a bundle older than the sources it checks, and test processes running side by side
 * never read a half-written one (each builds into a temp folder and renames it into place).
 *
 * Why not tsx: starting the CLI from its TypeScript sources costs about 1.1 CPU-seconds against 0.3
 * for the bundle, and `serve` then compiles the proxy's sources again in its worker. `npm test`
 * starts the CLI a few hundred times; on a busy 2-core machine that was minutes of the run.
 *
 * SWITCHYARD_TEST_CLI=source runs the sources through tsx instead (stack traces with .ts lines).
 */
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const ROOT = join(__dirname, "..", "..", "..");
/** Under node_modules: ignored by git, and gone with it on a fresh install. */
const BUILDS = join(ROOT, "node_modules", ".cache", "switchyard-test-cli");
/** What the bundles are made from, besides extension/. */
const INPUTS = ["scripts/build.mjs", "package.json", "package-lock.json", "tsconfig.json"];
/** Builds of other source states are removed once they are this old (a test still using one is long done). */
const STALE_MS = 60 * 60 * 1000;

let built: string | undefined;

/** The argv (after node's own) that runs `switchyard ARGS` from this checkout. */
export function cliCommand(args: string[]): string[] {
  if (process.env.SWITCHYARD_TEST_CLI === "source") {
    const tsx = pathToFileURL(join(ROOT, "node_modules", "tsx", "dist", "loader.mjs")).href;
    return ["--import", tsx, join(ROOT, "extension", "cli.ts"), ...args];
  }
  return [cliBundle(), ...args];
}

/** The path of a cli.js bundled from the sources as they are now, built on first use. */
export function cliBundle(): string {
  if (built !== undefined && existsSync(built)) return built;
  const dir = join(BUILDS, sourcesKey());
  if (!existsSync(join(dir, "cli.js"))) build(dir);
  built = join(dir, "cli.js");
  return built;
}

/** A digest of every input file's path, size and modification time. */
function sourcesKey(): string {
  const hash = createHash("sha256");
  const add = (file: string): void => {
    const st = statSync(join(ROOT, file));
    hash.update(`${file}\0${st.size}\0${st.mtimeMs}\n`);
  };
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      const rel = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(rel);
      else if (entry.isFile()) add(rel);
    }
  };
  walk("extension");
  for (const file of INPUTS) if (existsSync(join(ROOT, file))) add(file);
  return hash.digest("hex").slice(0, 16);
}

function build(dir: string): void {
  mkdirSync(BUILDS, { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  execFileSync(process.execPath, [join(ROOT, "scripts", "build.mjs"), "--outdir", tmp], {
    cwd: ROOT,
    stdio: ["ignore", "ignore", "inherit"],
  });
  try {
    renameSync(tmp, dir);
  } catch (e) {
    // Another test process finished the same build first: its folder is as good as ours.
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(join(dir, "cli.js"))) throw e;
  }
  removeStaleBuilds(dir);
}

function removeStaleBuilds(keep: string): void {
  const now = Date.now();
  for (const name of readdirSync(BUILDS)) {
    const path = join(BUILDS, name);
    if (path === keep) continue;
    try {
      if (now - statSync(path).mtimeMs > STALE_MS) rmSync(path, { recursive: true, force: true });
    } catch {
      // Removed by another test process meanwhile.
    }
  }
}
