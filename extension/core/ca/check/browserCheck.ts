/**
 * A real page load from headless Chromium for `switchyard ca check`: it reads the user's own NSS
 * database (HOME as is), with a throwaway profile folder, and maps the probe name to loopback.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CHROMIUM_PROGRAMS } from "../trust/discovery/chromium";
import type { CommandRunner } from "../trust/types";
import type { ClientCheck } from "./clientCheck";

/** What the check listener's page says, so a loaded page can be told from an error page. */
export const CHECK_PAGE_MARKER = "switchyard-trust-check-ok";

/** Plain words for a Chromium net error. */
export function chromiumReason(said: string): string {
  if (/ERR_CERT_AUTHORITY_INVALID/.test(said))
    return "it does not trust the Switchyard root (ERR_CERT_AUTHORITY_INVALID)";
  const net = /net::(ERR_[A-Z_]+)/.exec(said)?.[1];
  return net ? `the page did not load (${net})` : "the page did not load";
}

/** Loads https://name:port/ in the first Chromium-family browser on PATH; undefined when there is none. */
export async function chromiumCheck(
  runner: CommandRunner,
  env: NodeJS.ProcessEnv,
  name: string,
  port: number,
  isRoot: boolean,
): Promise<ClientCheck | undefined> {
  let program: string | undefined;
  for (const p of CHROMIUM_PROGRAMS) if ((program = await runner.which(p))) break;
  if (!program) return undefined;
  const profile = mkdtempSync(join(tmpdir(), "switchyard-check-chromium-"));
  const args = [
    "--headless",
    ...(isRoot ? ["--no-sandbox"] : []), // Chromium refuses to run as root with its sandbox
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    `--user-data-dir=${profile}`,
    `--host-resolver-rules=MAP ${name} 127.0.0.1`,
    "--dump-dom",
    `https://${name}:${port}/`,
  ];
  try {
    const said = await new Promise<string>((resolve) =>
      execFile(program, args, { env, timeout: 45_000, maxBuffer: 8 * 1024 * 1024 }, (_e, out, err) =>
        resolve(`${out}\n${err}`),
      ),
    );
    const client = "chromium (headless page load)";
    if (said.includes(CHECK_PAGE_MARKER)) return { client, passed: true };
    return {
      client,
      passed: false,
      reason: chromiumReason(said),
      fix: "switchyard ca trust (then restart the browser)",
    };
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}
