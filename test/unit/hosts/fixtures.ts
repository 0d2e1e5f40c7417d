/** The real-world hosts files under test/fixtures/hosts, plus the generated 150,000-line blocklist. */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { blocklistHostsBytes } from "../../fixtures/hosts/generate-blocklist";

/** The fixtures directory. */
export const FIXTURES_DIR = join(__dirname, "..", "..", "fixtures", "hosts");

/** Every committed fixture (`*.hosts`) by file name. */
export function committedFixtures(): { name: string; bytes: Buffer }[] {
  return readdirSync(FIXTURES_DIR)
    .filter((f) => f.endsWith(".hosts"))
    .sort()
    .map((name) => ({ name, bytes: readFileSync(join(FIXTURES_DIR, name)) }));
}

let blocklist: Buffer | undefined;
/** The generated blocklist file's bytes (made once per process). */
export function blocklistFixture(): Buffer {
  blocklist ??= blocklistHostsBytes();
  return blocklist;
}

/** A fresh temp directory; remove it with the returned function. */
export function tempDir(prefix = "switchyard-hosts-test-"): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
