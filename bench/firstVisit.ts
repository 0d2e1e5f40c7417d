/**
 * First request to a name the proxy has never seen (issue 15 item 2): curl's time to first byte
 * on a new TLS connection, against nginx serving a pre-issued certificate and Node's bare
 * tls.Server answering by itself (the floor any Node TLS server reaches). Switchyard is asked for
 * never-seen names under two wildcard routes: `*.fresh.test`, whose names share the route's one
 * wildcard leaf (issued once, by the warm-up), and `*.localhost`, a wildcard browsers reject, so
 * each of its names gets a leaf of its own issued on demand. All are interleaved name by name
 * (Switchyard twice, nginx, floor, Switchyard with the `.localhost` name it issued for one round
 * earlier, …) so machine noise hits them alike.
 *
 *     node --import tsx bench/area.ts firstvisit      (or `npm run bench -- firstvisit`)
 *     BENCH_NAMES=50 …                                (fewer names, noisier)
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeBenchCertificate } from "./certificates";
import { curlHttps } from "./load";
import * as peers from "./peers";
import { withBenchRun } from "./processes";
import { ratio, summarise, type Spread } from "./spread";

const NAME = "my-awesome-service.test";
const FRESH_SUFFIX = "fresh.test";
/** Names under a `*.localhost` route each get a leaf of their own (ca/wildcardLeaf.ts). */
const EXACT_SUFFIX = "localhost";

/** One row: time to first byte and TLS-done time over the names. */
export interface FirstVisitRow {
  label: string;
  ttfb: Spread;
  handshake: Spread;
}

/** What the area returns to bench/run.mjs. */
export interface FirstVisitResult {
  names: number;
  rows: FirstVisitRow[];
  targets: { target: string; measured: string; met: boolean | null }[];
  tables: { title: string; header: string[]; rows: string[][] }[];
  notes: string[];
}

/** Runs the interleaved first-visit measurement. */
export async function runFirstVisitBench(repoRoot = process.cwd()): Promise<FirstVisitResult> {
  const count = Math.max(5, Number(process.env.BENCH_NAMES ?? 200));
  return withBenchRun("first", async (run) => {
    const { tmp } = run;
    const notes: string[] = [];
    const hostsFile = join(tmp, "hosts");
    writeFileSync(hostsFile, `127.0.0.1 localhost\n127.0.0.1 ${NAME}\n`);
    // Both CAs in folders of their own: serve watches its CA folder's parent (caWatch.ts), and the
    // run's temp dir gets every process's log lines, which would wake the proxy per line.
    const cert = await makeBenchCertificate(repoRoot, join(tmp, "certificates"), NAME);
    const upstream = await peers.startBenchUpstream(run.group, repoRoot);
    const ctx = peers.peerContext({ run, repoRoot, name: NAME, upstreamPort: upstream.port, cert, hostsFile });
    // A CA of its own, so no leaf of the names below exists anywhere yet.
    const freshCa = join(tmp, "fresh", "ca");
    mkdirSync(join(tmp, "fresh"), { recursive: true });
    const switchyard = await peers.startSwitchyard({ ...ctx, name: `*.${FRESH_SUFFIX}` }, freshCa, "switchyard-fresh", {
      "switchyard.proxy.routes": [{ host: `*.${EXACT_SUFFIX}`, upstream: `http://127.0.0.1:${upstream.port}` }],
    });
    const nginx = await peers.startNginx(ctx);
    const floor = await peers.startNodeTlsFloor(ctx);
    const freshRoot = join(freshCa, "root.pem");

    const fetchOnce = async (host: string, port: number, caCert: string): Promise<[number, number]> => {
      const r = await curlHttps(host, port, caCert, 10);
      if (r.httpCode !== 200) throw new Error(`https://${host}:${port}/ answered HTTP ${r.httpCode}`);
      return [r.timeStartTransfer * 1000, r.timeAppConnect * 1000];
    };
    const samples = {
      fresh: [] as number[][],
      exact: [] as number[][],
      cached: [] as number[][],
      nginx: [] as number[][],
      floor: [] as number[][],
    };
    // Unmeasured: the first connection of each process (JIT, lazy loading) is a start-up cost.
    await fetchOnce(`warm.${FRESH_SUFFIX}`, switchyard.port, freshRoot);
    await fetchOnce(`warm.${EXACT_SUFFIX}`, switchyard.port, freshRoot);
    await fetchOnce(NAME, nginx.port, cert.rootPath);
    await fetchOnce(NAME, floor.port, cert.rootPath);
    for (let i = 0; i < count; i++) {
      samples.fresh.push(await fetchOnce(`n${i}.${FRESH_SUFFIX}`, switchyard.port, freshRoot));
      samples.exact.push(await fetchOnce(`n${i}.${EXACT_SUFFIX}`, switchyard.port, freshRoot));
      samples.nginx.push(await fetchOnce(NAME, nginx.port, cert.rootPath));
      samples.floor.push(await fetchOnce(NAME, floor.port, cert.rootPath));
      if (i > 0) samples.cached.push(await fetchOnce(`n${i - 1}.${EXACT_SUFFIX}`, switchyard.port, freshRoot));
    }
    const row = (label: string, s: number[][]): FirstVisitRow => ({
      label,
      ttfb: summarise(s.map((x) => x[0]!)),
      handshake: summarise(s.map((x) => x[1]!)),
    });
    const rows = [
      row(`switchyard, never-seen name under *.${FRESH_SUFFIX} (the route's wildcard leaf)`, samples.fresh),
      row(`switchyard, never-seen name under *.${EXACT_SUFFIX} (own leaf issued on demand)`, samples.exact),
      row(`switchyard, *.${EXACT_SUFFIX} name issued one round earlier (cached leaf)`, samples.cached),
      row("nginx, certificate issued before start", samples.nginx),
      row("node TLS floor (bare tls.Server, no proxy hop)", samples.floor),
    ];
    const [fresh, exact, cached, ng, fl] = rows as [
      FirstVisitRow,
      FirstVisitRow,
      FirstVisitRow,
      FirstVisitRow,
      FirstVisitRow,
    ];
    const targets = [
      {
        target: "first request to a never-seen name (wildcard route): p50 <= 1.3x nginx (pre-issued)",
        measured: `${fresh.ttfb.p50.toFixed(2)} vs ${ng.ttfb.p50.toFixed(2)} ms = ${ratio(fresh.ttfb.p50, ng.ttfb.p50)}`,
        met: fresh.ttfb.p50 <= 1.3 * ng.ttfb.p50,
      },
    ];
    notes.push(
      `reference, not a goal: never-seen name p50 = ${ratio(fresh.ttfb.p50, fl.ttfb.p50)} Node's bare tls.Server; cached leaf = ${ratio(cached.ttfb.p50, fl.ttfb.p50)}`,
      `a never-seen name that needs a leaf of its own (no wildcard leaf: a *.${EXACT_SUFFIX} route, an exact route): p50 ${exact.ttfb.p50.toFixed(2)} ms = ${ratio(exact.ttfb.p50, ng.ttfb.p50)} nginx`,
    );
    return {
      names: count,
      rows,
      targets,
      notes,
      tables: [
        {
          title: `First request on a new TLS connection (curl TTFB; ${count} names, the five interleaved per name)`,
          header: ["case", "p50 ms", "p99 ms", "spread p10-p90 ms", "TLS done p50 ms", "p50 x nginx", "p50 x floor"],
          rows: rows.map((r) => [
            r.label,
            r.ttfb.p50.toFixed(2),
            r.ttfb.p99.toFixed(2),
            `${r.ttfb.p10.toFixed(2)}-${r.ttfb.p90.toFixed(2)}`,
            r.handshake.p50.toFixed(2),
            ratio(r.ttfb.p50, ng.ttfb.p50),
            ratio(r.ttfb.p50, fl.ttfb.p50),
          ]),
        },
      ],
    };
  });
}
