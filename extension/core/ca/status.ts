/** What `ca status` and the panel show: root, fingerprint, constraints, expiry, leaves, trust per store. */
import { X509Certificate } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CA_FILES } from "./paths";
import type { CaMaterial } from "./store";
import {
  nodeExtraCaCertsGuidance,
  nodeTrustsRoot,
  rootCertificate,
  trustStatus,
  type TrustOutcome,
} from "./trust/stores";
import type { RootCertificate, TrustStore } from "./trust/types";
import { fingerprint } from "./leaf";

/** One issued leaf found in the CA's leaf cache. */
export interface LeafSummary {
  file: string;
  names: string[];
  notAfter: string;
  keyType: "ecdsa" | "rsa";
  /** SHA-256 of the leaf's DER, colon-separated hex. */
  fingerprint256: string;
}

/** Everything about a CA a user may want to see. */
export interface CaStatus {
  dir: string;
  rootSubject: string;
  rootFingerprint256: string;
  rootNotAfter: string;
  /** Whether the root key is still on disk (it is destroyed after signing unless kept on purpose). */
  rootKeyKept: boolean;
  issuerSubject: string;
  issuerNotAfter: string;
  /**
   * False for a CA created before intermediates were limited to TLS (ExtendedKeyUsage serverAuth,
   * clientAuth): its key can also sign e-mail or code-signing certificates. `ca create --force` replaces it.
   * Always false for an adopted mkcert root, which cannot be limited.
   */
  issuerLimitedToTls: boolean;
  /** Null when the CA is unconstrained. */
  constraints: { dns: string[]; ip: string[]; inCertificates: boolean } | null;
  adoptedMkcertRoot?: string;
  paths: { root: string; intermediate: string; intermediateKey: string; meta: string };
  leaves: LeafSummary[];
  trust: TrustOutcome[];
  node: { trusted: boolean; guidance: string };
}

const TLS_USAGES = new Set(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]);

/** True when `issuer` has an ExtendedKeyUsage that allows TLS (server, client) and nothing else. */
export function isLimitedToTls(issuer: X509Certificate): boolean {
  const usages = issuer.keyUsage ?? [];
  return usages.length > 0 && usages.every((u) => TLS_USAGES.has(u));
}

/** Leaves in `<dir>/leaves`, newest expiry first; unreadable entries are skipped (the cache reissues them). */
export function listIssuedLeaves(dir: string): LeafSummary[] {
  const leavesDir = join(dir, CA_FILES.leaves);
  if (!existsSync(leavesDir)) return [];
  const out: LeafSummary[] = [];
  for (const entry of readdirSync(leavesDir)) {
    if (!entry.endsWith(".pem") || entry.endsWith("-key.pem")) continue;
    try {
      const cert = new X509Certificate(readFileSync(join(leavesDir, entry)));
      const names = (cert.subjectAltName ?? "").split(", ").map((s) => s.replace(/^(DNS|IP Address):/, ""));
      const keyType = cert.publicKey.asymmetricKeyType === "rsa" ? "rsa" : "ecdsa";
      out.push({
        file: join(leavesDir, entry),
        names,
        notAfter: new Date(cert.validTo).toISOString(),
        keyType,
        fingerprint256: cert.fingerprint256,
      });
    } catch {
      // a torn cache entry: not worth reporting
    }
  }
  return out.sort((a, b) => b.notAfter.localeCompare(a.notAfter));
}

/**
 * The status of a loaded CA; trust is checked in each of `stores`, with `root`'s probe leaf when it
 * has one (a chain check the way each client decides; see check/probeLeaf.ts).
 */
export async function caStatus(
  ca: CaMaterial,
  stores: TrustStore[],
  env: NodeJS.ProcessEnv = process.env,
  root: RootCertificate = rootCertificate(ca.rootPem, join(ca.dir, CA_FILES.root)),
): Promise<CaStatus> {
  const rootFile = join(ca.dir, CA_FILES.root);
  const flat = (s: string): string => s.replace(/\n/g, ", ");
  return {
    dir: ca.dir,
    rootSubject: flat(ca.root.subject),
    rootFingerprint256: fingerprint(ca.root.raw),
    rootNotAfter: new Date(ca.root.validTo).toISOString(),
    rootKeyKept: existsSync(join(ca.dir, CA_FILES.rootKey)) || ca.meta.adoptedMkcertRoot !== undefined,
    issuerSubject: flat(ca.issuer.subject),
    issuerNotAfter: new Date(ca.issuer.validTo).toISOString(),
    issuerLimitedToTls: isLimitedToTls(ca.issuer),
    constraints: ca.meta.permitted ? { ...ca.meta.permitted, inCertificates: ca.meta.constraintsInCertificates } : null,
    ...(ca.meta.adoptedMkcertRoot ? { adoptedMkcertRoot: ca.meta.adoptedMkcertRoot } : {}),
    paths: {
      root: rootFile,
      intermediate: ca.issuerCertFile,
      intermediateKey: ca.issuerKeyFile,
      meta: join(ca.dir, CA_FILES.meta),
    },
    leaves: listIssuedLeaves(ca.dir),
    trust: await trustStatus(stores, root),
    node: {
      trusted: nodeTrustsRoot(env, root, (f) => readFileSync(f, "utf8")),
      guidance: nodeExtraCaCertsGuidance(rootFile),
    },
  };
}
