/**
 * `probeUrl`: what the port behind a URL really speaks. Resolve the name (saying where the answer
 * came from), then for each address: connect, try a TLS handshake and an HTTPS request, and
 * separately a plain HTTP request, each with a bounded wait. Verdicts (verdicts.ts) turn that into
 * plain words. The report is plain data, so the panel can render it and `--json` can print it.
 */
import net from "node:net";
import { redactUrlCredentials } from "../urlCredentials";
import { isLocalhostName } from "./listenSpec";
import { connectTcp, requestHttp1, requestHttp2, type HttpAnswer } from "./probeHttp";
import { handshake, type TlsHandshake } from "./probeTls";
import { resolveName, type NameResolution, type ResolutionDeps, type ResolvedAddress } from "./resolution";
import { verdictsFor, type ProbeVerdict } from "./verdicts";

/** What one port on one address turned out to speak. */
export type PortSpeaks = "https" | "http" | "https+http" | "tls" | "unknown" | "nothing";

/** Everything learned about one address of the URL's host. */
export interface AddressProbe extends ResolvedAddress {
  /** TCP connect: `connected`, or the error code (`ECONNREFUSED`, `ETIMEDOUT`, …). */
  connect: { ok: boolean; error?: string; ms?: number };
  tls?: TlsHandshake;
  /** The HTTP request sent over TLS, when the handshake succeeded. */
  https?: HttpAnswer;
  /** The plain HTTP request sent on a fresh connection. */
  http?: HttpAnswer;
  speaks: PortSpeaks;
}

/** The probe's whole answer; JSON-serialisable. */
export interface ProbeReport {
  /** The URL as typed, its password masked (`https://user:***@host/`): the report is printed and shown. */
  url: string;
  scheme: "http" | "https";
  host: string;
  port: number;
  path: string;
  resolution: NameResolution;
  addresses: AddressProbe[];
  verdicts: ProbeVerdict[];
  /** The URL, typed as it is, works from this machine (what the CLI's exit code reports). */
  works: boolean;
  startedAt: string;
  durationMs: number;
}

/** Options for {@link probeUrl}. */
export interface ProbeOptions {
  /** Per step (connect, handshake, response) in ms. Default 3000. */
  timeoutMs?: number;
  /** An extra CA (PEM) this machine should be considered to trust, e.g. Switchyard's root. */
  extraCaPem?: string;
  /** Resolution dependencies (hosts path, lookup, DNS resolver); tests inject these. */
  resolution?: ResolutionDeps;
  env?: NodeJS.ProcessEnv;
}

/** A URL the probe cannot work with. */
export class ProbeUrlError extends Error {
  /** The URL, its password masked. */
  readonly url: string;

  constructor(url: string, reason: string) {
    const shown = redactUrlCredentials(url);
    super(`cannot probe "${shown}": ${reason}`);
    this.name = "ProbeUrlError";
    this.url = shown;
  }
}

/** Probes a http:// or https:// URL. Throws {@link ProbeUrlError} only for a URL it cannot probe; every network failure is in the report. */
export async function probeUrl(url: string, options: ProbeOptions = {}): Promise<ProbeReport> {
  const started = Date.now();
  const target = parseProbeUrl(url);
  const timeoutMs = options.timeoutMs ?? 3000;
  const resolution = await resolveName(target.host, options.resolution);
  const candidates: ResolvedAddress[] = net.isIP(target.host)
    ? [{ address: target.host, family: net.isIPv6(target.host) ? 6 : 4 }]
    : [...resolution.system.addresses];
  // Browsers answer `localhost` themselves with both loopbacks (RFC 6761), whatever the hosts file says.
  if (isLocalhostName(target.host) && resolution.system.addresses.length > 0) {
    for (const loop of LOOPBACKS) if (!candidates.some((c) => c.address === loop.address)) candidates.push(loop);
  }
  const addresses = await Promise.all(candidates.map((a) => probeAddress(a, target, timeoutMs, options)));
  const partial = { ...target, url: redactUrlCredentials(url), resolution, addresses };
  const { verdicts, works } = verdictsFor(partial);
  return { ...partial, verdicts, works, startedAt: new Date(started).toISOString(), durationMs: Date.now() - started };
}

const LOOPBACKS: ResolvedAddress[] = [
  { address: "127.0.0.1", family: 4 },
  { address: "::1", family: 6 },
];

interface ProbeTarget {
  scheme: "http" | "https";
  host: string;
  port: number;
  path: string;
}

/** Splits a URL into what the probe needs; pure. */
export function parseProbeUrl(url: string): ProbeTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ProbeUrlError(url, "it is not a URL; write it like https://my-awesome-service.test:8443/");
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new ProbeUrlError(url, `only http:// and https:// can be probed, not ${parsed.protocol}//`);
  }
  const scheme = parsed.protocol === "https:" ? "https" : "http";
  const host = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
  if (host === "") throw new ProbeUrlError(url, "it has no host");
  const port = parsed.port ? Number(parsed.port) : scheme === "https" ? 443 : 80;
  return { scheme, host, port, path: `${parsed.pathname || "/"}${parsed.search}` };
}

async function probeAddress(
  resolved: ResolvedAddress,
  target: ProbeTarget,
  timeoutMs: number,
  options: ProbeOptions,
): Promise<AddressProbe> {
  const out: AddressProbe = { ...resolved, connect: { ok: false }, speaks: "nothing" };
  const t0 = Date.now();
  try {
    (await connectTcp(resolved.address, target.port, timeoutMs)).destroy();
    out.connect = { ok: true, ms: Date.now() - t0 };
  } catch (e) {
    out.connect = { ok: false, error: (e as NodeJS.ErrnoException).code ?? (e as Error).message };
    return out;
  }
  const authority = hostHeader(target.host, target.port, target.scheme);
  const [tlsSide, http] = await Promise.all([
    probeTlsSide(resolved.address, target, authority, timeoutMs, options),
    connectTcp(resolved.address, target.port, timeoutMs).then(
      (socket) => requestHttp1(socket, hostHeader(target.host, target.port, "http"), target.path, timeoutMs),
      (e: NodeJS.ErrnoException): HttpAnswer => ({ kind: "error", error: e.code ?? e.message }),
    ),
  ]);
  out.tls = tlsSide.tls;
  if (tlsSide.https) out.https = tlsSide.https;
  out.http = http;
  out.speaks = speaksOf(out);
  return out;
}

async function probeTlsSide(
  address: string,
  target: ProbeTarget,
  authority: string,
  timeoutMs: number,
  options: ProbeOptions,
): Promise<{ tls: TlsHandshake; https?: HttpAnswer }> {
  const tlsOptions = { address, port: target.port, host: target.host, timeoutMs, env: options.env ?? process.env };
  const { result, socket } = await handshake(
    options.extraCaPem ? { ...tlsOptions, extraCaPem: options.extraCaPem } : tlsOptions,
  );
  if (!socket) return { tls: result };
  const https =
    result.alpn === "h2"
      ? await requestHttp2(socket, authority, target.path, timeoutMs)
      : await requestHttp1(socket, authority, target.path, timeoutMs);
  return { tls: result, https };
}

/** What a port speaks, from the two attempts; pure. */
export function speaksOf(probe: Pick<AddressProbe, "connect" | "tls" | "https" | "http">): PortSpeaks {
  if (!probe.connect.ok) return "nothing";
  const tlsOk = probe.tls?.ok === true;
  const httpsOk = tlsOk && probe.https?.kind === "http";
  const plainOk = probe.http?.kind === "http";
  if (httpsOk && plainOk) return "https+http";
  if (httpsOk) return "https";
  if (plainOk) return "http";
  if (tlsOk || probe.http?.kind === "tls") return "tls";
  return "unknown";
}

/** `host:port` for a Host header, leaving out the scheme's default port and bracketing IPv6. */
function hostHeader(host: string, port: number, scheme: "http" | "https"): string {
  const h = host.includes(":") ? `[${host}]` : host;
  return port === (scheme === "https" ? 443 : 80) ? h : `${h}:${port}`;
}
