/**
 * Hot update latency (issue 15 item 3): the Vite app open in Chromium directly, through Switchyard
 * and (a reference, no goal) through nginx; the bench rewrites the CSS file main.js imports and the
 * open page reports when the new colour is applied (a MutationObserver on <head> checks the computed
 * style as soon as Vite's client swaps the <style>). One page is open at a time and the setups take
 * turns, so no page's update waits behind another's. Clocks: Node's and the page's performance.timeOrigin + now(), both
 * wall-clock based on one machine.
 *
 *     npm run bench -- hmr            BENCH_HMR_EDITS=10 for fewer edits
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { launchChromium, trustingHome } from "./browser";
import { delay, withBenchRun } from "./processes";
import { summarise, type Spread } from "./spread";
import { generateViteApp, type ViteApp } from "./viteApp";
import { APP_NAME, startViteRig, type ViteRig } from "./viteRig";

/** One path's latencies from the file write to the style applied. */
export interface HmrRow {
  setup: string;
  latency: Spread;
}

// In the page: resolve with the absolute time the h1 first has colour `want`.
const WAIT_FOR_COLOUR = `(want) => new Promise((resolve) => {
  const h1 = document.querySelector("h1");
  const done = () => { observer.disconnect(); resolve(performance.timeOrigin + performance.now()); };
  const observer = new MutationObserver(() => { if (getComputedStyle(h1).color === want) done(); });
  observer.observe(document.head, { subtree: true, childList: true, characterData: true, attributes: true });
  if (getComputedStyle(h1).color === want) done();
})`;

/** Runs the hot-update comparison. */
export async function runHmrBench(repoRoot = process.cwd()): Promise<unknown> {
  const edits = Math.max(3, Number(process.env.BENCH_HMR_EDITS ?? 30));
  return withBenchRun("hmr", async ({ tmp, group }) => {
    const app = generateViteApp(join(tmp, "app"), { modules: 200, assetBytes: 0 });
    // nginx in front of the same Vite as a reference (no goal): what one more process hop costs here.
    const rig = await startViteRig(group, repoRoot, tmp, app, { nginx: true });
    const browser = await launchChromium(trustingHome(tmp, rig.cert.rootPath), [APP_NAME]);
    try {
      return await measureHotUpdates(browser, rig, app, edits);
    } finally {
      await browser.close().catch(() => {});
    }
  });
}

/** Edits per page visit; the setups take turns in blocks of this many edits. */
const EDITS_PER_VISIT = 5;

/**
 * Times each setup with its page the only one open (as a developer has it): the setups take turns
 * (A, B, C, then B, C, A, ...) in visits of EDITS_PER_VISIT edits, so machine noise hits them
 * alike. With every page open at once, each edit reached the pages in the order their sockets
 * connected to Vite and their CSS requests queued behind one another in Vite and Chromium, so a
 * later page's figure carried the earlier pages' work.
 */
async function measureHotUpdates(browser: Browser, rig: ViteRig, app: ViteApp, edits: number): Promise<unknown> {
  const pages = rig.setups.map((setup) => ({ label: setup.label, url: setup.url, samples: [] as number[] }));
  const missed = new Map<string, number[]>(pages.map((p) => [p.label, []]));
  let edit = 0;
  for (let visit = 0; visit * EDITS_PER_VISIT < edits; visit++) {
    for (let k = 0; k < pages.length; k++) {
      const p = pages[(visit + k) % pages.length]!;
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        const connected = page.waitForEvent("console", {
          predicate: (m) => m.text().includes("[vite] connected"),
          timeout: 60_000,
        });
        await page.goto(p.url, { waitUntil: "load", timeout: 60_000 });
        await connected;
        // One unmeasured edit per visit first; then each edit is one sample. An edit the page has
        // not applied within 10 s counts as missed (and is reported), not as a sample.
        for (let i = 0; i <= EDITS_PER_VISIT; i++) {
          const colour = `rgb(${edit % 250}, ${(edit * 7) % 250}, 200)`;
          edit++;
          const applied = Promise.race([
            page.evaluate(`(${WAIT_FOR_COLOUR})(${JSON.stringify(colour)})`) as Promise<number>,
            delay(10_000).then(() => undefined),
          ]);
          // The observer is installed when evaluate returns the pending promise; give it a turn.
          await delay(50);
          const written = performance.timeOrigin + performance.now();
          writeFileSync(app.cssPath, `h1 { color: ${colour}; }\n`);
          const t = await applied;
          if (t === undefined) missed.get(p.label)!.push(edit);
          else if (i > 0) p.samples.push(t - written);
          await delay(250); // let Vite's watcher settle before the next write
        }
      } finally {
        await context.close().catch(() => {});
      }
    }
  }
  const notes = [...rig.notes];
  for (const [label, edits_] of missed)
    if (edits_.length > 0) notes.push(`${label}: edits ${edits_.join(", ")} not applied within 10 s`);
  if (pages.some((p) => p.samples.length < edits / 2)) throw new Error(`hot updates missed: ${notes.join("; ")}`);
  const rows: HmrRow[] = pages.map((p) => ({ setup: p.label, latency: summarise(p.samples) }));
  const direct = rows.find((r) => r.setup.startsWith("direct"));
  const sy = rows.find((r) => r.setup.startsWith("switchyard"));
  const diff = sy && direct ? sy.latency.p50 - direct.latency.p50 : undefined;
  return {
    rows,
    notes,
    targets: [
      {
        target: "hot update (CSS write to style applied) through Switchyard within +5 ms of direct, median",
        measured:
          diff === undefined
            ? "missing"
            : `${sy!.latency.p50.toFixed(1)} vs ${direct!.latency.p50.toFixed(1)} ms = ${diff >= 0 ? "+" : ""}${diff.toFixed(1)} ms`,
        met: diff === undefined ? null : diff <= 5,
      },
    ],
    tables: [
      {
        title: `Hot update in Chromium: CSS file written to new style applied (${edits} edits per setup, one page open at a time, setups in turn)`,
        header: ["setup", "p50 ms", "p10-p90 ms", "p99 ms", "+ms vs direct p50"],
        rows: rows.map((r) => [
          r.setup,
          r.latency.p50.toFixed(1),
          `${r.latency.p10.toFixed(1)}-${r.latency.p90.toFixed(1)}`,
          r.latency.p99.toFixed(1),
          direct ? (r.latency.p50 - direct.latency.p50).toFixed(1) : "-",
        ]),
      },
    ],
  };
}
