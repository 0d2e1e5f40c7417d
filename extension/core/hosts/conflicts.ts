/**
 * Why a managed mapping may not win: the same name mapped elsewhere in the file (resolvers take
 * the first matching line), or a name that real DNS also answers (it breaks as soon as the hosts
 * entry goes, and the browser may have cached the real address).
 */
import { Resolver } from "node:dns/promises";
import type { HostMapping, ManagedBlock } from "./block";
import { parseEntry, type ParsedHostsFile } from "./parse";

/** A reason a managed mapping may not be what lookups return. */
export type HostsConflict =
  | { kind: "elsewhere-in-file"; name: string; line: number; address: string; message: string }
  | { kind: "public-dns"; name: string; addresses: string[]; message: string };

/** Answers which addresses public DNS has for a name; [] for none. Injected so tests stay off the network. */
export type DnsProbe = (name: string) => Promise<string[]>;

/** TLDs that never exist in public DNS (RFC 2606, RFC 6761), so they are not probed. */
const RESERVED_TLDS = ["test", "localhost", "invalid", "example", "internal", "home.arpa"];

/** Lines outside the managed block that also map one of the managed names. */
export function findFileConflicts(
  file: ParsedHostsFile,
  block: ManagedBlock | undefined,
  mappings: readonly HostMapping[],
): HostsConflict[] {
  const names = new Set(mappings.map((m) => m.name));
  const conflicts: HostsConflict[] = [];
  for (const line of file.lines) {
    if (!line.entry || (block && line.start >= block.start && line.start < block.end)) continue;
    for (const name of line.entry.names) {
      if (!names.has(name)) continue;
      const before = block !== undefined && line.start < block.start;
      conflicts.push({
        kind: "elsewhere-in-file",
        name,
        line: line.number,
        address: line.entry.address,
        message:
          `${name} is also mapped to ${line.entry.address} at line ${line.number}, outside Switchyard's block` +
          (before ? "; that line comes first, so lookups return it first" : ""),
      });
    }
  }
  return conflicts;
}

/**
 * {@link findFileConflicts} over the bytes directly: instead of a line object per line, only the
 * lines that contain a managed name (found by a byte search of a lower-cased copy) are parsed, so
 * a 50 MB blocklist costs about twice its size in memory, not many times it.
 */
export function findFileConflictsInBytes(
  bytes: Uint8Array,
  block: ManagedBlock | undefined,
  mappings: readonly HostMapping[],
): HostsConflict[] {
  const lower = Buffer.from(bytes);
  for (let i = 0; i < lower.length; i++) {
    const b = lower[i]!;
    if (b >= 0x41 && b <= 0x5a) lower[i] = b + 0x20;
  }
  // The start offsets of the lines that contain a managed name, outside the block.
  const starts = new Set<number>();
  for (const m of mappings) {
    for (let at = lower.indexOf(m.name, 0, "latin1"); at >= 0; at = lower.indexOf(m.name, at + 1, "latin1")) {
      const start = lower.lastIndexOf(0x0a, at) + 1;
      if (!block || start < block.start || start >= block.end) starts.add(start);
    }
  }
  const lines = [...starts].sort((a, b) => a - b);
  const conflicts: HostsConflict[] = [];
  let number = 1;
  let counted = 0;
  for (const start of lines) {
    for (let nl = lower.indexOf(0x0a, counted); nl >= 0 && nl < start; nl = lower.indexOf(0x0a, nl + 1)) {
      number++;
      counted = nl + 1;
    }
    const nl = lower.indexOf(0x0a, start);
    const text = Buffer.from(bytes.buffer, bytes.byteOffset + start, (nl < 0 ? lower.length : nl) - start)
      .toString("latin1")
      .replace(/^\u00ef\u00bb\u00bf/, ""); // a UTF-8 BOM before the first line, read as latin1
    const entry = parseEntry(text);
    if (!entry) continue;
    const file: ParsedHostsFile = {
      bytes,
      bom: false,
      eol: "\n",
      lines: [{ number, start, end: start + text.length, eol: "\n", text, entry }],
    };
    conflicts.push(...findFileConflicts(file, block, mappings));
  }
  return conflicts;
}

/** Names that public DNS also answers; names under reserved TLDs are skipped without a query. */
export async function findDnsConflicts(mappings: readonly HostMapping[], probe: DnsProbe): Promise<HostsConflict[]> {
  const candidates = mappings.filter((m) => !RESERVED_TLDS.some((t) => m.name === t || m.name.endsWith(`.${t}`)));
  const answers = await Promise.all(candidates.map(async (m) => ({ name: m.name, addresses: await probe(m.name) })));
  return answers
    .filter((a) => a.addresses.length > 0)
    .map((a) => ({
      kind: "public-dns" as const,
      name: a.name,
      addresses: a.addresses,
      message: `${a.name} also exists in public DNS (${a.addresses.join(", ")}); the mapping hides it while present, and caches may still hold the real address`,
    }));
}

/** A {@link DnsProbe} that asks the system's DNS servers directly (not the hosts file), with a short timeout. */
export function systemDnsProbe(timeoutMs = 1500): DnsProbe {
  return async (name) => {
    const resolver = new Resolver({ timeout: timeoutMs, tries: 1 });
    const timer = setTimeout(() => resolver.cancel(), timeoutMs * 2);
    try {
      const [v4, v6] = await Promise.allSettled([resolver.resolve4(name), resolver.resolve6(name)]);
      return [...(v4.status === "fulfilled" ? v4.value : []), ...(v6.status === "fulfilled" ? v6.value : [])];
    } finally {
      clearTimeout(timer);
    }
  };
}
