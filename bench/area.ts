/**
 * Runs one bench area in its own process for bench/run.mjs, so one area's crash or hang cannot
 * take the others down, and prints its result as one JSON line after a marker.
 *
 *     node --import tsx bench/area.ts ca|hosts|proxy|run|firstvisit|…
 */
export {};

const MARKER = "@@SWITCHYARD_BENCH_RESULT ";

const areas: Record<string, () => Promise<unknown>> = {
  ca: async () => (await import("./ca")).runCaBench(),
  hosts: async () => (await import("./hosts")).runHostsBench(),
  proxy: async () => (await import("./proxy")).runProxyBench(),
  run: async () => (await import("./devServer")).runDevServerBench(),
  firstvisit: async () => (await import("./firstVisit")).runFirstVisitBench(),
  pageload: async () => (await import("./pageLoad")).runPageLoadBench(),
  hmr: async () => (await import("./hmr")).runHmrBench(),
  vscode: async () => (await import("./vscodeCost")).runVscodeCostBench(),
};

const name = process.argv[2] ?? "";
const runArea = areas[name];
if (!runArea) {
  process.stderr.write(`usage: bench/area.ts ${Object.keys(areas).join("|")}\n`);
  process.exit(2);
}
runArea().then(
  (result) => {
    process.stdout.write(`\n${MARKER}${JSON.stringify(result)}\n`);
    process.exit(0);
  },
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
