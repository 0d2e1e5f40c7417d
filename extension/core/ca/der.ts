/**
 * Small DER builders over forge's ASN.1 nodes. forge holds bytes as "binary" strings; these helpers
 * take and return Buffers at the edges so the rest of the CA never sees that representation.
 */
import type { Asn1, Asn1Api } from "./forge";

/** Builders bound to one loaded forge ASN.1 module. */
export interface Der {
  api: Asn1Api;
  seq(children: Asn1[]): Asn1;
  set(children: Asn1[]): Asn1;
  oid(dotted: string): Asn1;
  int(bytes: Buffer): Asn1;
  smallInt(n: number): Asn1;
  bool(value: boolean): Asn1;
  nullValue(): Asn1;
  octets(bytes: Buffer): Asn1;
  bits(bytes: Buffer, unusedBits?: number): Asn1;
  utf8(text: string): Asn1;
  time(date: Date): Asn1;
  /** A context-specific tag `[n]`; constructed when given children, primitive when given bytes. */
  context(tag: number, content: Asn1[] | Buffer): Asn1;
  toBuffer(node: Asn1): Buffer;
  parse(bytes: Buffer): Asn1;
}

const bin = (b: Buffer): string => b.toString("binary");

/** The DER builders for `api`. */
export function derWith(api: Asn1Api): Der {
  const { Class, Type } = api;
  const U = Class.UNIVERSAL;
  return {
    api,
    seq: (children) => api.create(U, Type.SEQUENCE, true, children),
    set: (children) => api.create(U, Type.SET, true, children),
    oid: (dotted) => api.create(U, Type.OID, false, api.oidToDer(dotted).getBytes()),
    int: (bytes) => {
      // DER INTEGERs are two's complement: a leading 1 bit needs a 0x00 in front to stay positive.
      let b = bytes;
      while (b.length > 1 && b[0] === 0 && (b[1] ?? 0) < 0x80) b = b.subarray(1);
      if ((b[0] ?? 0) >= 0x80) b = Buffer.concat([Buffer.from([0]), b]);
      return api.create(U, Type.INTEGER, false, bin(b));
    },
    smallInt: (n) => api.create(U, Type.INTEGER, false, api.integerToDer(n).getBytes()),
    bool: (value) => api.create(U, Type.BOOLEAN, false, value ? "\xff" : "\x00"),
    nullValue: () => api.create(U, Type.NULL, false, ""),
    octets: (bytes) => api.create(U, Type.OCTETSTRING, false, bin(bytes)),
    bits: (bytes, unusedBits = 0) => api.create(U, Type.BITSTRING, false, String.fromCharCode(unusedBits) + bin(bytes)),
    utf8: (text) => api.create(U, Type.UTF8, false, Buffer.from(text, "utf8").toString("binary")),
    time: (date) => {
      // RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
      const d = new Date(Math.floor(date.getTime() / 1000) * 1000);
      return d.getUTCFullYear() < 2050
        ? api.create(U, Type.UTCTIME, false, api.dateToUtcTime(d))
        : api.create(U, Type.GENERALIZEDTIME, false, api.dateToGeneralizedTime(d));
    },
    context: (tag, content) =>
      Buffer.isBuffer(content)
        ? api.create(Class.CONTEXT_SPECIFIC, tag, false, bin(content))
        : api.create(Class.CONTEXT_SPECIFIC, tag, true, content),
    toBuffer: (node) => Buffer.from(api.toDer(node).getBytes(), "binary"),
    // forge's typings lack the options object; decodeBitStrings off keeps key and signature bits opaque.
    parse: (bytes) =>
      (api.fromDer as unknown as (b: string, o: object) => Asn1)(bin(bytes), { strict: true, decodeBitStrings: false }),
  };
}
