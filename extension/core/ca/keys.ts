/** Key generation and native signing (node:crypto). forge's pure-JS RSA is never used for keys or signatures. */
import { generateKeyPairSync, sign, type KeyObject } from "node:crypto";

/** The key kinds this CA uses: P-256/P-384 ECDSA, RSA-2048/3072. */
export type KeySpec = "ec-p256" | "ec-p384" | "rsa-2048" | "rsa-3072";

/** A fresh private key; its public half is `createPublicKey(key)`. */
export function generateKey(spec: KeySpec): KeyObject {
  if (spec === "ec-p256" || spec === "ec-p384") {
    const namedCurve = spec === "ec-p256" ? "prime256v1" : "secp384r1";
    return generateKeyPairSync("ec", { namedCurve }).privateKey;
  }
  return generateKeyPairSync("rsa", { modulusLength: spec === "rsa-2048" ? 2048 : 3072 }).privateKey;
}

/** How a key signs certificates: the AlgorithmIdentifier OID, whether it carries NULL parameters, and the digest. */
export interface SignatureAlgorithm {
  oid: string;
  nullParams: boolean;
  digest: "sha256" | "sha384";
}

/** The signature algorithm a CA key uses: ECDSA with SHA-384 for P-384, SHA-256 otherwise. */
export function signatureAlgorithmFor(key: KeyObject): SignatureAlgorithm {
  if (key.asymmetricKeyType === "ec") {
    const p384 = key.asymmetricKeyDetails?.namedCurve === "secp384r1";
    return {
      oid: p384 ? "1.2.840.10045.4.3.3" : "1.2.840.10045.4.3.2",
      nullParams: false,
      digest: p384 ? "sha384" : "sha256",
    };
  }
  if (key.asymmetricKeyType === "rsa") return { oid: "1.2.840.113549.1.1.11", nullParams: true, digest: "sha256" };
  throw new Error(`unsupported CA key type ${key.asymmetricKeyType ?? "unknown"}: use an ECDSA or RSA key`);
}

/** Signs `data` natively; ECDSA signatures come out DER-encoded (ECDSA-Sig-Value), as X.509 wants. */
export function signNative(data: Buffer, key: KeyObject, alg: SignatureAlgorithm): Buffer {
  return sign(alg.digest, data, key);
}

/** "ecdsa" or "rsa" for a private key. */
export function keyFamily(key: KeyObject): "ecdsa" | "rsa" {
  return key.asymmetricKeyType === "rsa" ? "rsa" : "ecdsa";
}
