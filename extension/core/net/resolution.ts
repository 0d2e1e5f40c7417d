/**
 * What a hostname resolves to, split by where the answer comes from: the hosts file, the system
 * resolver (getaddrinfo: what curl, Node and most clients get, in the order they try), and DNS
 * itself. Showing the three side by side is how a user sees that `/etc/hosts` says 127.0.0.1 while
 * DNS says something else, or that the name resolves to ::1 first.
 *
 * The hosts file is only read here, with a small parser of its own; editing it is hosts/'s job.
 */
import dns from "node:dns";
import net from "node:net";
import { readFile } from "node:fs/promises";
import { parseHostsFile } from "../hosts/parse";
import { osHostsFilePath } from "../hosts/paths";
import { canonicalAddress, splitZone } from "./interfaces";
import { isLocalhostName, type LookupAnswer } from "./listenSpec";

/** One address and its family. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** An address for the name found in the hosts file, with its 1-based line number. */
export interface HostsFileAnswer extends ResolvedAddress {
  line: number;
}

/** One mapping line of a hosts file. */
export interface HostsMapping {
  line: number;
  address: string;
  names: string[];
}

/** Where the system resolver's answer most likely came from. */
export type ResolutionSource = "literal" | "hosts-file" | "dns" | "builtin" | "none";

/** The DNS servers' view, queried directly with a short timeout. */
export interface DnsAnswer {
  addresses: ResolvedAddress[];
  /** Why a query failed (`ENOTFOUND`, `ETIMEOUT`, …); `skipped` for names DNS never sees. */
  error?: string;
}

/** Everything known about how one name resolves; JSON-serialisable. */
export interface NameResolution {
  name: string;
  hostsFile: { path: string; answers: HostsFileAnswer[]; error?: string };
  /** getaddrinfo's answer, order preserved: the order clients try the addresses in. */
  system: { addresses: ResolvedAddress[]; error?: string };
  dns: DnsAnswer;
  source: ResolutionSource;
  /** In words, e.g. "the hosts file (line 3) maps my-awesome-service.test to 127.0.0.1". */
  explanation: string;
}

/** The part of `dns.promises.Resolver` used here; tests inject one that never touches the network. */
export interface DnsResolver {
  resolve4(name: string): Promise<string[]>;
  resolve6(name: string): Promise<string[]>;
}

/** What {@link resolveName} needs; each defaults to the real machine. */
export interface ResolutionDeps {
  hostsPath?: string;
  lookup?: (name: string) => Promise<LookupAnswer[]>;
  /** A resolver, or `false` to never query DNS directly. */
  dnsResolver?: DnsResolver | false;
  dnsTimeoutMs?: number;
  platform?: NodeJS.Platform;
}

/** The OS hosts file path (the hosts editor's own answer, so both agree on it). */
export function defaultHostsPath(platform: NodeJS.Platform = process.platform): string {
  return osHostsFilePath(platform);
}

/** A hosts file's mapping lines, read with the hosts editor's parser (comments and malformed lines skipped, as resolvers do). */
export function hostsMappings(text: string): HostsMapping[] {
  return parseHostsFile(Buffer.from(text)).lines.flatMap((l) =>
    l.entry ? [{ line: l.number, address: l.entry.address, names: l.entry.names }] : [],
  );
}

/** The hosts file's addresses for `name` (case-insensitive, trailing dot ignored), in file order. */
export function hostsFileAnswers(name: string, lines: HostsMapping[]): HostsFileAnswer[] {
  const wanted = name.toLowerCase().replace(/\.$/, "");
  return lines
    .filter((l) => l.names.includes(wanted))
    .map((l) => ({ address: canonicalAddress(l.address), family: familyOf(l.address), line: l.line }));
}

/** Resolves `name` three ways at once. Never throws: each failure is recorded in its section. */
export async function resolveName(name: string, deps: ResolutionDeps = {}): Promise<NameResolution> {
  const hostsPath = deps.hostsPath ?? defaultHostsPath(deps.platform);
  const literal = net.isIP(splitZone(name).address) !== 0;
  const [hostsFile, system, dnsAnswer] = await Promise.all([
    readHostsAnswers(name, hostsPath),
    systemAnswers(name, deps.lookup ?? ((n) => dns.promises.lookup(n, { all: true, verbatim: true }))),
    literal || isLocalhostName(name) || deps.dnsResolver === false
      ? Promise.resolve<DnsAnswer>({ addresses: [], error: "skipped" })
      : queryDns(name, deps.dnsResolver ?? systemResolver(deps.dnsTimeoutMs), deps.dnsTimeoutMs ?? 1500),
  ]);
  const result: NameResolution = { name, hostsFile, system, dns: dnsAnswer, source: "none", explanation: "" };
  result.source = sourceOf(result, literal);
  result.explanation = explain(result);
  return result;
}

function sourceOf(r: NameResolution, literal: boolean): ResolutionSource {
  if (literal) return "literal";
  const first = r.system.addresses[0];
  if (!first) return "none";
  if (r.hostsFile.answers.some((a) => a.address === first.address)) return "hosts-file";
  if (r.dns.addresses.some((a) => a.address === first.address)) return "dns";
  // glibc's myhostname / systemd-resolved answer localhost and the machine's own name themselves.
  if (isLocalhostName(r.name)) return "builtin";
  return "dns";
}

function explain(r: NameResolution): string {
  const list = (a: ResolvedAddress[]): string => a.map((x) => x.address).join(", ");
  switch (r.source) {
    case "literal":
      return `${r.name} is an address; nothing to resolve`;
    case "none":
      return `${r.name} does not resolve (${r.system.error ?? "no addresses"}); add it to the hosts file to use it locally`;
    case "hosts-file": {
      const lines = [...new Set(r.hostsFile.answers.map((a) => a.line))].join(", ");
      return `the hosts file ${r.hostsFile.path} (line ${lines}) maps ${r.name} to ${list(r.hostsFile.answers)}; clients try ${list(r.system.addresses)} in that order`;
    }
    case "builtin":
      return `the system resolver answers ${r.name} itself with ${list(r.system.addresses)} (no hosts file entry)`;
    case "dns":
      return `DNS answers ${r.name} with ${list(r.system.addresses)} (no hosts file entry)`;
  }
}

async function readHostsAnswers(name: string, hostsPath: string): Promise<NameResolution["hostsFile"]> {
  try {
    return { path: hostsPath, answers: hostsFileAnswers(name, hostsMappings(await readFile(hostsPath, "utf8"))) };
  } catch (e) {
    return {
      path: hostsPath,
      answers: [],
      error: `cannot read ${hostsPath}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    };
  }
}

async function systemAnswers(
  name: string,
  lookup: (name: string) => Promise<LookupAnswer[]>,
): Promise<NameResolution["system"]> {
  try {
    const seen = new Set<string>();
    const addresses: ResolvedAddress[] = [];
    for (const a of await lookup(name)) {
      const address = canonicalAddress(a.address);
      if (seen.has(address)) continue;
      seen.add(address);
      addresses.push({ address, family: a.family === 6 ? 6 : 4 });
    }
    return { addresses };
  } catch (e) {
    return { addresses: [], error: (e as NodeJS.ErrnoException).code ?? (e as Error).message };
  }
}

async function queryDns(name: string, resolver: DnsResolver, timeoutMs: number): Promise<DnsAnswer> {
  const withTimeout = <T>(p: Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error("timeout"), { code: "ETIMEOUT" })), timeoutMs);
    });
    return Promise.race([p, expired]).finally(() => clearTimeout(timer));
  };
  const [v4, v6] = await Promise.allSettled([
    withTimeout(resolver.resolve4(name)),
    withTimeout(resolver.resolve6(name)),
  ]);
  const addresses: ResolvedAddress[] = [];
  const errors: string[] = [];
  for (const [result, family] of [
    [v4, 4],
    [v6, 6],
  ] as const) {
    if (result.status === "fulfilled")
      addresses.push(...result.value.map((a) => ({ address: canonicalAddress(a), family })));
    else {
      const code = (result.reason as NodeJS.ErrnoException).code ?? String(result.reason);
      // ENODATA for one family just means "no AAAA" (or no A): not an error worth showing.
      if (code !== "ENODATA") errors.push(`IPv${family}: ${code}`);
    }
  }
  const answer: DnsAnswer = { addresses };
  if (addresses.length === 0 && errors.length > 0) answer.error = errors.join("; ");
  return answer;
}

function systemResolver(timeoutMs = 1500): DnsResolver {
  return new dns.promises.Resolver({ timeout: timeoutMs, tries: 1 });
}

function familyOf(address: string): 4 | 6 {
  return net.isIPv6(splitZone(address).address) ? 6 : 4;
}
