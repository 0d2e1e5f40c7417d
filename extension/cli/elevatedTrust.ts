/**
 * The one step the VS Code extension runs with administrator rights: `ca trust` or `ca untrust`
 * for the CA in `--ca-dir`, as `switchyard ca trust --ca-dir DIR` does it (same stores, same lines
 * printed, same exit code). Bundled on its own as dist/elevatedTrust.js over dist/engines.js, so the
 * VSIX needs no second copy of the core (a whole CLI bundle) for it. The combined runtime bundle is
 * left to the extension, which writes it as the user right after this step.
 *
 *     node elevatedTrust.js trust|untrust --ca-dir DIR
 */
import { homedir } from "node:os";
import { parseArgs } from "node:util";
import * as core from "../core/engines";
import type { CliIO } from "./command";
import { runElevatedStep } from "./elevatedStep";
import { printOutcomes } from "./trustReport";

/** Runs the elevated step with `argv` (after the script); returns the exit code (2: bad usage). */
export async function runElevatedTrust(argv: string[], io: CliIO): Promise<number> {
  let parsed: { action: "trust" | "untrust"; dir: string };
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { "ca-dir": { type: "string" } },
      allowPositionals: true,
      strict: true,
    });
    const [action, ...extra] = positionals;
    const dir = values["ca-dir"];
    if ((action !== "trust" && action !== "untrust") || extra.length > 0 || !dir)
      throw new Error("expected: trust|untrust --ca-dir DIR");
    parsed = { action, dir };
  } catch (e) {
    io.stderr(`switchyard (elevated step): ${(e as Error).message}\n`);
    return 2;
  }
  const { action, dir } = parsed;
  const privileged = typeof process.geteuid === "function" && process.geteuid() === 0;
  // Under sudo, browsers' databases are the invoking user's, in their home (see trust/sudoUser.ts).
  const sudo = core.invokingUser(io.env, privileged);
  const ctx = core.ca.defaultTrustContext({ env: io.env, home: sudo?.home ?? (io.env.HOME || homedir()), owner: sudo });
  const stores = core.ca.trustStoresFor(ctx);
  const material = core.ca.loadCa(dir);
  const root = await core.rootWithProbe(dir);
  const outcomes =
    action === "trust" ? await core.ca.installRoot(stores, root) : await core.ca.uninstallRoot(stores, root);
  io.stdout(`${action === "trust" ? "Installing" : "Removing"} ${material.root.subject.replace(/\n/g, ", ")}\n`);
  return printOutcomes(io, outcomes, action, dir, ctx.isPrivileged);
}

/** The bundle's entry: runs with the process's arguments and exits with the step's code. */
export function main(): void {
  runElevatedStep(runElevatedTrust, (e) => `switchyard ca (elevated step): ${(e as Error).message ?? String(e)}\n`);
}

if (require.main === module) main();
