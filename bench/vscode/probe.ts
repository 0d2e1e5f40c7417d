/**
 * Runs INSIDE the real extension host (loaded as the extensionTestsPath by bench/vscodeCost.ts),
 * against the production bundle: what activation cost, which of the extension's bundles are loaded
 * after it, the extension host's memory with the panel closed and open, and the proxy worker's cost
 * idle and after 1,000 TLS connections over loopback. Writes one JSON file ($SWITCHYARD_BENCH_RESULTS).
 * While VS Code's Running Extensions view is open it waits for the bench to read it (file handshake
 * in $SWITCHYARD_BENCH_SYNC: it writes `scrape`, the bench answers `scraped`).
 */
import { existsSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import * as vscode from "vscode";
import type { SwitchyardApi } from "../../extension/vscode/activate";
import { httpsGet } from "../../test/integration/httpsGet";

const ID = "switchyard.switchyard";
const CONNECTIONS = 1000;
const CONCURRENCY = 8;

// A full collection before each reading, so heap figures are live objects rather than GC timing.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** One memory reading of this extension host process, in MB. */
export interface Memory {
  rssMb: number;
  heapUsedMb: number;
}

/** What the probe writes for the bench. */
export interface ProbeResult {
  activateMs: number;
  activateCpuMs: number;
  lazyBundlesAfterActivation: string[];
  lazyBundlesAfterPanel: string[];
  panelClosed: Memory;
  panelOpen: Memory;
  beforeProxy: Memory;
  proxyIdle: Memory;
  proxyAfterConnections: Memory;
  workerHeapIdle?: { usedMb: number; physicalMb: number };
  workerHeapAfter?: { usedMb: number; physicalMb: number };
  connections: { ok: number; failed: number; seconds: number };
  /**
   * VS Code's own marks (code/extHost/willLoadExtensionCode/ID, didLoad…, willActivate…, didActivate…)
   * for this extension (no ID) and the others loaded or activated around it, in ms after ours first.
   */
  marks: { name: string; ms: number }[];
  /** Loading dist/extension.js again now (compile and top-level code, no activate), in ms. */
  reloadMs: number;
}

interface PerformanceMarks {
  getMarks(): { name: string; startTime: number }[];
}

/** The extension host's marks (code/extHost/willLoadExtensionCode/ID and friends) for this extension. */
function extensionMarks(): ProbeResult["marks"] {
  const all = (globalThis as { MonacoPerformanceMarks?: PerformanceMarks }).MonacoPerformanceMarks?.getMarks() ?? [];
  const ours = all.filter((m) => m.name.endsWith(`/${ID}`));
  const first = ours[0]?.startTime ?? 0;
  const last = ours[ours.length - 1]?.startTime ?? 0;
  // Other extensions loaded or activated in the same window share the extension host's thread.
  const window = all.filter(
    (m) => /ExtensionCode\/|ActivateExtension\//.test(m.name) && m.startTime >= first - 500 && m.startTime <= last,
  );
  return window.map((m) => ({ name: m.name.replace(`/${ID}`, ""), ms: m.startTime - first }));
}

/** Requires the activation bundle once more (a fresh module, not activated): its own load cost now. */
function reloadMs(): number {
  const file = join(vscode.extensions.getExtension(ID)?.extensionUri.fsPath ?? "", "dist", "extension.js");
  const cached = require.cache[file];
  delete require.cache[file];
  const started = performance.now();
  require(file);
  const ms = performance.now() - started;
  if (cached) require.cache[file] = cached;
  return Math.round(ms * 10) / 10;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const mb = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;

function memory(): Memory {
  gc();
  gc();
  const m = process.memoryUsage();
  return { rssMb: mb(m.rss), heapUsedMb: mb(m.heapUsed) };
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(50);
  }
}

/** The extension's bundles in the module cache, besides the activation bundle itself. */
function lazyBundlesLoaded(): string[] {
  const root = vscode.extensions.getExtension(ID)?.extensionUri.fsPath ?? "";
  return Object.keys(require.cache)
    .filter((file) => file.startsWith(join(root, "dist")) && !file.endsWith("extension.js"))
    .map((file) => file.slice(root.length + 1));
}

async function workerHeap(api: SwitchyardApi): Promise<{ usedMb: number; physicalMb: number } | undefined> {
  const heap = await api.session.proxyHeapStatistics();
  return heap && { usedMb: mb(heap.usedBytes), physicalMb: mb(heap.physicalBytes) };
}

/** VS Code's own report: the Running Extensions view, read by the bench from the workbench's page. */
async function letBenchReadRunningExtensions(): Promise<void> {
  const sync = process.env.SWITCHYARD_BENCH_SYNC ?? "";
  await vscode.commands.executeCommand("workbench.action.showRuntimeExtensions");
  writeFileSync(join(sync, "scrape"), "");
  await until("the bench reading Running Extensions", () => existsSync(join(sync, "scraped")), 60_000);
  await vscode.commands.executeCommand("workbench.action.closeAllEditors");
}

async function connectMany(): Promise<ProbeResult["connections"]> {
  let ok = 0;
  let failed = 0;
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < CONNECTIONS) {
      next += 1;
      const res = await httpsGet("bench.test", "/").catch(() => ({ status: 0 }));
      if (res.status === 200) ok += 1;
      else failed += 1;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { ok, failed, seconds: Math.round((performance.now() - started) / 10) / 100 };
}

export async function run(): Promise<void> {
  const ext = vscode.extensions.getExtension<SwitchyardApi>(ID);
  if (!ext) throw new Error(`${ID} is not loaded in this extension host`);
  const api = ext.isActive ? ext.exports : await ext.activate();
  const lazyBundlesAfterActivation = lazyBundlesLoaded();
  const marks = extensionMarks();
  await letBenchReadRunningExtensions();
  if (process.env.SWITCHYARD_BENCH_VSCODE_ACTIVATION_ONLY) {
    // Activation alone (to compare builds quickly): no panel, no proxy, memory left at zero.
    const none: Memory = { rssMb: 0, heapUsedMb: 0 };
    const result: ProbeResult = {
      activateMs: api.activationMs,
      activateCpuMs: api.activationCpuMs,
      lazyBundlesAfterActivation,
      lazyBundlesAfterPanel: [],
      ...{ panelClosed: none, panelOpen: none, beforeProxy: none, proxyIdle: none, proxyAfterConnections: none },
      connections: { ok: 0, failed: 0, seconds: 0 },
      marks,
      reloadMs: reloadMs(),
    };
    writeFileSync(process.env.SWITCHYARD_BENCH_RESULTS ?? "", JSON.stringify(result, null, 2));
    return;
  }
  await sleep(1000);
  const panelClosed = memory();

  await vscode.commands.executeCommand("switchyard.openPanel");
  await until("the panel's first snapshot", () => api.panel.visible && lazyBundlesLoaded().includes("dist/engines.js"));
  await api.panelModel.snapshot();
  await sleep(1000);
  const panelOpen = memory();
  const lazyBundlesAfterPanel = lazyBundlesLoaded();
  await vscode.commands.executeCommand("workbench.action.closeAllEditors");

  const app: Server = createServer((_req, res) => res.end("ok"));
  await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
  const appPort = (app.address() as { port: number }).port;
  await vscode.workspace
    .getConfiguration("switchyard")
    .update(
      "proxy.routes",
      [{ host: "bench.test", upstream: `http://127.0.0.1:${appPort}` }],
      vscode.ConfigurationTarget.Workspace,
    );
  await until("the route in the settings", () => api.session.currentSettings.proxy.routes.length === 1);
  // The CA is created on first use: done before the reading, so the proxy's figures are its own.
  await api.session.openCa();
  await sleep(500);
  const beforeProxy = memory();
  await vscode.commands.executeCommand("switchyard.startProxy");
  await until("the proxy listening", () => api.session.state === "on");
  await sleep(2000);
  const proxyIdle = memory();
  const workerHeapIdle = await workerHeap(api);

  const connections = await connectMany();
  await sleep(2000);
  const proxyAfterConnections = memory();
  const workerHeapAfter = await workerHeap(api);
  await vscode.commands.executeCommand("switchyard.stopProxy");
  app.close();

  const result: ProbeResult = {
    activateMs: api.activationMs,
    activateCpuMs: api.activationCpuMs,
    lazyBundlesAfterActivation,
    lazyBundlesAfterPanel,
    panelClosed,
    panelOpen,
    beforeProxy,
    proxyIdle,
    proxyAfterConnections,
    workerHeapIdle,
    workerHeapAfter,
    connections,
    marks,
    reloadMs: reloadMs(),
  };
  writeFileSync(process.env.SWITCHYARD_BENCH_RESULTS ?? "", JSON.stringify(result, null, 2));
}
