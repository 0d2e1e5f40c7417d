/** Issuing one leaf certificate: refuse what clients would reject, then build and sign it natively. */
import { createHash, type KeyObject } from "node:crypto";
import { isIP } from "node:net";
import type { KeyType } from "../settings";
import { buildCertificate, type Issuer } from "./certificate";
import { canonicalName, refusalFor, type PermittedNames } from "./constraints";
import type { Der } from "./der";
import { basicConstraints, extKeyUsage, keyUsage, KeyUsageBit, subjectAltName } from "./extensions";
import { keySpecFor, type LeafKey } from "./keyPool";
import { generateKey } from "./keys";
import { NameNotPermittedError, type IssuedLeaf } from "./types";

/** Leaves never live longer than this: the CA/Browser Forum limit browsers enforce. */
export const MAX_LEAF_VALIDITY_DAYS = 397;

/** How to issue a leaf. */
export interface LeafOptions {
  keyType: KeyType;
  /** Add clientAuth to the extended key usage (for mTLS client certificates). */
  clientAuth?: boolean;
  /** At most {@link MAX_LEAF_VALIDITY_DAYS}; that is also the default. */
  validityDays?: number;
  now?: Date;
  /** A key made ahead of time ({@link LeafKeyPool}); by default one is generated now. Used for this leaf only. */
  leafKey?: LeafKey;
}

/** An issued leaf with its key object (for secure contexts without re-parsing the PEM). */
export interface LeafWithKey extends IssuedLeaf {
  key: KeyObject;
}

/** What a leaf is signed under. */
export interface LeafIssuer {
  der: Der;
  issuer: Issuer;
  /** The issuer's subject, for display. */
  issuerSubject: string;
  /** PEM appended after the leaf in chainPem (the intermediate; empty when the root issues directly). */
  chainTailPem: string;
  permitted: PermittedNames | undefined;
}

/** Throws {@link NameNotPermittedError} for the first name that cannot be certified; returns the names normalised. */
export function checkNames(names: string[], permitted: PermittedNames | undefined): string[] {
  if (names.length === 0)
    throw new NameNotPermittedError("", "a certificate needs at least one DNS name or IP address");
  return names.map((raw) => {
    const reason = refusalFor(raw, permitted);
    if (reason) throw new NameNotPermittedError(raw, reason);
    return canonicalName(raw);
  });
}

/** Colon-separated upper-case hex, as openssl and Node print fingerprints. */
export function fingerprint(der: Buffer): string {
  return (createHash("sha256").update(der).digest("hex").toUpperCase().match(/../g) ?? []).join(":");
}

/** Every leaf's subject starts with this organisation: the one directory name the intermediate permits. */
export const LEAF_ORGANISATION = "Switchyard development certificate";

/** Issues a leaf for `names` (SANs in that order; CN, for display only, is the first DNS name). */
export function issueLeaf(signer: LeafIssuer, rawNames: string[], options: LeafOptions): LeafWithKey {
  const names = checkNames(rawNames, signer.permitted);
  const { der } = signer;
  const now = options.now ?? new Date();
  const days = Math.min(options.validityDays ?? MAX_LEAF_VALIDITY_DAYS, MAX_LEAF_VALIDITY_DAYS);
  const wanted = options.keyType === "rsa" ? "rsa" : "ec";
  const leafKey = options.leafKey?.key.asymmetricKeyType === wanted ? options.leafKey : undefined;
  const key = leafKey?.key ?? generateKey(keySpecFor(options.keyType));
  const firstDns = names.find((n) => isIP(n) === 0);
  // An IP-only leaf gets no CN: OpenSSL would check a dotted-quad CN against the DNS constraints.
  const subject = { O: LEAF_ORGANISATION, ...(firstDns ? { CN: firstDns } : {}) };
  const usage = [KeyUsageBit.digitalSignature, ...(options.keyType === "rsa" ? [KeyUsageBit.keyEncipherment] : [])];
  const notBefore = new Date(now.getTime() - 5 * 60_000);
  const notAfter = new Date(now.getTime() + days * 86_400_000);
  const cert = buildCertificate(der, {
    subject,
    issuer: signer.issuer,
    key,
    ...(leafKey ? { spkiDer: leafKey.spkiDer } : {}),
    notBefore,
    notAfter,
    extensions: [
      basicConstraints(der, false),
      keyUsage(der, usage),
      extKeyUsage(der, options.clientAuth === true),
      subjectAltName(der, names),
    ],
  });
  return {
    names,
    certPem: cert.pem,
    chainPem: cert.pem + signer.chainTailPem,
    keyPem: leafKey?.keyPem ?? key.export({ type: "pkcs8", format: "pem" }).toString(),
    key,
    keyType: options.keyType,
    fingerprint256: fingerprint(cert.der),
    subject: [subject.O && `O=${subject.O}`, subject.CN && `CN=${subject.CN}`].filter(Boolean).join(", "),
    issuer: signer.issuerSubject,
    notBefore: new Date(Math.floor(notBefore.getTime() / 1000) * 1000),
    notAfter: new Date(Math.floor(notAfter.getTime() / 1000) * 1000),
  };
}
