/**
 * Reads the whole ClientHello of a TLS connection, even when it spans several TCP
 * segments or TLS records (Chrome's post-quantum key share makes it larger than one segment).
 *
 * Pure: bytes in, {@link ClientHelloParse} out. It never throws and never loops without consuming
 * input, so it can be fuzzed; every failure is a {@link ClientHelloError} with a code.
 */
import { readServerName } from "./serverName";

/** One key share the client sent: the group and how many key bytes (not the key itself). */
export interface KeyShare {
  group: number;
  length: number;
}

/** The fields of a ClientHello that matter for routing and for explaining a failed handshake. */
export interface ClientHello {
  /** `legacy_version` from the hello body (0x0303 for TLS 1.2 and 1.3 clients). */
  legacyVersion: number;
  /** From the supported_versions extension; empty for clients older than TLS 1.3. */
  supportedVersions: number[];
  /**
   * The SNI host name, lower-cased, without a trailing dot; undefined when the client sent none
   * (e.g. dialled an IP) or sent something that is not a host name (see `refusedServerName`).
   */
  serverName?: string;
  /** The SNI the client sent when it is not a host name (serverName.ts), as a printable JSON string. */
  refusedServerName?: string;
  /** ALPN protocol names in the client's order of preference. */
  alpn: string[];
  cipherSuites: number[];
  supportedGroups: number[];
  keyShares: KeyShare[];
  signatureAlgorithms: number[];
  /** Extension types in the order sent (GREASE included), the "shape" of the client. */
  extensions: number[];
  sessionIdLength: number;
  /** How many TLS records the hello arrived in. */
  recordCount: number;
  /** Bytes of the records that carried the hello (headers included). */
  byteLength: number;
}

/** Why the bytes are not a usable ClientHello. */
export type ClientHelloErrorCode =
  "not-handshake-record" | "not-client-hello" | "record-too-large" | "hello-too-large" | "malformed";

/** The bytes are not a ClientHello we can read; the message says what was wrong. */
export class ClientHelloError extends Error {
  constructor(
    readonly code: ClientHelloErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "ClientHelloError";
  }
}

/** The outcome of reading the bytes received so far. */
export type ClientHelloParse =
  { kind: "complete"; hello: ClientHello } | { kind: "need-more" } | { kind: "error"; error: ClientHelloError };

/** RFC 8446 5.1: a plaintext record fragment is at most 2^14 bytes. */
export const MAX_RECORD_LENGTH = 16_384;
/** Real hellos are under 2 KB (8 KB with large PQ shares and padding); 64 KB bounds memory. */
export const MAX_HELLO_LENGTH = 65_536;
/** A hello split into more records than this is an attack on the reassembly, not a client. */
export const MAX_HELLO_RECORDS = 32;

const EXT_SERVER_NAME = 0;
const EXT_SUPPORTED_GROUPS = 10;
const EXT_SIGNATURE_ALGORITHMS = 13;
const EXT_ALPN = 16;
const EXT_SUPPORTED_VERSIONS = 43;
const EXT_KEY_SHARE = 51;

/** Reads a ClientHello from the first bytes of a connection. Never throws. */
export function parseClientHello(bytes: Uint8Array): ClientHelloParse {
  try {
    return readRecords(bytes);
  } catch (e) {
    if (e instanceof ClientHelloError) return { kind: "error", error: e };
    return { kind: "error", error: new ClientHelloError("malformed", `unreadable ClientHello: ${String(e)}`) };
  }
}

function readRecords(bytes: Uint8Array): ClientHelloParse {
  const fragments: Uint8Array[] = [];
  let fragmentBytes = 0;
  let offset = 0;
  let records = 0;
  while (offset + 5 <= bytes.length) {
    const type = bytes[offset]!;
    const major = bytes[offset + 1]!;
    const length = (bytes[offset + 3]! << 8) | bytes[offset + 4]!;
    if (type !== 0x16 || major !== 0x03) {
      const what = records === 0 ? "the connection does not start with" : `record ${records + 1} is not`;
      throw new ClientHelloError(
        "not-handshake-record",
        `${what} a TLS handshake record (type ${type}, version ${major}.x)`,
      );
    }
    if (length === 0) throw new ClientHelloError("malformed", "an empty TLS handshake record (length 0)");
    if (length > MAX_RECORD_LENGTH) {
      throw new ClientHelloError("record-too-large", `a TLS record of ${length} bytes, above the 16384-byte limit`);
    }
    if (offset + 5 + length > bytes.length) break;
    if (records === MAX_HELLO_RECORDS) {
      throw new ClientHelloError("hello-too-large", `a ClientHello split over more than ${MAX_HELLO_RECORDS} records`);
    }
    fragments.push(bytes.subarray(offset + 5, offset + 5 + length));
    fragmentBytes += length;
    offset += 5 + length;
    records++;
    const handshake = fragments.length === 1 ? fragments[0]! : concat(fragments, fragmentBytes);
    const message = handshakeMessage(handshake);
    if (message)
      return { kind: "complete", hello: { ...readHello(message), recordCount: records, byteLength: offset } };
  }
  // Even an incomplete first record can be rejected early when its header is already wrong.
  if (records === 0 && bytes.length >= 1 && bytes[0] !== 0x16) {
    throw new ClientHelloError("not-handshake-record", "the connection does not start with a TLS handshake record");
  }
  if (records === 0 && bytes.length >= 5) handshakeMessage(bytes.subarray(5));
  return { kind: "need-more" };
}

/** The ClientHello body once all of it has arrived, undefined while more is needed. */
function handshakeMessage(handshake: Uint8Array): Uint8Array | undefined {
  if (handshake.length >= 1 && handshake[0] !== 1) {
    throw new ClientHelloError(
      "not-client-hello",
      `the first handshake message is type ${handshake[0]}, not a ClientHello (1)`,
    );
  }
  if (handshake.length < 4) return undefined;
  const length = (handshake[1]! << 16) | (handshake[2]! << 8) | handshake[3]!;
  if (length > MAX_HELLO_LENGTH) {
    throw new ClientHelloError(
      "hello-too-large",
      `a ClientHello of ${length} bytes, above the ${MAX_HELLO_LENGTH}-byte limit`,
    );
  }
  if (handshake.length < 4 + length) return undefined;
  return handshake.subarray(4, 4 + length);
}

type HelloFields = Omit<ClientHello, "recordCount" | "byteLength">;

function readHello(body: Uint8Array): HelloFields {
  const r = new Reader(body, "ClientHello");
  const legacyVersion = r.u16();
  r.skip(32);
  const sessionIdLength = r.u8();
  if (sessionIdLength > 32) throw malformed(`session id of ${sessionIdLength} bytes (at most 32)`);
  r.skip(sessionIdLength);
  const suites = r.vector(2, "cipher suites");
  if (suites.remaining() % 2 !== 0 || suites.remaining() === 0)
    throw malformed("cipher suite list has an odd or zero length");
  const hello: HelloFields = {
    legacyVersion,
    supportedVersions: [],
    alpn: [],
    cipherSuites: suites.u16List(),
    supportedGroups: [],
    keyShares: [],
    signatureAlgorithms: [],
    extensions: [],
    sessionIdLength,
  };
  r.vector(1, "compression methods");
  if (r.remaining() === 0) return hello; // pre-TLS 1.2 clients may omit extensions entirely
  const extensions = r.vector(2, "extensions");
  while (extensions.remaining() > 0) {
    const type = extensions.u16();
    const data = extensions.vector(2, type);
    hello.extensions.push(type);
    readExtension(type, data, hello);
  }
  return hello;
}

function readExtension(type: number, data: Reader, hello: HelloFields): void {
  switch (type) {
    case EXT_SERVER_NAME: {
      if (data.remaining() === 0) return; // a server's empty echo; clients should not send it, but it is harmless
      const list = data.vector(2, "server name list");
      while (list.remaining() > 0) {
        const nameType = list.u8();
        const name = list.vector(2, "server name");
        if (nameType !== 0 || hello.serverName !== undefined || hello.refusedServerName !== undefined) continue;
        const reading = readServerName(name.ascii());
        if ("name" in reading) hello.serverName = reading.name;
        else hello.refusedServerName = reading.refused;
      }
      return;
    }
    case EXT_ALPN: {
      const list = data.vector(2, "ALPN list");
      while (list.remaining() > 0) hello.alpn.push(list.vector(1, "ALPN protocol").ascii());
      return;
    }
    case EXT_SUPPORTED_VERSIONS:
      hello.supportedVersions = data.vector(1, "supported versions").u16List();
      return;
    case EXT_SUPPORTED_GROUPS:
      hello.supportedGroups = data.vector(2, "supported groups").u16List();
      return;
    case EXT_SIGNATURE_ALGORITHMS:
      hello.signatureAlgorithms = data.vector(2, "signature algorithms").u16List();
      return;
    case EXT_KEY_SHARE: {
      const list = data.vector(2, "key shares");
      while (list.remaining() > 0) {
        const group = list.u16();
        hello.keyShares.push({ group, length: list.vector(2, "key share").remaining() });
      }
      return;
    }
    default:
      return;
  }
}

function malformed(what: string): ClientHelloError {
  return new ClientHelloError("malformed", `malformed ClientHello: ${what}`);
}

/**
 * A bounds-checked cursor over `bytes[pos, end)`; every read past the end is a typed "malformed"
 * error. Sub-readers share the array (no subarray per vector: a hello has dozens of them, and a
 * Buffer's subarray costs more than reading the vector), and an extension's name is only built
 * into a message when it is malformed.
 */
class Reader {
  constructor(
    private readonly bytes: Uint8Array,
    private readonly what: string | number,
    private pos = 0,
    private readonly end = bytes.length,
  ) {}
  private name(): string {
    return typeof this.what === "number" ? `extension ${this.what}` : this.what;
  }
  remaining(): number {
    return this.end - this.pos;
  }
  private need(n: number): void {
    if (this.remaining() < n) throw malformed(`${this.name()} ends ${n - this.remaining()} byte(s) early`);
  }
  u8(): number {
    this.need(1);
    return this.bytes[this.pos++]!;
  }
  u16(): number {
    this.need(2);
    const v = (this.bytes[this.pos]! << 8) | this.bytes[this.pos + 1]!;
    this.pos += 2;
    return v;
  }
  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }
  /** A length-prefixed sub-reader (the prefix is `lengthBytes` wide); a number `what` is an extension type. */
  vector(lengthBytes: 1 | 2, what: string | number): Reader {
    const length = lengthBytes === 1 ? this.u8() : this.u16();
    if (this.remaining() < length) {
      const name = typeof what === "number" ? `extension ${what}` : what;
      throw malformed(`${name} claims ${length} bytes, only ${this.remaining()} left`);
    }
    const sub = new Reader(this.bytes, what, this.pos, this.pos + length);
    this.pos += length;
    return sub;
  }
  u16List(): number[] {
    const out: number[] = [];
    while (this.remaining() >= 2) out.push(this.u16());
    if (this.remaining() !== 0) throw malformed(`${this.name()} has an odd length`);
    return out;
  }
  ascii(): string {
    let s = "";
    for (let i = this.pos; i < this.end; i++) s += String.fromCharCode(this.bytes[i]!);
    this.pos = this.end;
    return s;
  }
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
