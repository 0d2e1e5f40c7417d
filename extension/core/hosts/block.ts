/**
 * Switchyard's managed block: the only part of the hosts file Switchyard ever changes.
 *
 *     # BEGIN Switchyard managed block: do not edit by hand
 *     127.0.0.1 my-awesome-service.test
 *     ::1 my-awesome-service.test
 *     # END Switchyard
 *
 * The block is found by exact marker lines, so finding it is a byte search, not a parse of the
 * whole file. When Switchyard appends a block to a file without a final newline, the block owns
 * the line ending it had to put before BEGIN, so removing the block gives back the exact bytes.
 */
import { parseEntry, type LineEnding } from "./parse";
import { ManagedBlockError } from "./errors";

/** The first line of the block. */
export const BEGIN_MARKER = "# BEGIN Switchyard managed block: do not edit by hand";
/** The last line of the block. */
export const END_MARKER = "# END Switchyard";

/** A hostname and the addresses it maps to, in the order they are written. */
export interface HostMapping {
  name: string;
  addresses: string[];
}

/** Where the block sits in the file and what it holds. */
export interface ManagedBlock {
  /** Byte offset of the first byte the block owns (BEGIN, or the line ending before it; see module doc). */
  start: number;
  /** Byte offset just past the last byte the block owns. */
  end: number;
  /** The line ending before BEGIN that the block owns ("" unless it ends a file without a final newline). */
  leadingEol: "" | "\n" | "\r\n";
  /** The END line has a line ending. */
  trailingEol: boolean;
  /** 1-based line number of the BEGIN marker. */
  beginLine: number;
  mappings: HostMapping[];
  /** Lines inside the block that are not mappings (hand edits); kept when the block is rewritten. */
  otherLines: string[];
  /** The lines of the block as they are in the file, markers included, for diffs. */
  lines: string[];
}

const BEGIN_BYTES = Buffer.from(BEGIN_MARKER, "latin1");
const END_BYTES = Buffer.from(END_MARKER, "latin1");

/** Finds the managed block; undefined when there is none. Throws {@link ManagedBlockError} on broken markers. */
export function findManagedBlock(bytes: Uint8Array, path = "hosts file"): ManagedBlock | undefined {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const begin = findMarkerLine(buf, BEGIN_BYTES, 0);
  const strayEnd = findMarkerLine(buf, END_BYTES, 0);
  if (!begin) {
    if (strayEnd)
      throw new ManagedBlockError(
        path,
        `line ${lineNumberAt(buf, strayEnd.start)} ends a Switchyard block that never began`,
      );
    return undefined;
  }
  const end = findMarkerLine(buf, END_BYTES, begin.next);
  const beginLine = lineNumberAt(buf, begin.start);
  if (!end)
    throw new ManagedBlockError(
      path,
      `the Switchyard block that begins at line ${beginLine} has no "${END_MARKER}" line`,
    );
  if (strayEnd && strayEnd.start < begin.start)
    throw new ManagedBlockError(
      path,
      `line ${lineNumberAt(buf, strayEnd.start)} ends a Switchyard block that never began`,
    );
  const second = findMarkerLine(buf, BEGIN_BYTES, begin.next);
  if (second)
    throw new ManagedBlockError(
      path,
      `there are two Switchyard blocks (lines ${beginLine} and ${lineNumberAt(buf, second.start)})`,
    );
  const nested = findMarkerLine(buf, END_BYTES, end.next);
  if (nested)
    throw new ManagedBlockError(
      path,
      `line ${lineNumberAt(buf, nested.start)} ends a Switchyard block that never began`,
    );

  const trailingEol = end.eol !== "";
  let start = begin.start;
  let leadingEol: ManagedBlock["leadingEol"] = "";
  if (!trailingEol && start > 0 && buf[start - 1] === 10) {
    leadingEol = start > 1 && buf[start - 2] === 13 ? "\r\n" : "\n";
    start -= leadingEol.length;
  }
  const inner = buf.toString("latin1", begin.next, end.start);
  const innerLines = inner.length === 0 ? [] : inner.replace(/\r?\n$/, "").split(/\r?\n/);
  const { mappings, otherLines } = readMappings(innerLines);
  return {
    start,
    end: end.next,
    leadingEol,
    trailingEol,
    beginLine,
    mappings,
    otherLines,
    lines: [BEGIN_MARKER, ...innerLines, END_MARKER],
  };
}

/** The lines of a block holding these mappings, markers included; empty when there is nothing to hold. */
export function blockLines(mappings: readonly HostMapping[], otherLines: readonly string[] = []): string[] {
  if (mappings.length === 0 && otherLines.length === 0) return [];
  const body: string[] = [];
  for (const m of mappings) for (const a of m.addresses) body.push(`${a} ${m.name}`);
  return [BEGIN_MARKER, ...body, ...otherLines, END_MARKER];
}

/**
 * Renders block lines with the file's line ending. `leadingEol` is the ending the block owns before
 * BEGIN (see {@link ManagedBlock.leadingEol}); `trailingEol` says whether END gets one.
 */
export function renderBlock(
  lines: readonly string[],
  eol: "\n" | "\r\n",
  leadingEol: ManagedBlock["leadingEol"],
  trailingEol: boolean,
): string {
  if (lines.length === 0) return "";
  return leadingEol + lines.join(eol) + (trailingEol ? eol : "");
}

function readMappings(lines: string[]): { mappings: HostMapping[]; otherLines: string[] } {
  const byName = new Map<string, HostMapping>();
  const otherLines: string[] = [];
  for (const line of lines) {
    const entry = parseEntry(line);
    if (!entry) {
      if (line.trim() !== "") otherLines.push(line);
      continue;
    }
    for (const name of entry.names) {
      const mapping = byName.get(name) ?? { name, addresses: [] };
      if (!mapping.addresses.includes(entry.address)) mapping.addresses.push(entry.address);
      byName.set(name, mapping);
    }
  }
  return { mappings: [...byName.values()], otherLines };
}

interface MarkerLine {
  start: number;
  /** Offset just past the line ending. */
  next: number;
  eol: LineEnding;
}

/** Finds `marker` as a whole line (at line start, followed by CRLF, LF or end of file). */
function findMarkerLine(buf: Buffer, marker: Buffer, from: number): MarkerLine | undefined {
  for (let i = buf.indexOf(marker, from); i !== -1; i = buf.indexOf(marker, i + 1)) {
    const atLineStart =
      i === 0 || buf[i - 1] === 10 || (i === 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf);
    if (!atLineStart) continue;
    const after = i + marker.length;
    if (after === buf.length) return { start: i, next: after, eol: "" };
    if (buf[after] === 10) return { start: i, next: after + 1, eol: "\n" };
    if (buf[after] === 13 && buf[after + 1] === 10) return { start: i, next: after + 2, eol: "\r\n" };
  }
  return undefined;
}

function lineNumberAt(buf: Buffer, offset: number): number {
  let n = 1;
  for (let i = buf.indexOf(10); i !== -1 && i < offset; i = buf.indexOf(10, i + 1)) n++;
  return n;
}
