/** `switchyard ca check`: a real handshake per installed client, and each browser's verified NSS store. */
import { homedir } from "node:os";
import { join } from "node:path";
import { chromiumCheck } from "../core/ca/check/browserCheck";
import { firefoxCheck } from "../core/ca/check/firefoxCheck";
import { nativeFirefox } from "../core/ca/trust/discovery/firefox";
import { checkClients, type ClientCheck } from "../core/ca/check/clientCheck";
import { issueProbeLeaf, rootWithProbe } from "../core/ca/check/probeLeaf";
import { CA_FILES } from "../core/ca/paths";
import { defaultTrustContext, nssStoresFor, trustStatus } from "../core/ca/trust/stores";
import type { CliIO } from "./command";

/** Help line for `ca check`, shown in `switchyard ca --help`. */
export const CA_CHECK_HELP = `  switchyard ca check [--json]         real TLS handshakes from each installed client, with the fix for each failure`;

/** Runs the checks; exit 1 when an installed client that reads a trust store does not trust the root. */
export async function runCaCheck(dir: string, options: { json?: boolean }, io: CliIO): Promise<number> {
  const ctx = defaultTrustContext({ env: io.env, home: io.env.HOME || homedir() });
  const probe = await issueProbeLeaf(dir);
  const clients = await checkClients(
    probe,
    join(dir, CA_FILES.root),
    ctx.runner,
    io.env,
    process.execPath,
    async (port) => {
      const chromium = await chromiumCheck(ctx.runner, io.env, probe.name, port, ctx.isPrivileged);
      const profileDb = nativeFirefox(ctx.home, ctx.env, ctx.runner, ctx.platform)
        .locations()
        .find((l) => l.exists);
      const firefox = await firefoxCheck(ctx.runner, profileDb, probe.name, port);
      return [chromium, firefox].filter((c): c is ClientCheck => c !== undefined);
    },
  );
  // Browsers decide from their NSS databases: the same chain check certutil makes for them.
  const browsers: ClientCheck[] = (await trustStatus(nssStoresFor(ctx), await rootWithProbe(dir)))
    .filter((o) => o.available)
    .map((o) =>
      o.trusted
        ? { client: `${o.store} (NSS database)`, passed: true }
        : {
            client: `${o.store} (NSS database)`,
            passed: false,
            reason: o.reason ?? o.error,
            fix: "switchyard ca trust",
          },
    );
  const all = [...clients, ...browsers];
  if (options.json) io.stdout(`${JSON.stringify(all, null, 2)}\n`);
  else
    for (const c of all) {
      const state = c.skipped
        ? `skipped: ${c.reason}`
        : c.passed
          ? "pass"
          : `FAIL: ${c.reason}\n${"".padEnd(34)}fix: ${c.fix}`;
      io.stdout(`  ${c.client.padEnd(32)}${state}\n`);
    }
  // Plain Node and certifi never read a store `ca trust` writes: they pass once `ca env`'s variables
  // are set, so they inform rather than fail the check.
  const informational = new Set(["node", "python (certifi)"]);
  return all.some((c) => !c.passed && !c.skipped && !informational.has(c.client)) ? 1 : 0;
}
