/**
 * Page load in Chromium (issue 15 item 1): a generated Vite app (1,000 ES modules; and 200
 * modules with a 2 MB asset) loaded directly over plain HTTP, through Switchyard, nginx and Caddy.
 * Each run loads every setup in turn (A, B, C, D, A, B, …): cold in a new browser context, then
 * warm by reloading that page. Chromium is driven over its DevTools pipe without the Network
 * domain (cdpPipe.ts), as a user's browser runs. Times are the page's own: navigation start to the `load` event, and
 * to main.js's last line (every module evaluated).
 *
 *     npm run bench -- pageload          BENCH_RUNS=3 for a quicker, noisier run
 */
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { trustingHome } from "./browser";
import { PipeBrowser } from "./cdpPipe";
import { groupCpuSeconds, groupCpuSecondsSince, groupCpuTicks, withBenchRun } from "./processes";
import { ratio, summarise, type Spread } from "./spread";
import { generateViteApp, type ViteApp, type ViteAppShape } from "./viteApp";
import { APP_NAME, startViteRig, type Setup, type ViteRig } from "./viteRig";

/** One page's timings (ms from navigation start). */
interface LoadTiming {
  load: number;
  evaluated: number;
  protocol: string;
  /** Median over the page's module requests of request sent to first response byte. */
  moduleWait: number;
  /** CPU ms of all of Chromium's processes from the new context to this load's end (cold only). */
  chromiumCpuMs?: number;
}

/** A measured row: one app variant, one setup, cold or warm. */
export interface PageLoadRow {
  variant: string;
  setup: string;
  mode: "cold" | "warm";
  protocol: string;
  load: Spread;
  evaluated: Spread;
  moduleWait: Spread;
  /** CPU ms of the proxy's processes per cold+warm pair (direct: none), and of Vite, medians. */
  proxyCpuMs?: number;
  viteCpuMs?: number;
  /** CPU ms of Chromium's processes per cold load, median. */
  chromiumCpuMs?: number;
  /** The machine's 1-minute load average at this setup's loads, median. */
  load1: number;
}

const VARIANTS: { name: string; shape: ViteAppShape }[] = [
  { name: "1,000 modules", shape: { modules: 1000, assetBytes: 0 } },
  { name: "200 modules + 2 MB asset", shape: { modules: 200, assetBytes: 2 * 1024 * 1024 } },
];

// In the page: navigation timing and main.js's mark, as a string (this file is typed for Node).
const READ_TIMING = `(() => {
  const n = performance.getEntriesByType("navigation")[0];
  const waits = performance.getEntriesByType("resource").filter((e) => e.name.includes("/src/"))
    .map((e) => e.responseStart - e.requestStart).sort((a, b) => a - b);
  return { load: n.loadEventStart, evaluated: globalThis.__allEvaluatedAt, modules: globalThis.__modulesEvaluated,
    protocol: n.nextHopProtocol, moduleWait: waits[Math.floor(waits.length / 2)] ?? NaN };
})()`;

/** Runs every variant; returns rows, goals against direct/nginx/Caddy, and tables. */
export async function runPageLoadBench(repoRoot = process.cwd()): Promise<unknown> {
  const runs = Math.max(1, Number(process.env.BENCH_RUNS ?? 7));
  const rows: PageLoadRow[] = [];
  const notes: string[] = [];
  // BENCH_VARIANTS=1000 (or 200) runs only the variants whose name (without commas) contains it.
  const only = process.env.BENCH_VARIANTS?.split(",").filter(Boolean);
  for (const variant of VARIANTS.filter((v) => !only || only.some((w) => v.name.replace(/,/g, "").includes(w))))
    await withBenchRun("page", async ({ tmp, group }) => {
      const app = generateViteApp(join(tmp, "app"), variant.shape);
      const rig = await startViteRig(group, repoRoot, tmp, app, { nginx: true, caddy: true });
      notes.push(...rig.notes);
      // Not through Playwright: it turns on Chromium's Network domain, whose per-request reports
      // cost more CPU than Vite and the proxy together (cdpPipe.ts).
      const browser = PipeBrowser.launch(group, trustingHome(tmp, rig.cert.rootPath), [APP_NAME]);
      try {
        rows.push(...(await loadVariant(browser, rig, app, variant.name, runs)));
      } finally {
        browser.close();
      }
    });
  return report(rows, runs, notes);
}

/** `runs` interleaved rounds over the rig's setups (after one unmeasured round): one row per setup and mode. */
async function loadVariant(
  browser: PipeBrowser,
  rig: ViteRig,
  app: ViteApp,
  variant: string,
  runs: number,
): Promise<PageLoadRow[]> {
  const rows: PageLoadRow[] = [];
  const samples = new Map<
    string,
    { cold: LoadTiming[]; warm: LoadTiming[]; proxyCpu: number[]; viteCpu: number[]; load1: number[] }
  >();
  for (const s of rig.setups) samples.set(s.label, { cold: [], warm: [], proxyCpu: [], viteCpu: [], load1: [] });
  const cpu = (pgid: number | undefined): number => (pgid === undefined ? 0 : groupCpuSeconds(pgid) * 1000);
  // One unmeasured load per setup: Vite transforms each module once, and the proxies start cold.
  for (const s of rig.setups) await loadColdThenWarm(browser, s, app.modules);
  for (let i = 0; i < runs; i++)
    for (const s of rig.setups) {
      const [proxy0, vite0] = [cpu(s.pgid), cpu(s.vitePgid)];
      const [cold, warm] = await loadColdThenWarm(browser, s, app.modules);
      const mine = samples.get(s.label)!;
      mine.cold.push(cold);
      mine.load1.push(loadavg()[0]);
      mine.warm.push(warm);
      mine.viteCpu.push(cpu(s.vitePgid) - vite0);
      if (s.pgid !== s.vitePgid) mine.proxyCpu.push(cpu(s.pgid) - proxy0);
    }
  for (const [setup, byMode] of samples)
    for (const mode of ["cold", "warm"] as const)
      rows.push({
        variant,
        setup,
        mode,
        protocol: byMode[mode][0]?.protocol ?? "?",
        load: summarise(byMode[mode].map((t) => t.load)),
        evaluated: summarise(byMode[mode].map((t) => t.evaluated)),
        moduleWait: summarise(byMode[mode].map((t) => t.moduleWait)),
        load1: summarise(byMode.load1).p50,
        ...(mode === "cold"
          ? {
              chromiumCpuMs: summarise(byMode.cold.map((t) => t.chromiumCpuMs ?? NaN)).p50,
              viteCpuMs: summarise(byMode.viteCpu).p50,
              ...(byMode.proxyCpu.length > 0 ? { proxyCpuMs: summarise(byMode.proxyCpu).p50 } : {}),
            }
          : {}),
      });
  return rows;
}

/** Loads `setup` in a new context (cold), then reloads it (warm); closes the context. */
async function loadColdThenWarm(
  browser: PipeBrowser,
  setup: Setup,
  modules: number,
): Promise<[LoadTiming, LoadTiming]> {
  const chromium0 = groupCpuTicks(browser.child.pid!);
  const page = await browser.page();
  try {
    // Module scripts run before the load event, so every module has been evaluated by then.
    const read = async (): Promise<LoadTiming> => {
      const t = (await page.evaluate(READ_TIMING)) as LoadTiming & { modules: number };
      if (t.modules !== modules) throw new Error(`${setup.label}: ${t.modules} of ${modules} modules evaluated`);
      return t;
    };
    await page.goto(setup.url, 60_000);
    // Before the context closes: its renderer's CPU goes with it.
    const cold = { ...(await read()), chromiumCpuMs: groupCpuSecondsSince(browser.child.pid!, chromium0) * 1000 };
    await page.reload(60_000);
    return [cold, await read()];
  } finally {
    await page.close();
  }
}

function report(rows: PageLoadRow[], runs: number, notes: string[]): unknown {
  const find = (variant: string, setupPrefix: string, mode: string): PageLoadRow | undefined =>
    rows.find((r) => r.variant === variant && r.mode === mode && r.setup.startsWith(setupPrefix));
  const targets: { target: string; measured: string; met: boolean | null; load?: string }[] = [];
  // Chromium's CPU over the load's wall time on all cores: near 100%, the browser's own work bounds the load.
  const share = (r: PageLoadRow): string =>
    `${((100 * (r.chromiumCpuMs ?? NaN)) / (r.load.p50 * cpus().length)).toFixed(0)}%`;
  const spread = (s: Spread | undefined): string => (s ? `${s.min.toFixed(0)}-${s.max.toFixed(0)}` : "-");
  // Only the variants that ran (BENCH_VARIANTS may leave some out).
  for (const variant of VARIANTS.map((v) => v.name).filter((v) => rows.some((r) => r.variant === v)))
    for (const mode of ["cold", "warm"] as const) {
      const syRow = find(variant, "switchyard (h2)", mode);
      const directRow = find(variant, "direct", mode);
      const sy = syRow?.load.p50;
      const direct = find(variant, "direct", mode)?.load.p50;
      const nginx = find(variant, "nginx", mode)?.load.p50;
      const caddy = find(variant, "caddy", mode)?.load.p50;
      const ms = (n: number | undefined): string => (n === undefined ? "missing" : `${n.toFixed(0)} ms`);
      targets.push({
        target: `page load (${variant}, ${mode}) through Switchyard <= 0.8x direct HTTP`,
        measured:
          `${ms(sy)} (${spread(syRow?.load)}) vs ${ms(direct)} (${spread(directRow?.load)}) = ${ratio(sy ?? NaN, direct)}` +
          (mode === "cold" && directRow?.chromiumCpuMs !== undefined
            ? `; Chromium alone used ${share(directRow)} of the ${cpus().length} cores during the direct load`
            : ""),
        met: sy === undefined || direct === undefined ? null : sy <= 0.8 * direct,
        ...(syRow ? { load: syRow.load1.toFixed(1) } : {}),
      });
      targets.push({
        target: `page load (${variant}, ${mode}) through Switchyard faster than nginx and Caddy`,
        measured: `${ms(sy)} vs nginx ${ms(nginx)} (${ratio(sy ?? NaN, nginx)}), Caddy ${ms(caddy)} (${ratio(sy ?? NaN, caddy)})`,
        met: sy === undefined || nginx === undefined || caddy === undefined ? null : sy < nginx && sy < caddy,
        ...(syRow ? { load: syRow.load1.toFixed(1) } : {}),
      });
    }
  return {
    rows,
    targets,
    notes,
    tables: [
      {
        title: `Page load in headless Chromium, Vite dev server (median of ${runs} interleaved runs; ms from navigation start; x = ratio of medians)`,
        header: [
          "app",
          "setup",
          "mode",
          "protocol",
          "load p50",
          "load min-max",
          "x direct",
          "all modules evaluated p50",
          "min-max",
          "x direct",
          "module wait p50 ms",
          "proxy CPU ms/pair",
          "Vite CPU ms/pair",
          "Chromium CPU ms/cold load",
          `Chromium's share of ${cpus().length} cores`,
          "load avg",
        ],
        rows: rows.map((r) => {
          const direct = find(r.variant, "direct", r.mode);
          return [
            r.variant,
            r.setup,
            r.mode,
            r.protocol,
            r.load.p50.toFixed(0),
            spread(r.load),
            ratio(r.load.p50, direct?.load.p50),
            r.evaluated.p50.toFixed(0),
            spread(r.evaluated),
            ratio(r.evaluated.p50, direct?.evaluated.p50),
            r.moduleWait.p50.toFixed(1),
            r.proxyCpuMs === undefined ? "-" : r.proxyCpuMs.toFixed(0),
            r.viteCpuMs === undefined ? "-" : r.viteCpuMs.toFixed(0),
            r.chromiumCpuMs === undefined ? "-" : r.chromiumCpuMs.toFixed(0),
            r.chromiumCpuMs === undefined ? "-" : share(r),
            r.load1.toFixed(1),
          ];
        }),
      },
    ],
  };
}
