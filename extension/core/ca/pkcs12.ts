/**
 * PKCS#12 (.p12/.pfx) export for Kestrel/.NET and Java.
 *
 * forge's `pkcs12.toPkcs12Asn1` only wraps RSA keys (it calls `privateKeyToAsn1`, which is RSA-only),
 * so our ECDSA leaves cannot go through it. Instead the PFX is assembled here from forge ASN.1 nodes:
 * the key bag is the PBES2/AES-256-CBC EncryptedPrivateKeyInfo node:crypto exports (the same shape
 * `openssl pkcs12 -export` writes), the certificates sit in a plain data bag (they are public), and
 * the MAC is HMAC-SHA-256 keyed with forge's PKCS#12 key derivation. No `openssl` process needed.
 */
import { X509Certificate, createHash, createHmac, createPrivateKey, randomBytes } from "node:crypto";
import { derWith, type Der } from "./der";
import type { Asn1 } from "./forge";
import { loadForge } from "./forge";

const OID = {
  data: "1.2.840.113549.1.7.1",
  certBag: "1.2.840.113549.1.12.10.1.3",
  shroudedKeyBag: "1.2.840.113549.1.12.10.1.2",
  x509Certificate: "1.2.840.113549.1.9.22.1",
  friendlyName: "1.2.840.113549.1.9.20",
  localKeyId: "1.2.840.113549.1.9.21",
  sha256: "2.16.840.1.101.3.4.2.1",
};

/** What goes into a PKCS#12 file. */
export interface Pkcs12Input {
  /** The leaf first, then the chain (e.g. IssuedLeaf.chainPem). */
  chainPem: string;
  keyPem: string;
  password: string;
  /** Shown by Windows and keytool as the entry name. */
  friendlyName: string;
  /** PBKDF2 and MAC iterations; default 2048 (OpenSSL's default). */
  iterations?: number;
}

function bmpString(der: Der, text: string): Asn1 {
  // forge writes a BMPSTRING's JS string as UTF-16BE itself.
  return der.api.create(der.api.Class.UNIVERSAL, der.api.Type.BMPSTRING, false, text);
}

function dataContentInfo(der: Der, content: Buffer): Asn1 {
  return der.seq([der.oid(OID.data), der.context(0, [der.octets(content)])]);
}

function bagAttributes(der: Der, friendlyName: string, localKeyId: Buffer): Asn1 {
  return der.set([
    der.seq([der.oid(OID.friendlyName), der.set([bmpString(der, friendlyName)])]),
    der.seq([der.oid(OID.localKeyId), der.set([der.octets(localKeyId)])]),
  ]);
}

/** Builds a password-protected PKCS#12 holding the key and the certificate chain. */
export async function exportPkcs12(input: Pkcs12Input): Promise<Buffer> {
  const forge = await loadForge();
  const der = derWith(forge.asn1);
  const iterations = input.iterations ?? 2048;
  const certs = (input.chainPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map(
    (pem) => new X509Certificate(pem).raw,
  );
  const leaf = certs[0];
  if (!leaf) throw new Error("PKCS#12 export needs at least one certificate");
  const localKeyId = createHash("sha1").update(leaf).digest();
  const certBags = certs.map((raw, i) =>
    der.seq([
      der.oid(OID.certBag),
      der.context(0, [der.seq([der.oid(OID.x509Certificate), der.context(0, [der.octets(raw)])])]),
      ...(i === 0 ? [bagAttributes(der, input.friendlyName, localKeyId)] : []),
    ]),
  );
  const encryptedKey = createPrivateKey(input.keyPem).export({
    type: "pkcs8",
    format: "der",
    cipher: "aes-256-cbc",
    passphrase: input.password,
  });
  const keyBag = der.seq([
    der.oid(OID.shroudedKeyBag),
    der.context(0, [der.parse(encryptedKey)]),
    bagAttributes(der, input.friendlyName, localKeyId),
  ]);
  const authSafe = der.toBuffer(
    der.seq([
      dataContentInfo(der, der.toBuffer(der.seq(certBags))),
      dataContentInfo(der, der.toBuffer(der.seq([keyBag]))),
    ]),
  );
  const salt = randomBytes(16);
  const macKey = forge.pkcs12.generateKey(
    input.password,
    forge.util.createBuffer(salt.toString("binary")),
    3,
    iterations,
    32,
    forge.md.sha256.create(),
  );
  const mac = createHmac("sha256", Buffer.from(macKey.getBytes(), "binary")).update(authSafe).digest();
  const macData = der.seq([
    der.seq([der.seq([der.oid(OID.sha256), der.nullValue()]), der.octets(mac)]),
    der.octets(salt),
    der.smallInt(iterations),
  ]);
  return der.toBuffer(der.seq([der.smallInt(3), dataContentInfo(der, authSafe), macData]));
}
