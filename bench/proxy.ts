/**
 * Proxy bench: one run on loopback, one load generator (wrk -t2 -c50, HTTP/1.1), one Node upstream
 * in its own process, one certificate for every TLS peer. Each peer runs alone (started, warmed
 * for a couple of seconds, measured, stopped) so the peers never compete for the CPU.
 *
 * Naming: every client dials https://my-awesome-service.test:PORT/, so every proxy sees that name
 * in SNI and Host as it would from a browser. wrk resolves it through a temp hosts file bind-mounted
 * in a private mount namespace; curl through --resolve. The machine's /etc/hosts is never touched.
 *
 *     node --import tsx bench/proxy.ts            (or through `npm run bench`)
 *     BENCH_SECONDS=3 node --import tsx bench/proxy.ts   (a quicker, noisier run)
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, join } from "node:path";
import { makeBenchCertificate } from "./certificates";
import { curlHttps, runCurl, runWrk, type WrkResult } from "./load";
import * as peers from "./peers";
import { delay, freePort, groupCpuSeconds, waitForPort, withBenchRun } from "./processes";
import { buildReport, type DownloadRow, type LoadRow, type ProxyBenchResult, type TtfbRow } from "./proxyReport";
import { measureSniffCost } from "./sniffCost";

const NAME = "my-awesome-service.test";
const FRESH_SUFFIX = "fresh.test";
const FLOOR_HOP = "node TLS floor + upstream hop";

/** Runs the whole proxy bench; never throws for one peer's failure (that row says "unavailable"). */
export async function runProxyBench(repoRoot = process.cwd()): Promise<ProxyBenchResult> {
  const seconds = Number(process.env.BENCH_SECONDS ?? 8);
  const notes: string[] = [];
  const loads: LoadRow[] = [];
  const downloads: DownloadRow[] = [];
  const ttfb: TtfbRow[] = [];
  await withBenchRun("proxy", async (run) => {
    const { tmp, group } = run;
    const hostsFile = join(tmp, "hosts");
    writeFileSync(hostsFile, `127.0.0.1 localhost\n::1 localhost\n127.0.0.1 ${NAME}\n`);
    // The CA in a folder of its own: serve watches the CA folder's parent (caWatch.ts), and the
    // run's temp dir gets every process's log lines, so a CA there woke the proxy per log line.
    const cert = await makeBenchCertificate(repoRoot, join(tmp, "certificates"), NAME);
    notes.push(`certificate: ${NAME}, ECDSA P-256, issued by ${cert.issuer}; every TLS peer serves these files`);
    notes.push(
      `load average at start of the proxy bench: ${loadavg()
        .map((n) => n.toFixed(2))
        .join(" ")}`,
    );
    const upstream = await peers.startBenchUpstream(group, repoRoot);
    const upstreamPort = upstream.port;
    const ctx = peers.peerContext({ run, repoRoot, name: NAME, upstreamPort, cert, hostsFile });
    const wrk = (url: string, close = false, durationSec = seconds): Promise<WrkResult> =>
      runWrk({ url, hostsFile, durationSec, headers: close ? ["Connection: close"] : [] });
    const download = async (label: string, url: string, http1: boolean): Promise<void> => {
      const runs = [];
      // One unmeasured download first, for every peer alike: the keep-alive warm-up above is
      // HTTP/1.1, so without it a JIT-compiled peer meets its h2 path cold on the first runs.
      for (let i = 0; i < 4; i++)
        runs.push(
          await runCurl({
            url: `${url}100m`,
            resolve: `${NAME}:${new URL(url).port}:127.0.0.1`,
            caCert: cert.rootPath,
            http1,
          }),
        );
      runs.shift();
      runs.sort((a, b) => a.timeTotal - b.timeTotal);
      const mid = runs[1]!;
      if (mid.httpCode !== 200 || mid.sizeDownload !== 100 * 1024 * 1024)
        throw new Error(`${label}: HTTP ${mid.httpCode}, ${mid.sizeDownload} bytes`);
      downloads.push({ label, seconds: mid.timeTotal, httpVersion: mid.httpVersion });
    };
    const forwarded = async (url: string): Promise<boolean> => {
      const { execFileSync } = await import("node:child_process");
      const body = execFileSync("curl", [
        "-sS",
        "--max-time",
        "10",
        "--cacert",
        cert.rootPath,
        "--resolve",
        `${NAME}:${new URL(url).port}:127.0.0.1`,
        `${url}headers`,
      ]).toString();
      const headers = JSON.parse(body) as Record<string, string>;
      return Boolean(headers["x-forwarded-for"] && headers["x-forwarded-proto"]);
    };

    // Direct: plain HTTP keep-alive to the upstream, the ceiling.
    const directUrl = `http://${NAME}:${upstreamPort}/`;
    await attempt(notes, "direct warm-up", async () => void (await wrk(directUrl, false, 2)));
    await measure(loads, "direct (plain HTTP)", "keep-alive", upstream.process.child.pid, async () => ({
      result: await wrk(directUrl),
      forwardHeaders: null,
    }));
    await attempt(notes, "download direct", () => download("direct (plain HTTP)", directUrl, true));

    const tlsPeer = async (
      label: string,
      start: () => Promise<peers.RunningPeer>,
      extra: (url: string, peer: peers.RunningPeer) => Promise<void> = async () => {},
      closeRow = false,
    ): Promise<void> => {
      let peer: peers.RunningPeer | undefined;
      try {
        peer = await start();
        const url = `https://${NAME}:${peer.port}/`;
        const fwd = await forwarded(url);
        await wrk(url, false, 2);
        await measure(loads, label, "keep-alive", peer.process.child.pid, async () => ({
          result: await wrk(url),
          forwardHeaders: fwd,
        }));
        // Each mode warmed alike for every peer: a JIT-compiled peer meets its close path cold otherwise.
        if (closeRow) await wrk(url, true, 2);
        if (closeRow)
          await measure(loads, label, "new TLS conn/request", peer.process.child.pid, async () => ({
            result: await wrk(url, true),
            forwardHeaders: fwd,
          }));
        await extra(url, peer);
      } catch (e) {
        const reason = (e as Error).message;
        if (!loads.some((r) => r.label === label)) loads.push({ label, mode: "keep-alive", unavailable: reason });
        notes.push(`${label}: ${reason}`);
      } finally {
        if (peer) await group.stop(peer.process);
      }
    };

    const downloadsFor = (label: string) => async (url: string) => {
      await attempt(notes, `download ${label}`, () => download(`${label}`, url, true));
      await attempt(notes, `download ${label} h2`, () => download(`${label} (curl default ALPN)`, url, false));
    };
    await tlsPeer("switchyard", () => peers.startSwitchyard(ctx), downloadsFor("switchyard"), true);
    await tlsPeer(
      "nginx",
      () => peers.startNginx(ctx),
      async (url, peer) => {
        await downloadsFor("nginx")(url);
        await attempt(notes, "ttfb nginx", async () => {
          const r = await curlHttps(NAME, peer.port, cert.rootPath);
          ttfb.push({
            label: "nginx, new connection, cert loaded at start",
            ttfbMs: r.timeStartTransfer * 1000,
            handshakeMs: r.timeAppConnect * 1000,
          });
        });
      },
      true,
    );
    await attempt(notes, "node TLS floor", async () => {
      const floor = await peers.startNodeTlsFloor(ctx);
      try {
        const url = `https://${NAME}:${floor.port}/`;
        await wrk(url, false, 2);
        await measure(loads, floor.label, "keep-alive", floor.process.child.pid, async () => ({
          result: await wrk(url),
          forwardHeaders: null,
        }));
        await wrk(url, true, 2);
        await measure(loads, floor.label, "new TLS conn/request", floor.process.child.pid, async () => ({
          result: await wrk(url, true),
          forwardHeaders: null,
        }));
      } finally {
        await group.stop(floor.process);
      }
    });
    // The same floor forwarding to the upstream (the leanest Node proxy: no records, no header
    // rewriting, no routing), so the hop every proxy makes is told apart from Switchyard's own cost.
    await attempt(notes, "node TLS floor + upstream hop", async () => {
      const port = await freePort();
      const args = ["--import", "tsx", "bench/nodeTlsFloor.ts", String(port), ctx.certPath, ctx.keyPath];
      const hop = group.start("node-tls-floor-hop", process.execPath, [...args, String(upstreamPort)], {
        cwd: repoRoot,
      });
      try {
        await waitForPort(port, hop);
        const url = `https://${NAME}:${port}/`;
        await wrk(url, false, 2);
        await measure(loads, FLOOR_HOP, "keep-alive", hop.child.pid, async () => ({
          result: await wrk(url),
          forwardHeaders: null,
        }));
        await wrk(url, true, 2);
        await measure(loads, FLOOR_HOP, "new TLS conn/request", hop.child.pid, async () => ({
          result: await wrk(url, true),
          forwardHeaders: null,
        }));
      } finally {
        await group.stop(hop);
      }
    });
    const closeRate = (label: string): number | undefined =>
      loads.find((r) => r.label === label && r.mode === "new TLS conn/request")?.result?.requestsPerSec;
    const [syClose, bareClose, hopClose] = ["switchyard", "node TLS floor (no proxy)", FLOOR_HOP].map(closeRate);
    if (syClose && bareClose && hopClose)
      notes.push(
        `new connections, reference: the upstream hop alone (Node floor forwarding) is ${(hopClose / bareClose).toFixed(2)}x the bare floor; Switchyard is ${(syClose / hopClose).toFixed(2)}x the forwarding floor`,
      );
    await tlsPeer("caddy", () => peers.startCaddy(ctx));
    await tlsPeer("local-ssl-proxy", () => peers.startLocalSslProxy(ctx));
    await tlsPeer("portless", () => peers.startPortless(ctx));

    await attempt(notes, "on-demand issuance", () => measureFirstVisit(ctx, tmp, ttfb));
  }).catch((e: unknown) => {
    notes.push(`proxy bench stopped early: ${(e as Error).message}`);
  });
  const sniff = measureSniffCost(repoRoot);
  return buildReport({ loads, downloads, ttfb, sniff, notes, seconds });
}

/** Time to first byte for names the proxy has never issued a leaf for, then for the cached leaf. */
async function measureFirstVisit(ctx: peers.PeerContext, tmp: string, ttfb: TtfbRow[]): Promise<void> {
  // Not directly in the run's temp dir, where the log files are written (see above).
  const caDir = join(tmp, "fresh", "ca");
  mkdirSync(dirname(caDir), { recursive: true });
  const peer = await peers.startSwitchyard({ ...ctx, name: `*.${FRESH_SUFFIX}` }, caDir, "switchyard-fresh");
  try {
    const root = join(caDir, "root.pem");
    const first: number[] = [];
    const firstHandshake: number[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await curlHttps(`app${i}.${FRESH_SUFFIX}`, peer.port, root);
      if (r.httpCode !== 200) throw new Error(`first visit to app${i}.${FRESH_SUFFIX}: HTTP ${r.httpCode}`);
      first.push(r.timeStartTransfer * 1000);
      firstHandshake.push(r.timeAppConnect * 1000);
      await delay(50);
    }
    ttfb.push({
      label: "switchyard, first name after start (cold process, on-demand wildcard leaf)",
      ttfbMs: first[0]!,
      handshakeMs: firstHandshake[0]!,
    });
    first.shift();
    firstHandshake.shift();
    const again: number[] = [];
    const againHandshake: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await curlHttps(`app0.${FRESH_SUFFIX}`, peer.port, root);
      again.push(r.timeStartTransfer * 1000);
      againHandshake.push(r.timeAppConnect * 1000);
    }
    ttfb.push({
      label: "switchyard, never-seen name (the wildcard route's leaf, issued for the first), median of 5 more names",
      ttfbMs: median(first),
      handshakeMs: median(firstHandshake),
    });
    ttfb.push({
      label: "switchyard, same name again (cached leaf), new connection",
      ttfbMs: median(again),
      handshakeMs: median(againHandshake),
    });
  } finally {
    await ctx.group.stop(peer.process);
  }
}

async function measure(
  loads: LoadRow[],
  label: string,
  mode: LoadRow["mode"],
  pgid: number | undefined,
  fn: () => Promise<{ result: WrkResult; forwardHeaders: boolean | null }>,
): Promise<void> {
  try {
    const cpu0 = pgid === undefined ? 0 : groupCpuSeconds(pgid);
    const { result, forwardHeaders } = await fn();
    const cpuSeconds = pgid === undefined ? undefined : groupCpuSeconds(pgid) - cpu0;
    const cpuUsPerRequest = cpuSeconds === undefined ? undefined : (cpuSeconds * 1e6) / Math.max(1, result.requests);
    loads.push({ label, mode, result, forwardHeaders, ...(cpuUsPerRequest === undefined ? {} : { cpuUsPerRequest }) });
  } catch (e) {
    loads.push({ label, mode, unavailable: (e as Error).message });
  }
}

async function attempt(notes: string[], what: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    notes.push(`${what}: ${(e as Error).message}`);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

if (process.argv[1] && /bench[/\\]proxy\.[mc]?[jt]s$/.test(process.argv[1])) {
  runProxyBench().then(
    (r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`),
    (e: unknown) => {
      process.stderr.write(`${String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
