/**
 * Builds X.509 certificates: the TBSCertificate is assembled with forge's ASN.1 nodes and signed
 * natively by node:crypto (ECDSA or RSA), so no JavaScript big-number signing is ever involved.
 */
import { createHash, createPublicKey, KeyObject, randomBytes } from "node:crypto";
import type { Der } from "./der";
import type { Asn1 } from "./forge";
import { authorityKeyId, encodeExtension, subjectKeyId, type Extension } from "./extensions";
import { signNative, signatureAlgorithmFor } from "./keys";

/** Attributes of a distinguished name this CA writes, in this order. */
export interface NameAttributes {
  O?: string;
  OU?: string;
  CN?: string;
}

/** What a certificate is signed by: the issuer's subject (as encoded in its certificate), key id and key. */
export interface Issuer {
  subject: Asn1;
  keyId: Buffer;
  key: KeyObject;
}

/** Everything that goes into one certificate. */
export interface CertificateSpec {
  subject: NameAttributes;
  /** Omitted: self-signed with `signingKey`. */
  issuer?: Issuer;
  /** The certified key (private or public; only its public half is used). */
  key: KeyObject;
  /** The certified key's SubjectPublicKeyInfo (DER), when already known; else derived from `key`. */
  spkiDer?: Buffer;
  /** Required when self-signed. */
  signingKey?: KeyObject;
  notBefore: Date;
  notAfter: Date;
  extensions: Extension[];
}

/** A built certificate. */
export interface BuiltCertificate {
  der: Buffer;
  pem: string;
  /** Its subject key identifier, for the AKI of certificates it signs. */
  keyId: Buffer;
}

const ATTRIBUTE_OIDS: Record<keyof NameAttributes, string> = { O: "2.5.4.10", OU: "2.5.4.11", CN: "2.5.4.3" };

/** Name ::= SEQUENCE OF RelativeDistinguishedName, one UTF8String attribute per RDN. */
export function encodeName(der: Der, attrs: NameAttributes): Asn1 {
  const rdns: Asn1[] = [];
  for (const key of ["O", "OU", "CN"] as const) {
    const value = attrs[key];
    if (value) rdns.push(der.set([der.seq([der.oid(ATTRIBUTE_OIDS[key]), der.utf8(value)])]));
  }
  return der.seq(rdns);
}

/** RFC 5280 key id method 1: SHA-1 of the subjectPublicKey bits. */
export function keyIdOf(der: Der, key: KeyObject | Asn1): Buffer {
  const spki = key instanceof KeyObject ? der.parse(spkiDer(key)) : key;
  const children = spki.value as Asn1[];
  const bits = Buffer.from((children[1]?.value as string) ?? "", "binary").subarray(1);
  return createHash("sha1").update(bits).digest();
}

function spkiDer(key: KeyObject): Buffer {
  const pub = key.type === "private" ? createPublicKey(key) : key;
  return pub.export({ type: "spki", format: "der" });
}

/** A positive 127-bit random serial: unique without bookkeeping, as CA/B Forum asks (>= 64 bits of entropy). */
function randomSerial(): Buffer {
  const serial = randomBytes(16);
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x01;
  return serial;
}

/** Builds and natively signs one certificate. */
export function buildCertificate(der: Der, spec: CertificateSpec): BuiltCertificate {
  const signer = spec.issuer?.key ?? spec.signingKey;
  if (!signer) throw new Error("a self-signed certificate needs its signing key");
  const alg = signatureAlgorithmFor(signer);
  const algId = der.seq([der.oid(alg.oid), ...(alg.nullParams ? [der.nullValue()] : [])]);
  const spki = der.parse(spec.spkiDer ?? spkiDer(spec.key));
  const keyId = keyIdOf(der, spki);
  const subject = encodeName(der, spec.subject);
  const extensions = [...spec.extensions, subjectKeyId(der, keyId), authorityKeyId(der, spec.issuer?.keyId ?? keyId)];
  const tbs = der.seq([
    der.context(0, [der.smallInt(2)]),
    der.int(randomSerial()),
    algId,
    spec.issuer?.subject ?? subject,
    der.seq([der.time(spec.notBefore), der.time(spec.notAfter)]),
    subject,
    spki,
    der.context(3, [der.seq(extensions.map((e) => encodeExtension(der, e)))]),
  ]);
  const tbsDer = der.toBuffer(tbs);
  const signature = signNative(tbsDer, signer, alg);
  const certDer = der.toBuffer(der.seq([tbs, algId, der.bits(signature)]));
  return { der: certDer, pem: toPem("CERTIFICATE", certDer), keyId };
}

/** The issuer fields of an existing certificate: its subject node as encoded, and its key id. */
export function issuerFromCertificate(der: Der, certDer: Buffer, key: KeyObject): Issuer {
  const tbs = ((der.parse(certDer).value as Asn1[])[0]?.value ?? []) as Asn1[];
  const offset = tbs[0]?.tagClass === der.api.Class.CONTEXT_SPECIFIC ? 1 : 0;
  const subject = tbs[offset + 4];
  if (!subject) throw new Error("the issuer certificate has no subject");
  const extsWrapper = tbs.find((n) => n.tagClass === der.api.Class.CONTEXT_SPECIFIC && n.type === 3);
  const exts = ((extsWrapper?.value as Asn1[] | undefined)?.[0]?.value ?? []) as Asn1[];
  for (const ext of exts) {
    const parts = ext.value as Asn1[];
    if (der.api.derToOid(parts[0]?.value as string) !== "2.5.29.14") continue;
    const inner = der.parse(Buffer.from(parts[parts.length - 1]?.value as string, "binary"));
    return { subject, keyId: Buffer.from(inner.value as string, "binary"), key };
  }
  return { subject, keyId: keyIdOf(der, createPublicKey(certToPem(certDer))), key };
}

function certToPem(certDer: Buffer): string {
  return toPem("CERTIFICATE", certDer);
}

/** PEM armour with 64-character lines. */
export function toPem(label: string, der: Buffer): string {
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
