/**
 * The X.509 v3 extensions this CA writes, encoded from ASN.1 (forge's certificate code has no Name
 * Constraints builder and is RSA-only, so every extension is built here the same way).
 */
import type { Der } from "./der";
import type { Asn1 } from "./forge";
import type { PermittedNames } from "./constraints";
import { ipBytes } from "./ipRange";

/** One extension before encoding. */
export interface Extension {
  oid: string;
  critical: boolean;
  /** The DER of extnValue's contents. */
  value: Asn1;
}

/** Extension ::= SEQUENCE { extnID, critical DEFAULT FALSE, extnValue OCTET STRING }. */
export function encodeExtension(der: Der, ext: Extension): Asn1 {
  const parts = [der.oid(ext.oid)];
  if (ext.critical) parts.push(der.bool(true));
  parts.push(der.octets(der.toBuffer(ext.value)));
  return der.seq(parts);
}

/** BasicConstraints (critical): CA with an optional path length, or an end entity. */
export function basicConstraints(der: Der, ca: boolean, pathLen?: number): Extension {
  const body = ca ? [der.bool(true), ...(pathLen === undefined ? [] : [der.smallInt(pathLen)])] : [];
  return { oid: "2.5.29.19", critical: true, value: der.seq(body) };
}

/** KeyUsage bits, numbered as in RFC 5280. */
export const KeyUsageBit = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 } as const;

/** KeyUsage (critical), as a DER named bit list: trailing zero bits dropped. */
export function keyUsage(der: Der, bits: number[]): Extension {
  const max = Math.max(...bits);
  const bytes = Buffer.alloc((max >> 3) + 1);
  for (const b of bits) bytes[b >> 3] = (bytes[b >> 3] ?? 0) | (0x80 >> (b & 7));
  return { oid: "2.5.29.15", critical: true, value: der.bits(bytes, 7 - (max & 7)) };
}

/** ExtendedKeyUsage: serverAuth, and clientAuth on request. */
export function extKeyUsage(der: Der, clientAuth: boolean): Extension {
  const oids = ["1.3.6.1.5.5.7.3.1", ...(clientAuth ? ["1.3.6.1.5.5.7.3.2"] : [])];
  return { oid: "2.5.29.37", critical: false, value: der.seq(oids.map((o) => der.oid(o))) };
}

/** A GeneralName for a DNS name ([2] dNSName) or an IP address ([7] iPAddress). */
function generalName(der: Der, name: string): Asn1 {
  const ip = ipBytes(name);
  return ip ? der.context(7, ip) : der.context(2, Buffer.from(name, "ascii"));
}

/** SubjectAltName with every name: clients match only SANs, never the CN. */
export function subjectAltName(der: Der, names: string[]): Extension {
  return { oid: "2.5.29.17", critical: false, value: der.seq(names.map((n) => generalName(der, n))) };
}

/** SubjectKeyIdentifier. */
export function subjectKeyId(der: Der, keyId: Buffer): Extension {
  return { oid: "2.5.29.14", critical: false, value: der.octets(keyId) };
}

/** AuthorityKeyIdentifier with the issuer's key id ([0] keyIdentifier). */
export function authorityKeyId(der: Der, keyId: Buffer): Extension {
  return { oid: "2.5.29.35", critical: false, value: der.seq([der.context(0, keyId)]) };
}

/**
 * The e-mail domain an intermediate limited to TLS permits: a reserved name (RFC 6761) no mailbox can
 * have, so every real address is outside it. (An empty excluded rfc822Name would say "every address"
 * to Go and NSS, but OpenSSL matches it against nothing.)
 */
export const NO_EMAIL_DOMAIN = "invalid";

/** What besides DNS names and IP ranges an intermediate limited to TLS constrains. */
export interface TlsOnlyNames {
  /** The one directory name (subject) its certificates may have: the leaves' fixed organisation. */
  directoryName: Asn1;
}

/**
 * NameConstraints with permittedSubtrees only: each DNS name as [2] dNSName, each range as
 * [7] iPAddress (address followed by mask); undefined `permitted` leaves those two forms open
 * (an unconstrained CA). With `tlsOnly`, also [1] rfc822Name {@link NO_EMAIL_DOMAIN} and
 * [4] directoryName, so the CA cannot certify an e-mail address or another subject name. RFC 5280
 * requires it critical on CA certificates; `critical` is false for the root, where a client that
 * does not know it must still accept the anchor.
 */
export function nameConstraints(
  der: Der,
  permitted: PermittedNames | undefined,
  critical: boolean,
  tlsOnly?: TlsOnlyNames,
): Extension {
  const subtrees = [
    ...(permitted?.dns ?? []).map((d) => der.seq([der.context(2, Buffer.from(d, "ascii"))])),
    ...(permitted?.ip ?? []).map((r) => der.seq([der.context(7, Buffer.concat([r.address, r.mask]))])),
    ...(tlsOnly
      ? [
          der.seq([der.context(1, Buffer.from(NO_EMAIL_DOMAIN, "ascii"))]),
          der.seq([der.context(4, [tlsOnly.directoryName])]),
        ]
      : []),
  ];
  return { oid: "2.5.29.30", critical, value: der.seq([der.context(0, subtrees)]) };
}
