/**
 * Windows keeps a root's allowed purposes in the certificate's Enhanced Key Usage property
 * (CERT_ENHKEY_USAGE_PROP_ID, 9). `certutil -repairstore` sets it from an INF file, so the Root store
 * trusts the Switchyard root for TLS server authentication only, not for code signing or e-mail.
 */
import { rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { RootCertificate } from "./types";

/** The OID of TLS server authentication (RFC 5280 4.2.1.12). */
export const SERVER_AUTH_OID = "1.3.6.1.5.5.7.3.1";

/** The INF that sets the EKU property to serverAuth alone. */
export function tlsOnlyPropertyInf(): string {
  return `[Properties]\r\n9 = "{text}"\r\n_continue_ = "${SERVER_AUTH_OID}"\r\n`;
}

/** Writes the INF beside the root file and runs `use(file)`; the INF is removed afterwards. */
export async function withTlsOnlyInf<T>(root: RootCertificate, use: (file: string) => Promise<T>): Promise<T> {
  const file = join(dirname(root.file), `${root.fileBase}-tls-only.inf`);
  writeFileSync(file, tlsOnlyPropertyInf());
  try {
    return await use(file);
  } finally {
    rmSync(file, { force: true });
  }
}
