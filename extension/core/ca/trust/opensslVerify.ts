/** `openssl verify` of a probe leaf against a CA bundle: how OpenSSL clients (curl, Python, git) decide. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ProbeChain, TrustContext, TrustVerdict } from "./types";

/** Verifies `probe` for TLS server use against `bundle`, never reading any other root. */
export async function opensslVerify(ctx: TrustContext, bundle: string, probe: ProbeChain): Promise<TrustVerdict> {
  const checkedBy = `openssl verify against ${bundle}`;
  const openssl = await ctx.runner.which("openssl");
  if (!openssl)
    return { trusted: false, checkedBy, reason: "openssl is not installed, so the bundle cannot be checked" };
  const dir = mkdtempSync(join(tmpdir(), "switchyard-verify-"));
  try {
    const leaf = join(dir, "leaf.pem");
    writeFileSync(leaf, probe.leafPem);
    const untrusted = probe.intermediatePem.trim() ? ["-untrusted", join(dir, "intermediate.pem")] : [];
    if (untrusted.length) writeFileSync(join(dir, "intermediate.pem"), probe.intermediatePem);
    // -no-CApath: only the bundle counts, as for curl built against it.
    const r = await ctx.runner.run(openssl, [
      "verify",
      "-no-CApath",
      "-CAfile",
      bundle,
      ...untrusted,
      "-purpose",
      "sslserver",
      leaf,
    ]);
    if (r.code === 0) return { trusted: true, checkedBy };
    const said = (r.stdout + r.stderr).trim();
    const reason = /unable to get (local )?issuer certificate|self.signed|unable to get issuer/i.test(said)
      ? `the root is not in ${bundle}`
      : (said.split("\n").find((l) => /error/i.test(l)) ?? said);
    return { trusted: false, checkedBy, reason };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
