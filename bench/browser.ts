/**
 * Headless Chromium (Debian's, through playwright-core) for the browser rows: a temp HOME whose
 * ~/.pki/nssdb trusts the bench root (never the machine's stores), the lab's usual flags (QUIC
 * off, so every TLS peer is compared over TCP), and bench names mapped to 127.0.0.1 by Chromium's
 * own resolver rules (no hosts file).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import CHROMIUM_FLAGS from "../test/harness/chromium-flags.json";

const CHROMIUM = "/usr/bin/chromium";

/** A HOME under `dir` whose NSS database trusts `rootPath` for TLS servers. */
export function trustingHome(dir: string, rootPath: string): string {
  const home = join(dir, "chromium-home");
  const db = `sql:${join(home, ".pki", "nssdb")}`;
  mkdirSync(join(home, ".pki", "nssdb"), { recursive: true });
  execFileSync("certutil", ["-N", "-d", db, "--empty-password"], { stdio: "ignore", timeout: 20_000 });
  execFileSync("certutil", ["-A", "-d", db, "-t", "C,,", "-n", "switchyard-bench", "-i", rootPath], {
    stdio: "ignore",
    timeout: 20_000,
  });
  return home;
}

/** Launches Chromium with HOME=`home` and every name in `names` resolving to 127.0.0.1. */
export function launchChromium(home: string, names: string[]): Promise<Browser> {
  const rules = names.map((n) => `MAP ${n} 127.0.0.1`).join(",");
  return chromium.launch({
    executablePath: CHROMIUM,
    env: { ...process.env, HOME: home },
    args: [...CHROMIUM_FLAGS, `--host-resolver-rules=${rules}`],
    timeout: 60_000,
  });
}
