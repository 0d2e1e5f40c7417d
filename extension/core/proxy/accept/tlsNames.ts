/** Human names for the TLS code points a ClientHello carries, so records read like openssl output. */

const VERSIONS: Record<number, string> = {
  0x0300: "SSLv3",
  0x0301: "TLSv1",
  0x0302: "TLSv1.1",
  0x0303: "TLSv1.2",
  0x0304: "TLSv1.3",
};

const GROUPS: Record<number, string> = {
  23: "secp256r1",
  24: "secp384r1",
  25: "secp521r1",
  29: "x25519",
  30: "x448",
  256: "ffdhe2048",
  257: "ffdhe3072",
  0x11ec: "X25519MLKEM768",
  0x6399: "X25519Kyber768Draft00",
};

const SUITES: Record<number, string> = {
  0x1301: "TLS_AES_128_GCM_SHA256",
  0x1302: "TLS_AES_256_GCM_SHA384",
  0x1303: "TLS_CHACHA20_POLY1305_SHA256",
  0xc02b: "ECDHE-ECDSA-AES128-GCM-SHA256",
  0xc02c: "ECDHE-ECDSA-AES256-GCM-SHA384",
  0xc02f: "ECDHE-RSA-AES128-GCM-SHA256",
  0xc030: "ECDHE-RSA-AES256-GCM-SHA384",
  0xcca8: "ECDHE-RSA-CHACHA20-POLY1305",
  0xcca9: "ECDHE-ECDSA-CHACHA20-POLY1305",
  0xc013: "ECDHE-RSA-AES128-SHA",
  0xc014: "ECDHE-RSA-AES256-SHA",
  0x009c: "AES128-GCM-SHA256",
  0x009d: "AES256-GCM-SHA384",
  0x002f: "AES128-SHA",
  0x0035: "AES256-SHA",
  0x00ff: "TLS_EMPTY_RENEGOTIATION_INFO_SCSV",
};

/** GREASE values (RFC 8701): 0x?a?a with both bytes equal; clients send them to keep servers tolerant. */
export function isGrease(value: number): boolean {
  return (value & 0x0f0f) === 0x0a0a && value >> 8 === (value & 0xff);
}

function hex(value: number): string {
  return `0x${value.toString(16).padStart(4, "0")}`;
}

/** "TLSv1.3", or the hex code point for an unknown version. */
export function tlsVersionName(value: number): string {
  return isGrease(value) ? "GREASE" : (VERSIONS[value] ?? hex(value));
}

/** "x25519", "X25519MLKEM768", or the hex code point. */
export function groupName(value: number): string {
  return isGrease(value) ? "GREASE" : (GROUPS[value] ?? hex(value));
}

/** An OpenSSL-style cipher suite name, or the hex code point. */
export function cipherSuiteName(value: number): string {
  return isGrease(value) ? "GREASE" : (SUITES[value] ?? hex(value));
}
