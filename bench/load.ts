/**
 * The load generators: wrk (Debian's) for request rates and latency, curl for one download and
 * for the time to first byte. Every run is bounded by wrk's own duration plus a timeout.
 *
 * wrk has no flag for SNI or for name resolution: it sends the URL's host as SNI and Host. So that
 * every proxy sees what a browser sends (SNI and Host = my-awesome-service.test), wrk runs inside a
 * private mount namespace where a temp hosts file is bind-mounted over /etc/hosts; the machine's
 * own /etc/hosts is never touched.
 */
import { execFile } from "node:child_process";

/** One wrk run's figures. */
export interface WrkResult {
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Connect, read, write and timeout errors, summed. */
  socketErrors: number;
  non2xx: number;
}

/** What to load and how hard. */
export interface WrkOptions {
  url: string;
  /** A hosts file to bind-mount over /etc/hosts for wrk's name lookup. */
  hostsFile: string;
  threads?: number;
  connections?: number;
  durationSec: number;
  headers?: string[];
}

/** Runs wrk once and parses its report. */
export async function runWrk(o: WrkOptions): Promise<WrkResult> {
  const wrkArgs = ["-t", String(o.threads ?? 2), "-c", String(o.connections ?? 50), "-d", `${o.durationSec}s`];
  wrkArgs.push("--timeout", "5s", "--latency");
  for (const h of o.headers ?? []) wrkArgs.push("-H", h);
  wrkArgs.push(o.url);
  const script = 'mount --bind "$0" /etc/hosts && exec wrk "$@"';
  const args = ["--mount", "--propagation", "private", "sh", "-c", script, o.hostsFile, ...wrkArgs];
  const out = await run("unshare", args, (o.durationSec + 20) * 1000);
  return parseWrk(out);
}

/** Parses wrk's text report (with --latency). Exported for a unit check of the units. */
export function parseWrk(out: string): WrkResult {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const p50 = /^\s*50%\s+([\d.]+)(us|ms|s)\s*$/m.exec(out);
  const p99 = /^\s*99%\s+([\d.]+)(us|ms|s)\s*$/m.exec(out);
  const total = /(\d+) requests in/.exec(out);
  if (!rps || !p50 || !p99 || !total) throw new Error(`cannot read wrk's report: ${out.slice(0, 400)}`);
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = errors ? errors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  return {
    requestsPerSec: Number(rps[1]),
    p50Ms: toMs(Number(p50[1]), p50[2]!),
    p99Ms: toMs(Number(p99[1]), p99[2]!),
    requests: Number(total[1]),
    socketErrors,
    non2xx: non2xx ? Number(non2xx[1]) : 0,
  };
}

function toMs(value: number, unit: string): number {
  return unit === "us" ? value / 1000 : unit === "s" ? value * 1000 : value;
}

/** One curl transfer's timings (seconds, as curl reports them). */
export interface CurlResult {
  timeTotal: number;
  timeAppConnect: number;
  timeStartTransfer: number;
  sizeDownload: number;
  httpVersion: string;
  httpCode: number;
}

/** Options for {@link runCurl}. */
export interface CurlOptions {
  url: string;
  /** `name:port:127.0.0.1`, so curl needs no hosts file. */
  resolve?: string;
  caCert?: string;
  http1?: boolean;
  timeoutSec?: number;
}

/** One GET of https://`host`:`port`/ on a new connection, `host` resolved to 127.0.0.1, trusting `caCert`. */
export function curlHttps(host: string, port: number, caCert: string, timeoutSec?: number): Promise<CurlResult> {
  const url = `https://${host}:${port}/`;
  return runCurl({ url, resolve: `${host}:${port}:127.0.0.1`, caCert, ...(timeoutSec ? { timeoutSec } : {}) });
}

/** Fetches a URL with curl, discards the body and returns curl's timings. */
export async function runCurl(o: CurlOptions): Promise<CurlResult> {
  const fmt = "%{time_total} %{time_appconnect} %{time_starttransfer} %{size_download} %{http_version} %{http_code}";
  const args = ["-sS", "-o", "/dev/null", "-w", fmt, "--max-time", String(o.timeoutSec ?? 60)];
  if (o.resolve) args.push("--resolve", o.resolve);
  if (o.caCert) args.push("--cacert", o.caCert);
  if (o.http1) args.push("--http1.1");
  args.push(o.url);
  const out = (await run("curl", args, ((o.timeoutSec ?? 60) + 5) * 1000)).trim().split(/\s+/);
  const [total, appConnect, startTransfer, size, version, code] = out;
  return {
    timeTotal: Number(total),
    timeAppConnect: Number(appConnect),
    timeStartTransfer: Number(startTransfer),
    sizeDownload: Number(size),
    httpVersion: version ?? "?",
    httpCode: Number(code),
  };
}

function run(command: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 1 << 20 },
      (err, stdout, stderr) => {
        if (err)
          reject(new Error(`${command} failed: ${err.message.split("\n")[0]} ${String(stderr).trim().slice(0, 300)}`));
        else resolve(String(stdout));
      },
    );
  });
}
