/**
 * The block editor: a pure function from the file's bytes and an edit to the new bytes. Only the
 * bytes of the managed block change; everything before and after it is copied as it was, so an
 * edit can never touch a line Switchyard does not own.
 */
import { blockLines, findManagedBlock, renderBlock, type HostMapping, type ManagedBlock } from "./block";
import { diffLines, type HostsDiff } from "./diff";
import { dominantEolOf, hasBom } from "./parse";
import { normalizeAddress, normalizeHostname } from "./validate";

/** The default addresses of a new mapping: IPv4 and IPv6 loopback, so IPv6-first lookups hit the proxy too. */
export const DEFAULT_ADDRESSES: readonly string[] = ["127.0.0.1", "::1"];

/** A change to the managed block. */
export type HostsEdit =
  /** Map `name` to `addresses` (default {@link DEFAULT_ADDRESSES}), replacing any mapping it had. */
  | { kind: "add"; name: string; addresses?: readonly string[] }
  /** Drop `name` from the block. */
  | { kind: "remove"; name: string }
  /** Make the block hold exactly these mappings (hostname to addresses). */
  | { kind: "sync"; mappings: Readonly<Record<string, readonly string[]>> };

/** The outcome of {@link applyHostsEdit}. */
export interface HostsEditResult {
  /** The new file as consecutive pieces (unchanged prefix, block, unchanged suffix): big files are written without a copy. */
  chunks: Buffer[];
  /** The new file in one buffer (joined on first use). */
  readonly bytes: Buffer;
  changed: boolean;
  diff: HostsDiff;
  /** The block's mappings before and after the edit. */
  before: HostMapping[];
  after: HostMapping[];
}

/** Options for {@link applyHostsEdit}. */
export interface HostsEditOptions {
  /** Named in error messages. */
  path?: string;
  /** Line ending for a file that has none yet (CRLF on Windows). */
  fallbackEol?: "\n" | "\r\n";
}

/**
 * Validates the edit and applies it. Throws the validation errors of `validate.ts` or a
 * ManagedBlockError before anything is produced, so invalid input never reaches the disk.
 */
export function applyHostsEdit(bytes: Uint8Array, edit: HostsEdit, options: HostsEditOptions = {}): HostsEditResult {
  const input = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const block = findManagedBlock(input, options.path);
  const before = block?.mappings ?? [];
  const after = editMappings(before, normalizeEdit(edit));
  const oldLines = block?.lines ?? [];
  const newLines = blockLines(after, block?.otherLines ?? []);
  const diff = diffLines(oldLines, newLines);
  if (sameLines(oldLines, newLines)) return result([input], false, diff, before, after);

  const outside = block ? [input.subarray(0, block.start), input.subarray(block.end)] : [input];
  const eol = dominantEolOf(outside, options.fallbackEol ?? "\n");
  const start = block?.start ?? input.length;
  const end = block?.end ?? input.length;
  const leading = block ? block.leadingEol : leadingForAppend(input, eol);
  // A block appended to a file without a final newline does not add one at the end either.
  const trailing = block ? block.trailingEol : leading === "";
  const rendered = Buffer.from(renderBlock(newLines, eol, leading, trailing), "latin1");
  const changed = !rendered.equals(input.subarray(start, end));
  return result([input.subarray(0, start), rendered, input.subarray(end)], changed, diff, before, after);
}

function result(
  chunks: Buffer[],
  changed: boolean,
  diff: HostsDiff,
  before: HostMapping[],
  after: HostMapping[],
): HostsEditResult {
  let joined: Buffer | undefined;
  return {
    chunks,
    get bytes() {
      joined ??= chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
      return joined;
    },
    changed,
    diff,
    before,
    after,
  };
}

/** Validates and normalizes names and addresses (IDN to punycode, lower case). */
export function normalizeEdit(edit: HostsEdit): HostsEdit {
  switch (edit.kind) {
    case "add":
      return { kind: "add", name: normalizeHostname(edit.name), addresses: normalizeAddresses(edit.addresses) };
    case "remove":
      return { kind: "remove", name: normalizeHostname(edit.name) };
    case "sync": {
      const mappings: Record<string, string[]> = {};
      for (const [name, addresses] of Object.entries(edit.mappings)) {
        mappings[normalizeHostname(name)] = normalizeAddresses(addresses);
      }
      return { kind: "sync", mappings };
    }
  }
}

function normalizeAddresses(addresses: readonly string[] | undefined): string[] {
  const list = addresses && addresses.length > 0 ? addresses : DEFAULT_ADDRESSES;
  return [...new Set(list.map(normalizeAddress))];
}

function editMappings(current: readonly HostMapping[], edit: HostsEdit): HostMapping[] {
  switch (edit.kind) {
    case "add": {
      const mapping = { name: edit.name, addresses: [...(edit.addresses ?? DEFAULT_ADDRESSES)] };
      const at = current.findIndex((m) => m.name === edit.name);
      if (at === -1) return [...current, mapping];
      return current.map((m, i) => (i === at ? mapping : m));
    }
    case "remove":
      return current.filter((m) => m.name !== edit.name);
    case "sync":
      return Object.entries(edit.mappings).map(([name, addresses]) => ({ name, addresses: [...addresses] }));
  }
}

/** The ending to put before BEGIN when appending: none after a newline; CRLF after a lone CR so it stays the user's. */
function leadingForAppend(input: Buffer, eol: "\n" | "\r\n"): ManagedBlock["leadingEol"] {
  const contentStart = hasBom(input) ? 3 : 0;
  if (input.length <= contentStart || input[input.length - 1] === 10) return "";
  return input[input.length - 1] === 13 ? "\r\n" : eol;
}

function sameLines(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((line, i) => line === b[i]);
}
