/**
 * A fresh leaf for checking trust: what a trust check hands to `certutil -V`, `openssl verify` and
 * to a throwaway TLS listener that real clients connect to. Issued in memory, never cached on disk.
 */
import { join } from "node:path";
import { LocalCa } from "../authority";
import { CA_FILES } from "../paths";
import { loadCa } from "../store";
import { rootCertificate } from "../trust/stores";
import type { ProbeChain, RootCertificate } from "../trust/types";

/** A probe leaf with its key, for serving it. */
export interface ProbeLeaf extends ProbeChain {
  /** Leaf followed by the intermediate: what the check listener sends. */
  chainPem: string;
  keyPem: string;
}

/** A name the CA may certify: a .test name, localhost, or a name under the first permitted domain. */
export function probeNameFor(ca: LocalCa): string {
  const permitted = ca.material.permitted?.dns ?? [];
  const candidates = [
    "switchyard-trust-check.test",
    "localhost",
    ...permitted.map((d) => `switchyard-trust-check.${d}`),
  ];
  return candidates.find((n) => ca.refusalFor(n) === undefined) ?? "127.0.0.1";
}

/** Issues a probe leaf under the CA in `dir`. */
export async function issueProbeLeaf(dir: string): Promise<ProbeLeaf> {
  const ca = await LocalCa.open({ dir, diskCache: false });
  const name = probeNameFor(ca);
  const leaf = await ca.leafFor(name);
  return {
    name,
    leafPem: leaf.certPem,
    intermediatePem: leaf.chainPem
      .slice(leaf.chainPem.indexOf(leaf.certPem.trim()) + leaf.certPem.trim().length)
      .trim(),
    chainPem: leaf.chainPem,
    keyPem: leaf.keyPem,
  };
}

/**
 * The CA's root as stores need it, with a probe leaf so they can verify trust the way clients do.
 * When no leaf can be issued (an intermediate key Switchyard refuses to use, say), the root comes
 * without one and stores fall back to checking that the root is listed as trusted.
 */
export async function rootWithProbe(dir: string): Promise<RootCertificate> {
  const root = rootCertificate(loadCa(dir).rootPem, join(dir, CA_FILES.root));
  try {
    return { ...root, probe: await issueProbeLeaf(dir) };
  } catch {
    return root;
  }
}
