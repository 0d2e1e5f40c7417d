/**
 * Bench: apply one mapping to a 150,000-line blocklist-style hosts file (plan + locked, atomic
 * apply with backups, as `switchyard hosts add --yes` does) against the floor of a plain
 * read + write of the same file. Target: within 2x of the floor. The file's mtime is set 10 s into
 * the past, as a real hosts file's is: then the apply trusts the plan's stat instead of re-reading
 * (see `unchangedSince` in core/hosts/hostsFile.ts).
 *
 *     node --import tsx bench/hosts.ts
 */
import { mkdtemp, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyHostsPlan, planHostsEdit } from "../extension/core/hosts";
import { blocklistHostsBytes } from "../test/fixtures/hosts/generate-blocklist";

/** One row of bench output. */
export interface HostsBenchRow {
  name: string;
  medianMs: number;
  /** Median divided by the floor's median. */
  ratio: number;
  runs: number;
}

/** Runs the hosts bench and returns its rows (the floor first). */
export async function runHostsBench(runs = 15): Promise<HostsBenchRow[]> {
  const dir = await mkdtemp(join(tmpdir(), "switchyard-bench-hosts-"));
  try {
    const path = join(dir, "hosts");
    const base = blocklistHostsBytes();
    const floor: number[] = [];
    const apply: number[] = [];
    for (let i = 0; i < runs; i++) {
      await writeFile(path, base);
      let t = performance.now();
      await writeFile(path, await readFile(path));
      floor.push(performance.now() - t);

      await writeFile(path, base);
      const past = new Date(Date.now() - 10_000);
      await utimes(path, past, past);
      t = performance.now();
      const plan = await planHostsEdit({ kind: "add", name: `bench-${i}.test` }, { path });
      await applyHostsPlan(plan, { path, dataDir: join(dir, "data") });
      apply.push(performance.now() - t);
    }
    const floorMs = median(floor);
    const applyMs = median(apply);
    return [
      { name: "hosts: read+write 150k lines (floor)", medianMs: floorMs, ratio: 1, runs },
      { name: "hosts: apply one mapping to 150k lines", medianMs: applyMs, ratio: applyMs / floorMs, runs },
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

if (require.main === module) {
  runHostsBench().then(
    (rows) => {
      for (const r of rows)
        console.log(`${r.name.padEnd(42)} ${r.medianMs.toFixed(1).padStart(8)} ms  ${r.ratio.toFixed(2)}x`);
      const ratio = rows[1]?.ratio ?? Infinity;
      console.log(ratio <= 2 ? "within 2x of the floor" : "NOT within 2x of the floor");
    },
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
