/**
 * A pure, lossless reading of a hosts file: bytes in, lines out. Every line keeps the byte range it
 * came from and its own line ending, so anything Switchyard does not understand (odd encodings,
 * garbage, lone CRs) is still there byte for byte. Entries are parsed where a line parses.
 */
import { isIP } from "node:net";

/** A line ending as found in the file; "" for a last line without one. */
export type LineEnding = "\n" | "\r\n" | "";

/** One `ADDRESS NAME [ALIAS...]` line. Names are lower-cased for comparison; the raw line is untouched. */
export interface HostsEntry {
  address: string;
  names: string[];
}

/** One line of the file, with its exact position in the original bytes. */
export interface HostsLine {
  /** 1-based, as an editor shows it. */
  number: number;
  /** Byte offset where the line's content starts (after a BOM on the first line). */
  start: number;
  /** Byte offset where the content ends and the line ending begins. */
  end: number;
  eol: LineEnding;
  /** The content decoded as latin1, so that one character is one byte and nothing is lost. */
  text: string;
  /** Set when the line is an address followed by names. */
  entry?: HostsEntry;
}

/** A whole hosts file as read. */
export interface ParsedHostsFile {
  bytes: Uint8Array;
  /** The file starts with a UTF-8 byte order mark (Windows editors add one). */
  bom: boolean;
  lines: HostsLine[];
  /** The line ending most lines use, for new lines; `fallback` when the file has none. */
  eol: "\n" | "\r\n";
}

const UTF8_BOM = [0xef, 0xbb, 0xbf];

/** True when the bytes start with a UTF-8 byte order mark. */
export function hasBom(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === UTF8_BOM[0] && bytes[1] === UTF8_BOM[1] && bytes[2] === UTF8_BOM[2];
}

/** Parses the bytes of a hosts file; never throws, whatever the bytes are. */
export function parseHostsFile(bytes: Uint8Array, fallbackEol: "\n" | "\r\n" = "\n"): ParsedHostsFile {
  const bom = hasBom(bytes);
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
  const lines: HostsLine[] = [];
  let start = bom ? 3 : 0;
  let crlf = 0;
  let lf = 0;
  while (start < text.length) {
    const nl = text.indexOf("\n", start);
    let end = nl === -1 ? text.length : nl;
    let eol: LineEnding = nl === -1 ? "" : "\n";
    if (nl !== -1 && end > start && text.charCodeAt(end - 1) === 13) {
      end -= 1;
      eol = "\r\n";
      crlf++;
    } else if (nl !== -1) lf++;
    const content = text.slice(start, end);
    const line: HostsLine = { number: lines.length + 1, start, end, eol, text: content };
    const entry = parseEntry(content);
    if (entry) line.entry = entry;
    lines.push(line);
    start = nl === -1 ? text.length : nl + 1;
  }
  return { bytes, bom, lines, eol: dominantEol(crlf, lf, fallbackEol) };
}

/** The line ending to use for new lines: the one most lines already use. */
export function dominantEol(crlf: number, lf: number, fallback: "\n" | "\r\n"): "\n" | "\r\n" {
  if (crlf === 0 && lf === 0) return fallback;
  return crlf > lf ? "\r\n" : "\n";
}

/**
 * The dominant line ending of some pieces of a file, without building lines. Without any CR there
 * can be no CRLF, which one native scan answers; only files with CRs are counted byte by byte.
 */
export function dominantEolOf(pieces: readonly Uint8Array[], fallback: "\n" | "\r\n"): "\n" | "\r\n" {
  const view = (p: Uint8Array): Buffer => Buffer.from(p.buffer, p.byteOffset, p.byteLength);
  if (pieces.every((p) => view(p).indexOf(13) === -1))
    return pieces.some((p) => view(p).indexOf(10) !== -1) ? "\n" : fallback;
  let crlf = 0;
  let lf = 0;
  for (const piece of pieces) {
    const counts = countLineEndings(piece);
    crlf += counts.crlf;
    lf += counts.lf;
  }
  return dominantEol(crlf, lf, fallback);
}

/** Counts CRLF and bare LF line endings. */
export function countLineEndings(bytes: Uint8Array): { crlf: number; lf: number } {
  let crlf = 0;
  let lf = 0;
  let previous = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] as number;
    if (byte === 10) {
      if (previous === 13) crlf++;
      else lf++;
    }
    previous = byte;
  }
  return { crlf, lf };
}

/**
 * Parses `ADDRESS NAME [ALIAS...] [# comment]` the way resolvers do: fields separated by spaces or
 * tabs, `#` starts a comment. Anything else (no names, not an address) is not an entry.
 */
export function parseEntry(content: string): HostsEntry | undefined {
  const hash = content.indexOf("#");
  const data = hash === -1 ? content : content.slice(0, hash);
  const fields = data.split(/[ \t\f\v\r]+/).filter((f) => f.length > 0);
  if (fields.length < 2) return undefined;
  const address = fields[0] as string;
  const zone = address.indexOf("%");
  if (isIP(zone === -1 ? address : address.slice(0, zone)) === 0) return undefined;
  return { address, names: fields.slice(1).map((n) => n.toLowerCase()) };
}
