/**
 * Every trust check at once, for `switchyard ca check` and the panel's Check clients button: a real
 * handshake per installed client (clientCheck.ts), headless Chromium and Firefox loading the check
 * page, and each browser's NSS database verified the way the browser decides.
 */
import { join } from "node:path";
import { CA_FILES } from "../paths";
import { nativeFirefox } from "../trust/discovery/firefox";
import { defaultTrustContext, nssStoresFor, trustStatus } from "../trust/stores";
import { chromiumCheck } from "./browserCheck";
import { checkClients, type ClientCheck } from "./clientCheck";
import { firefoxCheck } from "./firefoxCheck";
import { issueProbeLeaf, rootWithProbe } from "./probeLeaf";

export type { ClientCheck } from "./clientCheck";

/**
 * Plain Node and certifi never read a store `ca trust` writes: they pass once `ca env`'s variables
 * are set, so they inform rather than fail the check.
 */
export const INFORMATIONAL_CLIENTS: ReadonlySet<string> = new Set(["node", "python (certifi)"]);

/** Whether any installed client that reads a trust store failed. */
export function anyRequiredFailure(checks: ClientCheck[]): boolean {
  return checks.some((c) => !c.passed && !c.skipped && !INFORMATIONAL_CLIENTS.has(c.client));
}

/**
 * Runs every check against the CA in `dir`. `nodePath` is the node the Node rows run (an empty
 * string when there is none: those rows are then skipped as not installed).
 */
export async function checkEveryClient(
  dir: string,
  env: NodeJS.ProcessEnv,
  home: string,
  nodePath: string,
): Promise<ClientCheck[]> {
  const ctx = defaultTrustContext({ env, home });
  const probe = await issueProbeLeaf(dir);
  const clients = await checkClients(probe, join(dir, CA_FILES.root), ctx.runner, env, nodePath, async (port) => {
    const chromium = await chromiumCheck(ctx.runner, env, probe.name, port, ctx.isPrivileged);
    const profileDb = nativeFirefox(ctx.home, ctx.env, ctx.runner, ctx.platform)
      .locations()
      .find((l) => l.exists);
    const firefox = await firefoxCheck(ctx.runner, profileDb, probe.name, port);
    return [chromium, firefox].filter((c): c is ClientCheck => c !== undefined);
  });
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
  return [...clients, ...browsers];
}
