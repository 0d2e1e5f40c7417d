import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { applyRuntimeTrust, terminalTrustVariables } from "../../../extension/core/ca/trust/runtimeEnv";
import { TerminalTrustCache } from "../../../extension/core/ca/trust/terminalTrustCache";
import { tempDir } from "./realClients";

const pem = (body: string): string => `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;

/** A cache over the real terminalTrustVariables that counts how often it runs. */
function counted(systemBundle: string): { cache: TerminalTrustCache; reads: () => number } {
  let reads = 0;
  const cache = new TerminalTrustCache(
    (caDir, user) => {
      reads++;
      return terminalTrustVariables(caDir, user);
    },
    [systemBundle],
  );
  return { cache, reads: () => reads };
}

/** A CA dir with a root, a stand-in system bundle and a user's own NODE_EXTRA_CA_CERTS file. */
function files(): { caDir: string; rootFile: string; systemBundle: string; company: string } {
  const caDir = tempDir("terminal-trust-cache");
  const rootFile = join(caDir, "root.pem");
  writeFileSync(rootFile, pem("Uk9PVA=="));
  const systemBundle = join(tempDir("system-roots"), "ca-certificates.crt");
  writeFileSync(systemBundle, pem("U1lT"));
  const company = join(tempDir("company"), "company.pem");
  writeFileSync(company, pem("Q09NUEFOWQ=="));
  return { caDir, rootFile, systemBundle, company };
}

describe("terminal trust variables on every redraw", () => {
  it("reads the files once while none of them changes, and gives back the same variables", () => {
    const { caDir, rootFile, systemBundle, company } = files();
    const { cache, reads } = counted(systemBundle);
    const first = cache.variables(caDir, company);
    assert.notEqual(first.NODE_EXTRA_CA_CERTS, rootFile, "the user's roots are kept beside the root");
    for (let i = 0; i < 5; i++) assert.equal(cache.variables(caDir, company), first);
    assert.equal(reads(), 1);
  });

  it("reads them again when the root, the combined bundle, the user's roots or a system bundle changed", () => {
    const { caDir, rootFile, systemBundle, company } = files();
    const { cache, reads } = counted(systemBundle);
    const before = cache.variables(caDir, company);
    assert.equal(reads(), 1);

    // `ca trust` writes the combined bundle (from the machine's system roots, read only): its variables appear.
    const trust = applyRuntimeTrust({ caDir, rootFile });
    const trusted = cache.variables(caDir, company);
    assert.equal(trusted.SSL_CERT_FILE, trust.bundleFile);
    assert.equal(reads(), 2);
    assert.equal(cache.variables(caDir, company), trusted);
    assert.equal(reads(), 2);

    // The user's own roots change: a new combined NODE_EXTRA_CA_CERTS file.
    writeFileSync(company, pem("Q09NUEFOWTI="));
    const newRoots = cache.variables(caDir, company);
    assert.notEqual(newRoots.NODE_EXTRA_CA_CERTS, before.NODE_EXTRA_CA_CERTS);
    assert.equal(reads(), 3);

    // A system bundle with the same size and a new modification time (an update in place).
    writeFileSync(systemBundle, pem("U1lU"));
    utimesSync(systemBundle, new Date(), new Date(Date.now() + 60_000));
    cache.variables(caDir, company);
    assert.equal(reads(), 4);

    // A file the variables name is deleted: it is written again.
    rmSync(newRoots.NODE_EXTRA_CA_CERTS!);
    assert.equal(cache.variables(caDir, company).NODE_EXTRA_CA_CERTS, newRoots.NODE_EXTRA_CA_CERTS);
    assert.equal(existsSync(newRoots.NODE_EXTRA_CA_CERTS!), true);
    assert.equal(reads(), 5);

    // The root is removed (a deleted CA): no variables.
    rmSync(rootFile);
    assert.deepEqual(cache.variables(caDir, company), {});
    assert.equal(reads(), 6);
  });

  it("remembers the files as its own read left them when that read refreshed the combined bundle", () => {
    const { caDir, rootFile, systemBundle, company } = files();
    // A bundle made from other system roots than the machine's: the next read refreshes it.
    const trust = applyRuntimeTrust({ caDir, rootFile, systemBundle });
    const { cache, reads } = counted(systemBundle);
    const first = cache.variables(caDir, company);
    assert.equal(first.SSL_CERT_FILE, trust.bundleFile);
    assert.equal(reads(), 2, "read once more after its own write changed the bundle");
    assert.equal(cache.variables(caDir, company), first);
    assert.equal(reads(), 2);
  });

  it("reads again for another CA directory or another NODE_EXTRA_CA_CERTS", () => {
    const { caDir, rootFile, systemBundle, company } = files();
    const { cache, reads } = counted(systemBundle);
    cache.variables(caDir, company);
    assert.deepEqual(cache.variables(caDir, undefined), { NODE_EXTRA_CA_CERTS: rootFile });
    assert.deepEqual(cache.variables(tempDir("no-ca"), undefined), {});
    assert.equal(reads(), 3);
  });
});
