/**
 * Where a message body ends, so the bytes after it are parsed as the next message and never
 * forwarded as part of this one. Pure: feed bytes, learn how many belong to the body.
 */
import type { BodyFraming } from "./httpHead";

/** A body whose framing is broken (bad chunk size line, missing CRLF after a chunk). */
export class BodyFramingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BodyFramingError";
  }
}

/** The result of feeding bytes: the first `take` bytes belong to the body; `done` once it ended. */
export interface BodyStep {
  take: number;
  done: boolean;
}

/** Receives the body's content (framing removed) as ranges of the bytes fed, in order. */
export type ContentSink = (start: number, end: number) => void;

/** Tracks one body across any number of chunks of input. */
export interface BodyCursor {
  /** `content`, when given, receives the content ranges: for a chunked body, the chunk data without size lines. */
  feed(bytes: Buffer, content?: ContentSink): BodyStep;
  readonly done: boolean;
}

/** A cursor for `framing`; "until-close" bodies never finish by themselves. */
export function bodyCursor(framing: BodyFraming): BodyCursor {
  switch (framing.kind) {
    case "none":
      return new LengthCursor(0);
    case "length":
      return new LengthCursor(framing.length);
    case "chunked":
      return new ChunkedCursor();
    case "until-close":
      return {
        feed: (bytes, content) => {
          if (content && bytes.length > 0) content(0, bytes.length);
          return { take: bytes.length, done: false };
        },
        done: false,
      };
  }
}

class LengthCursor implements BodyCursor {
  constructor(private left: number) {}
  get done(): boolean {
    return this.left === 0;
  }
  feed(bytes: Buffer, content?: ContentSink): BodyStep {
    const take = Math.min(this.left, bytes.length);
    this.left -= take;
    if (content && take > 0) content(0, take);
    return { take, done: this.left === 0 };
  }
}

const MAX_LINE = 4096;
/** The whole trailer section, like a head but smaller: nothing legitimate sends more. */
const MAX_TRAILER_BYTES = 16 * 1024;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Control characters other than HTAB are what these patterns exist to find.
// eslint-disable-next-line no-control-regex
const CTL = /[\x00-\x08\x0a-\x1f\x7f]/;
/** chunk-size [ chunk-ext ] (RFC 9112 7.1.1): extensions are tokens or quoted strings after ";". */
const SIZE_LINE =
  /^([0-9a-fA-F]{1,12})((?:[ \t]*;[ \t]*[!#$%&'*+\-.^_`|~0-9A-Za-z]+(?:[ \t]*=[ \t]*(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+|"(?:[^"\\]|\\.)*"))?)*)[ \t]*$/;

/**
 * RFC 9112 7.1: size line [; ext] CRLF, data, CRLF, ..., 0 CRLF, trailer lines, CRLF. The size
 * lines and the trailer section are held to the rules of a head (§2.2, §5): no bare CR, no
 * obs-fold, no control bytes, field names that are tokens. Anything else is refused, never relayed
 * for the next parser to read its own way.
 */
class ChunkedCursor implements BodyCursor {
  private state: "size" | "data" | "data-cr" | "data-lf" | "trailer" = "size";
  private line = "";
  private left = 0;
  private trailerBytes = 0;
  done = false;

  feed(bytes: Buffer, content?: ContentSink): BodyStep {
    let i = 0;
    while (i < bytes.length && !this.done) {
      if (this.state === "data") {
        const n = Math.min(this.left, bytes.length - i);
        content?.(i, i + n);
        i += n;
        this.left -= n;
        if (this.left === 0) this.state = "data-cr";
        continue;
      }
      const b = bytes[i++]!;
      if (this.state === "data-cr" || this.state === "data-lf") {
        const want = this.state === "data-cr" ? 0x0d : 0x0a;
        if (b !== want) throw new BodyFramingError("a chunk's data is not followed by CRLF; the chunk size was wrong");
        this.state = this.state === "data-cr" ? "data-lf" : "size";
        continue;
      }
      this.readLineByte(b);
    }
    return { take: i, done: this.done };
  }

  private readLineByte(b: number): void {
    if (b !== 0x0a) {
      if (this.line.length >= MAX_LINE) throw new BodyFramingError(`a chunk line is longer than ${MAX_LINE} bytes`);
      this.line += String.fromCharCode(b);
      return;
    }
    if (!this.line.endsWith("\r")) throw new BodyFramingError("a chunk line ends in a bare LF");
    const line = this.line.slice(0, -1);
    this.line = "";
    if (line.includes("\r")) throw new BodyFramingError("a chunk line contains a bare CR");
    if (this.state === "trailer") return this.trailerLine(line);
    const m = SIZE_LINE.exec(line);
    if (!m) throw new BodyFramingError(`${JSON.stringify(line.slice(0, 40))} is not a chunk size line`);
    this.left = parseInt(m[1]!, 16);
    this.state = this.left === 0 ? "trailer" : "data";
  }

  private trailerLine(line: string): void {
    if (line === "") {
      this.done = true;
      return;
    }
    this.trailerBytes += line.length + 2;
    if (this.trailerBytes > MAX_TRAILER_BYTES)
      throw new BodyFramingError(`the chunked trailer section is over ${MAX_TRAILER_BYTES / 1024} KB`);
    if (line.startsWith(" ") || line.startsWith("\t"))
      throw new BodyFramingError("a folded trailer line (obs-fold) is not accepted");
    const colon = line.indexOf(":");
    if (colon <= 0 || !TOKEN.test(line.slice(0, colon)))
      throw new BodyFramingError(`the trailer line ${JSON.stringify(line.slice(0, 40))} has no valid field name`);
    if (CTL.test(line.slice(colon + 1))) throw new BodyFramingError("a trailer field value contains control bytes");
  }
}
