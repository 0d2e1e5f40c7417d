/** `switchyard ca check`: a real handshake per installed client, and each browser's verified NSS store. */
import { homedir } from "node:os";
import { anyRequiredFailure, checkEveryClient } from "../core/ca/check/checkAll";
import type { CliIO } from "./command";

/** Help line for `ca check`, shown in `switchyard ca --help`. */
export const CA_CHECK_HELP = `  switchyard ca check [--json]         real TLS handshakes from each installed client, with the fix for each failure`;

/** Runs the checks; exit 1 when an installed client that reads a trust store does not trust the root. */
export async function runCaCheck(dir: string, options: { json?: boolean }, io: CliIO): Promise<number> {
  const all = await checkEveryClient(dir, io.env, io.env.HOME || homedir(), process.execPath);
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
  return anyRequiredFailure(all) ? 1 : 0;
}
