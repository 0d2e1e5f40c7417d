/** Test support for the net tests: required external tools and throwaway certificates. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { opensslSelfSigned } from "../proxy/testLeafSource";
import { toolCannotRun } from "../requirements";

/**
 * Whether `tool` runs (`tool ...versionArgs`). Under CI=true a missing tool throws instead
 * (requirements.ts), so a CI image without `ip` or `openssl` cannot pass by testing less.
 */
export function haveTool(tool: string, versionArgs: string[] = ["-V"]): boolean {
  return toolCannotRun(tool, versionArgs) === undefined;
}

/** A self-signed ECDSA certificate made by openssl (testLeafSource.ts) in its own temp dir. */
export interface TestCertificate {
  key: string;
  cert: string;
  dir: string;
  cleanup(): void;
}

/** Makes a self-signed certificate for `cn` with the given subjectAltName (e.g. "DNS:a.test,IP:127.0.0.1"). */
export function makeSelfSignedCertificate(cn: string, san: string, days = 2): TestCertificate {
  const dir = mkdtempSync(path.join(os.tmpdir(), "sy-net-cert-"));
  const { keyPath, certPath } = opensslSelfSigned(dir, "cert", `/CN=${cn}`, [`subjectAltName=${san}`], days);
  return {
    key: readFileSync(keyPath, "utf8"),
    cert: readFileSync(certPath, "utf8"),
    dir,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
