/**
 * Bench: what `switchyard run` adds. Per-request latency to a plain Node dev server, sequential
 * keep-alive GETs, interleaved in rounds (A, B, C, A, B, C…) so machine noise hits each alike:
 *   - direct: http://127.0.0.1:PORT (the floor),
 *   - through `switchyard serve` with a route from --route (the proxy's usual per-request cost),
 *   - through the same serve with the route added by `switchyard run` over the control socket.
 * Target: the run route within 1.1x of the configured route. Also the time from starting `run` to
 * the URL it prints (a route that answers), against starting the same server alone.
 *
 *     node --import tsx bench/devServer.ts
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../extension/core/devservers/freePort";

const ROOT = join(__dirname, "..");
const BIN = join(ROOT, "bin", "switchyard.js");
const SERVER = `require("http").createServer((q,s)=>s.end("ok")).listen(process.env.PORT,"127.0.0.1",()=>console.log("listening "+process.env.PORT));`;

interface Row {
  name: string;
  medianMs: number;
  p99Ms?: number;
  ratio: number;
  runs: number;
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}
function p99(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.99))] as number;
}

function waitForOutput(child: ChildProcess, re: RegExp, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`no ${re} within ${timeoutMs} ms: ${out}`)), timeoutMs);
    const on = (d: Buffer): void => {
      out += d.toString();
      const m = re.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout?.off("data", on);
        child.stderr?.off("data", on);
        resolve(m[0]);
      }
    };
    child.stdout?.on("data", on);
    child.stderr?.on("data", on);
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  await once(child, "exit");
}

/** One GET on a kept-alive agent, in ms. */
function timedGet(get: () => http.ClientRequest): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const req = get();
    req.on("response", (res) => {
      res.resume();
      res.on("end", () => resolve(performance.now() - t));
    });
    req.on("error", reject);
    req.end();
  });
}

/** Runs the bench; requests per setup per round and rounds are bounded. */
export async function runDevServerBench(rounds = 10, perRound = 100, startups = 5): Promise<{ rows: Row[] }> {
  const work = mkdtempSync(join(tmpdir(), "switchyard-bench-run-"));
  mkdirSync(join(work, "state"), { mode: 0o700 });
  const env = { ...process.env, SWITCHYARD_STATE_DIR: join(work, "state"), SWITCHYARD_CAROOT: join(work, "ca") };
  const serverFile = join(work, "server.js");
  writeFileSync(serverFile, SERVER);
  const children: ChildProcess[] = [];
  try {
    const directPort = await freePort();
    const direct = spawn(process.execPath, [serverFile], { env: { ...env, PORT: String(directPort) } });
    children.push(direct);
    await waitForOutput(direct, /listening/);
    const proxyPort = await freePort();
    const serve = spawn(
      process.execPath,
      [BIN, "serve", "--listen", `127.0.0.1:${proxyPort}`, "--route", `configured.test=http://127.0.0.1:${directPort}`],
      { env },
    );
    children.push(serve);
    await waitForOutput(serve, /listening on 127\.0\.0\.1/);
    const run = spawn(process.execPath, [BIN, "run", "bench", "--", process.execPath, serverFile], { env });
    children.push(run);
    await waitForOutput(run, /https:\/\/bench\.localhost:\d+\//);
    const ca = readFileSync(join(work, "ca", "root.pem"), "utf8");

    const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const tlsAgent = (): https.Agent => new https.Agent({ keepAlive: true, maxSockets: 1, ca });
    const configuredAgent = tlsAgent();
    const runAgent = tlsAgent();
    const via = (host: string, agent: https.Agent) => () =>
      https.request({ host: "127.0.0.1", port: proxyPort, servername: host, headers: { host }, path: "/", agent });
    const setups: { name: string; get: () => http.ClientRequest; samples: number[] }[] = [
      {
        name: "direct http://127.0.0.1 (floor)",
        get: () => http.request({ host: "127.0.0.1", port: directPort, path: "/", agent: httpAgent }),
        samples: [],
      },
      { name: "https via serve, route from --route", get: via("configured.test", configuredAgent), samples: [] },
      { name: "https via serve, route from switchyard run", get: via("bench.localhost", runAgent), samples: [] },
    ];
    for (const s of setups) for (let i = 0; i < 50; i++) await timedGet(s.get); // warm-up (connections, JIT)
    for (let r = 0; r < rounds; r++)
      for (const s of setups) for (let i = 0; i < perRound; i++) s.samples.push(await timedGet(s.get));
    httpAgent.destroy();
    configuredAgent.destroy();
    runAgent.destroy();
    await stop(run);

    // Startup: `run` until its URL is printed (the route answers) vs the server alone until it listens.
    const alone: number[] = [];
    const viaRun: number[] = [];
    for (let i = 0; i < startups; i++) {
      let t = performance.now();
      const plain = spawn(process.execPath, [serverFile], { env: { ...env, PORT: String(await freePort()) } });
      await waitForOutput(plain, /listening/);
      alone.push(performance.now() - t);
      await stop(plain);
      t = performance.now();
      const r = spawn(process.execPath, [BIN, "run", `start${i}`, "--", process.execPath, serverFile], { env });
      await waitForOutput(r, /https:\/\/start\d+\.localhost:\d+\//);
      viaRun.push(performance.now() - t);
      await stop(r);
    }

    const floor = median(setups[0]!.samples);
    const configured = median(setups[1]!.samples);
    const rows: Row[] = setups.map((s) => ({
      name: s.name,
      medianMs: median(s.samples),
      p99Ms: p99(s.samples),
      ratio: median(s.samples) / floor,
      runs: s.samples.length,
    }));
    rows.push({
      name: "run route / --route route (target <= 1.1)",
      medianMs: median(setups[2]!.samples),
      ratio: median(setups[2]!.samples) / configured,
      runs: setups[2]!.samples.length,
    });
    rows.push({ name: "start: node server alone, to listening", medianMs: median(alone), ratio: 1, runs: startups });
    rows.push({
      name: "start: switchyard run, to the URL printed",
      medianMs: median(viaRun),
      ratio: median(viaRun) / median(alone),
      runs: startups,
    });
    return { rows };
  } finally {
    for (const c of children) await stop(c).catch(() => {});
    rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  runDevServerBench().then(
    ({ rows }) => {
      for (const r of rows)
        console.log(`${r.name.padEnd(48)} ${r.medianMs.toFixed(3).padStart(9)} ms  ${r.ratio.toFixed(2)}x`);
    },
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
