/**
 * Bench: what Switchyard costs inside VS Code, measured in the real extension host of the VS Code
 * server the tests use (test/harness), with the production bundle (`scripts/build.mjs --production`
 * into a temp extension folder):
 *   - activation as VS Code itself reports it (Developer: Show Running Extensions: code loading plus
 *     the activate call), read from the workbench's page, and the time inside activate();
 *   - which of the extension's bundles are loaded after activation (none but extension.js is the goal);
 *   - the extension host's RSS and heap with the panel closed and open;
 *   - the proxy worker: what starting it adds to the host's RSS, idle and after 1,000 TLS
 *     connections over loopback, and its own V8 heap.
 * Each run is a fresh VS Code server and browser; medians over the runs. Runs alternate between two
 * workspaces, because VS Code activates the extension at different moments in them: a web app's
 * folder (a package.json: `workspaceContains:package.json`, on its own while the window starts) and
 * a folder without one (`onStartupFinished`, in one batch with every other extension that waits for it).
 * Beside Switchyard the window runs an empty extension with the same activation events (its main
 * exports an activate() that does nothing): what VS Code reports for it is the floor any extension
 * gets in that window, the part of the figure no extension's own code can change.
 *
 *     node --import tsx bench/vscodeCost.ts
 *
 * SWITCHYARD_BENCH_VSCODE_RUNS=N sets the runs per workspace (3); SWITCHYARD_BENCH_VSCODE_ACTIVATION_ONLY=1
 * measures activation alone (no panel, proxy or memory rows: those read 0), to compare builds quickly.
 */
import { spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as esbuild from "esbuild";
import type { Page } from "playwright-core";
// @ts-expect-error: plain JS harness module shared with `npm start` and the integration runner
import { workbenchUrl } from "../test/harness/codeServer.mjs";
// @ts-expect-error: plain JS harness module shared with the integration runner
import { startExtensionHost } from "../test/harness/extensionTests.mjs";
import type { ProbeResult } from "./vscode/probe";

const ROOT = join(__dirname, "..");
const RUNS = Number(process.env.SWITCHYARD_BENCH_VSCODE_RUNS ?? 3);
const GOALS = { activationMs: 50, workerIdleMb: 40 };

/** The two workspaces the runs alternate between (see the header). */
const KINDS = [
  { packageJson: true, label: "web app folder (package.json: workspaceContains)" },
  { packageJson: false, label: "folder without package.json (onStartupFinished batch)" },
] as const;

interface Run extends ProbeResult {
  /** Whether the workspace had a package.json (KINDS). */
  packageJson: boolean;
  /** "Activation: N ms" from Running Extensions (code loading + activate call). */
  reportedMs: number;
  reportedText: string;
  /** The same figure for the empty extension (EMPTY) in the same window. */
  emptyMs: number;
  emptyText: string;
  /** require() of extension.js: VS Code's willLoadExtensionCode to didLoadExtensionCode marks. */
  requireMs: number;
  /** The rest of VS Code's code-loading time: other extensions of the same batch loading first. */
  waitMs: number;
  /** Those extensions. */
  loadedBefore: string[];
}

/**
 * Splits VS Code's figure with its own marks. Its codeLoadingTime starts when the extension's load
 * is queued (for every extension of the onStartupFinished batch at once, before an await) and ends
 * after its require(): the extensions required before it in the batch count in it too.
 */
function split(probe: ProbeResult, reportedMs: number): Pick<Run, "requireMs" | "waitMs" | "loadedBefore"> {
  const at = (name: string): number => probe.marks.find((m) => m.name === `code/extHost/${name}`)?.ms ?? NaN;
  const requireMs = at("didLoadExtensionCode") - at("willLoadExtensionCode");
  const waitMs = Math.max(0, reportedMs - probe.activateMs - requireMs);
  // Each with its own require() time, from its marks: what it adds to this extension's figure.
  const loadedBefore = probe.marks
    .filter((m) => m.name.startsWith("code/extHost/didLoadExtensionCode/") && m.ms <= 0 && m.ms >= -waitMs - 2)
    .map((m) => {
      const id = m.name.slice("code/extHost/didLoadExtensionCode/".length);
      const will = probe.marks.find((w) => w.name === `code/extHost/willLoadExtensionCode/${id}`);
      return will ? `${id} (require ${round1(m.ms - will.ms)} ms)` : id;
    });
  return { requireMs, waitMs, loadedBefore };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}
interface Row {
  measure: string;
  median: number;
  spread: string;
  unit: string;
  goal: string;
}
const spread = (values: number[]): string => `${Math.min(...values)}–${Math.max(...values)}`;
const round1 = (n: number): number => Math.round(n * 10) / 10;

/** The production extension in a folder of its own: package.json, media/ and the bundles. */
function buildExtension(dir: string): void {
  const built = spawnSync(process.execPath, ["scripts/build.mjs", "--production", "--outdir", join(dir, "dist")], {
    cwd: ROOT,
    encoding: "utf8",
  });
  if (built.status !== 0) throw new Error(`production build failed: ${built.stderr}`);
  for (const f of ["package.json", "README.md", "CHANGELOG.md", "LICENSE"]) cpSync(join(ROOT, f), join(dir, f));
  cpSync(join(ROOT, "media"), join(dir, "media"), { recursive: true });
}

/** The empty extension: Switchyard's activation events, a main that does nothing. */
const EMPTY = { publisher: "bench", name: "empty-extension", displayName: "Empty extension (bench floor)" };

/**
 * Installs the empty extension into the server's extensions folder (`extensions`, with the
 * extensions.json VS Code reads installed extensions from). VS Code loads a batch's extensions in
 * the order built-in, installed, under development (then by folder name), so the empty one is
 * required just before Switchyard, which runs under development here (a one-line file), and its
 * figure counts exactly the extensions loaded before both. A second extension under development
 * is not possible: the web workbench keeps one extensionDevelopmentPath of its URL's payload.
 */
function installEmptyExtension(extensions: string): void {
  const events = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { activationEvents: string[] })
    .activationEvents;
  const folder = `${EMPTY.publisher}.${EMPTY.name}-0.0.0`;
  const dir = join(extensions, folder);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify(
      {
        ...EMPTY,
        version: "0.0.0",
        engines: { vscode: "^1.100.0" },
        main: "./extension.js",
        activationEvents: events.filter((e) => !e.startsWith("onWebviewPanel:")),
      },
      null,
      2,
    ),
  );
  writeFileSync(join(dir, "extension.js"), "exports.activate = () => {};\n");
  const manifest = [
    {
      identifier: { id: `${EMPTY.publisher}.${EMPTY.name}` },
      version: "0.0.0",
      location: { $mid: 1, path: dir, scheme: "file" },
      relativeLocation: folder,
    },
  ];
  writeFileSync(join(extensions, "extensions.json"), JSON.stringify(manifest));
}

/** The probe, bundled like the integration suite (vscode stays external). */
async function buildProbe(dir: string): Promise<string> {
  await esbuild.build({
    entryPoints: { index: join(ROOT, "bench", "vscode", "probe.ts") },
    outdir: dir,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    external: ["vscode"],
    logLevel: "warning",
  });
  return join(dir, "index.js");
}

/** Reads Switchyard's and the empty extension's rows of the Running Extensions view once the probe has opened it. */
async function readRunningExtensions(page: Page, sync: string): Promise<{ switchyard: string; empty: string }> {
  const deadline = Date.now() + 120_000;
  while (!existsSync(join(sync, "scrape"))) {
    if (Date.now() > deadline) throw new Error("the probe never opened Running Extensions");
    await new Promise((r) => setTimeout(r, 100));
  }
  const activation = async (name: RegExp): Promise<string> => {
    const row = page.locator(".runtime-extensions-editor .extension", { hasText: name });
    const time = row.first().locator(".activation-time");
    await time
      .filter({ hasText: /\d+\s*ms/ })
      .waitFor({ timeout: 30_000 })
      .catch(async (e: unknown) => {
        const rows = await page.locator(".runtime-extensions-editor .extension").allInnerTexts();
        throw new Error(`no activation time for ${name} among ${JSON.stringify(rows)}: ${String(e)}`);
      });
    return ((await time.first().textContent()) ?? "").trim();
  };
  const switchyard = await activation(/switchyard/i);
  const empty = await activation(new RegExp(EMPTY.displayName.replace(/[()]/g, "\\$&")));
  writeFileSync(join(sync, "scraped"), "");
  return { switchyard, empty };
}

async function oneRun(extension: string, probe: string, index: number, packageJson: boolean): Promise<Run> {
  const { work, workspace, server, browser, stop } = await startExtensionHost({
    prefix: "switchyard-bench-vscode-",
    env: (dir: string) => ({
      SWITCHYARD_BENCH_RESULTS: join(dir, "results.json"),
      SWITCHYARD_BENCH_SYNC: join(dir, "sync"),
      SWITCHYARD_BENCH_VSCODE_ACTIVATION_ONLY: process.env.SWITCHYARD_BENCH_VSCODE_ACTIVATION_ONLY ?? "",
    }),
  });
  const sync = join(work, "sync");
  const results = join(work, "results.json");
  if (packageJson)
    writeFileSync(join(workspace, "package.json"), JSON.stringify({ name: "app", scripts: { dev: "vite" } }, null, 2));
  try {
    installEmptyExtension(server.dirs.extensions);
    // Tall, so every activated extension's row is drawn in the Running Extensions list.
    mkdirSync(sync);
    const page: Page = await browser.newPage({ viewport: { width: 1400, height: 4000 } });
    let exit: (code: number) => void = () => undefined;
    const exited = new Promise<number>((resolve) => (exit = resolve));
    await page.exposeFunction("codeAutomationExit", (code: number) => exit(code));
    await page.goto(workbenchUrl(server, { folder: workspace, extensionPath: extension, testsPath: probe }));
    const { switchyard: reportedText, empty: emptyText } = await readRunningExtensions(page, sync);
    const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r("timeout"), 300_000))]);
    if (code !== 0 || !existsSync(results))
      throw new Error(`the probe ended with ${code}:\n${String(server.output()).slice(-3000)}`);
    const probeResult = JSON.parse(readFileSync(results, "utf8")) as ProbeResult;
    const reportedMs = Number(/(\d+)\s*ms/.exec(reportedText)?.[1]);
    const emptyMs = Number(/(\d+)\s*ms/.exec(emptyText)?.[1]);
    console.log(
      `run ${index + 1}/${RUNS * KINDS.length} (${packageJson ? "package.json" : "no package.json"}): VS Code reports "${reportedText}", activate() ${probeResult.activateMs.toFixed(1)} ms; the empty extension "${emptyText}"`,
    );
    return {
      ...probeResult,
      packageJson,
      reportedMs,
      reportedText,
      emptyMs,
      emptyText,
      ...split(probeResult, reportedMs),
    };
  } finally {
    await stop();
  }
}

/** Sizes of the production bundles, in KB. */
function bundleSizes(dist: string): { bundle: string; kb: number; loaded: string }[] {
  const when: Record<string, string> = {
    "extension.js": "on activation",
    "engines.js": "first Switchyard action (panel, proxy, CA, hosts)",
    "proxyWorker.js": "proxy start (worker thread)",
    "forge.js": "PKCS#12 export only",
    "sudoPrompt.js": "a step that needs administrator rights",
    "qrcode.js": "the device QR panel (Share on LAN)",
    "elevatedTrust.js": "Trust/Untrust with administrator rights (separate process)",
    "webview.js": "in the panel (browser side)",
  };
  return readdirSync(dist)
    .filter((f) => f.endsWith(".js") && f in when)
    .map((f) => ({ bundle: f, kb: round1(statSync(join(dist, f)).size / 1024), loaded: when[f] ?? "" }));
}

export async function runVscodeCostBench(): Promise<unknown> {
  const work = mkdtempSync(join(tmpdir(), "switchyard-bench-vscode-ext-"));
  try {
    // SWITCHYARD_BENCH_VSCODE_EXTENSION: an extension folder built earlier (to compare two builds in one session).
    const extension = process.env.SWITCHYARD_BENCH_VSCODE_EXTENSION ?? join(work, "extension");
    if (!process.env.SWITCHYARD_BENCH_VSCODE_EXTENSION) buildExtension(extension);
    const probe = await buildProbe(join(work, "probe"));
    const runs: Run[] = [];
    // Interleaved, so machine load moves both workspaces alike.
    for (let i = 0; i < RUNS * KINDS.length; i++) {
      const kind = KINDS[i % KINDS.length] as (typeof KINDS)[number];
      runs.push(await oneRun(extension, probe, i, kind.packageJson));
    }
    const ofKind = (kind: (typeof KINDS)[number]): Run[] => runs.filter((r) => r.packageJson === kind.packageJson);

    const pick = (f: (r: Run) => number): number[] => runs.map((r) => round1(f(r)));
    const ownMs = (r: Run): number => r.requireMs + r.activateMs;
    const workerIdleMb = (r: Run): number => r.proxyIdle.rssMb - r.beforeProxy.rssMb;
    const own = pick(ownMs);
    const workerIdle = pick(workerIdleMb);
    const lazyLoaded = [...new Set(runs.flatMap((r) => r.lazyBundlesAfterActivation))];
    const activationGoal = `< ${GOALS.activationMs} ms`;
    // One row a measure: its name, its value in one run, the unit and the goal if it has one.
    const perKind = KINDS.flatMap((kind) => {
      const values = (f: (r: Run) => number): number[] => ofKind(kind).map((r) => round1(f(r)));
      const row = (measure: string, f: (r: Run) => number, goal = ""): Row => {
        const v = values(f);
        return { measure, median: median(v), spread: spread(v), unit: "ms", goal };
      };
      return [
        row(`activation as VS Code reports it, ${kind.label}`, (r) => r.reportedMs, activationGoal),
        row("  the same for an empty extension with the same activation events (the floor)", (r) => r.emptyMs),
        row("  of it: other extensions loading first", (r) => r.waitMs),
      ];
    });
    const measures: [string, (r: Run) => number, string, string?][] = [
      ["  of it: require() of extension.js (VS Code's marks)", (r) => r.requireMs, "ms"],
      ["  of it: inside activate() (start to return)", (r) => r.activateMs, "ms"],
      ["Switchyard's own part (require + activate)", ownMs, "ms", activationGoal],
      ["activate() CPU time", (r) => r.activateCpuMs, "ms"],
      ["extension.js loaded again later in the same host (compile + top level)", (r) => r.reloadMs, "ms"],
      ["extension host RSS, panel closed", (r) => r.panelClosed.rssMb, "MB"],
      ["extension host RSS, panel open", (r) => r.panelOpen.rssMb, "MB"],
      ["extension host JS heap, panel closed", (r) => r.panelClosed.heapUsedMb, "MB"],
      ["extension host JS heap, panel open", (r) => r.panelOpen.heapUsedMb, "MB"],
      ["proxy worker: host RSS added, idle", workerIdleMb, "MB", `< ${GOALS.workerIdleMb} MB`],
      [
        `proxy worker: host RSS added, after ${runs[0]?.connections.ok ?? 0} TLS connections`,
        (r) => r.proxyAfterConnections.rssMb - r.beforeProxy.rssMb,
        "MB",
      ],
      ["proxy worker V8 heap (resident), idle", (r) => r.workerHeapIdle?.physicalMb ?? NaN, "MB"],
      ["proxy worker V8 heap (resident), after the connections", (r) => r.workerHeapAfter?.physicalMb ?? NaN, "MB"],
      ["1,000 connections (8 at a time), time", (r) => r.connections.seconds, "s"],
    ];
    const rows: Row[] = [
      ...perKind,
      ...measures.map(([measure, value, unit, goal = ""]) => {
        const values = pick(value);
        return { measure, median: median(values), spread: spread(values), unit, goal };
      }),
    ];
    const failedConnections = runs.reduce((n, r) => n + r.connections.failed, 0);
    const dist = join(extension, "dist");
    return {
      tables: [
        {
          title: `Cost inside VS Code (production bundle, real extension host, ${RUNS} fresh VS Code runs per workspace, interleaved)`,
          header: ["measure", "median", "spread", "unit", "goal"],
          rows: rows.map((r) => [r.measure, r.median, r.spread, r.unit, r.goal]),
        },
        {
          title: "Production bundles and when each is loaded",
          header: ["bundle", "KB", "loaded"],
          rows: bundleSizes(dist).map((b) => [b.bundle, b.kb, b.loaded]),
        },
      ],
      notes: [
        `VS Code's figure is the Running Extensions view's "Activation" (codeLoadingTime + activateCallTime), read from the workbench page: ${KINDS.map(
          (k) =>
            `${k.label}: ${ofKind(k)
              .map((r) => `"${r.reportedText}"`)
              .join(", ")}`,
        ).join(
          "; ",
        )}. In a folder with a package.json the extension activates on workspaceContains:package.json while the window starts ("Startup Activation"), on its own; elsewhere on onStartupFinished, after the window is up. The empty extension (same activation events, an activate() that does nothing) in the same windows: ${KINDS.map(
          (k) =>
            `${k.label}: ${ofKind(k)
              .map((r) => `"${r.emptyText}"`)
              .join(", ")}`,
        ).join("; ")}.`,
        `VS Code's codeLoadingTime starts when the extension's load is queued and ends after its require(). onStartupFinished queues its whole batch at once, so the extensions required before this one count in it: ${runs.map((r) => `${round1(r.waitMs)} ms for ${r.loadedBefore.join(", ") || "none"}`).join("; ")}.`,
        `bundles loaded after activation, before any Switchyard action: ${lazyLoaded.length ? lazyLoaded.join(", ") : "none (only dist/extension.js)"}; after the panel's first snapshot: ${runs[0]?.lazyBundlesAfterPanel.join(", ") ?? "?"}`,
        `proxy worker RSS is what starting the proxy adds to the extension host's RSS (the worker is a thread of that process), the CA already loaded; ${failedConnections} of ${runs.length * 1000} connections failed`,
      ],
      targets: [
        ...KINDS.map((kind) => {
          const reported = ofKind(kind).map((r) => r.reportedMs);
          const empty = ofKind(kind).map((r) => r.emptyMs);
          return {
            target: `VS Code-reported activation < ${GOALS.activationMs} ms (production bundle), ${kind.label}`,
            measured: `${median(reported)} ms (median of ${reported.length}; ${spread(reported)}); an empty extension: ${median(empty)} ms (${spread(empty)})`,
            met: median(reported) < GOALS.activationMs,
          };
        }),
        {
          target: `Switchyard's own part of it (require + activate) < ${GOALS.activationMs} ms`,
          measured: `${median(own)} ms (${spread(own)})`,
          met: median(own) < GOALS.activationMs,
        },
        {
          target: "no engine code loaded until the first Switchyard action",
          measured: lazyLoaded.length ? `loaded: ${lazyLoaded.join(", ")}` : "only extension.js loaded",
          met: lazyLoaded.length === 0,
        },
        {
          target: `idle proxy worker < ${GOALS.workerIdleMb} MB RSS`,
          measured: `${median(workerIdle)} MB (${spread(workerIdle)})`,
          met: median(workerIdle) < GOALS.workerIdleMb,
        },
      ],
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  runVscodeCostBench().then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
