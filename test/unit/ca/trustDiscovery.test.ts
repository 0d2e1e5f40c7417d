import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { firefoxNssLocations } from "../../../extension/core/ca/trust/discovery/firefox";
import { writeFirefoxProfile } from "../../../extension/core/ca/trust/discovery/firefoxProfileSeed";
import { parseProfilesIni } from "../../../extension/core/ca/trust/discovery/profilesIni";
import {
  applyRuntimeTrust,
  currentRuntimeTrust,
  shellLines,
  terminalTrustVariables,
  withdrawRuntimeTrust,
} from "../../../extension/core/ca/trust/runtimeEnv";
import { invokingUser } from "../../../extension/core/ca/trust/sudoUser";
import { NssStore } from "../../../extension/core/ca/trust/nss";
import {
  createCa,
  defaultTrustContext,
  installRoot,
  loadCa,
  rootCertificate,
  type CommandRunner,
} from "../../../extension/core/ca/index";
import { chromiumNssLocations, nativeChromium } from "../../../extension/core/ca/trust/discovery/chromium";
import { outcomeFailed, outcomeState } from "../../../extension/cli/trustReport";
import { tempDir } from "./realClients";
import { needRoot } from "../requirements";

async function trustRoot() {
  const dir = join(tempDir("sudo-ca"), "ca");
  await createCa({ dir });
  return rootCertificate(loadCa(dir).rootPem, join(dir, "root.pem"));
}

describe("where Chromium keeps its NSS database", () => {
  it("uses $XDG_DATA_HOME/pki/nssdb (default ~/.local/share) when ~/.pki/nssdb does not exist, and says it will create it", () => {
    const home = tempDir("chromium-home");
    assert.deepEqual(
      chromiumNssLocations(home, undefined).map((l) => [l.dir, l.exists, l.create?.kind]),
      [[join(home, ".local/share/pki/nssdb"), false, "db"]],
    );
    assert.equal(chromiumNssLocations(home, join(home, "xdg"))[0]?.dir, join(home, "xdg/pki/nssdb"));
  });

  it("keeps using ~/.pki/nssdb while that folder exists, even empty", () => {
    const home = tempDir("chromium-legacy");
    mkdirSync(join(home, ".pki/nssdb"), { recursive: true });
    assert.deepEqual(
      chromiumNssLocations(home, undefined).map((l) => l.dir),
      [join(home, ".pki/nssdb")],
    );
  });
});

describe("Firefox profiles", () => {
  it("reads relative and absolute profiles from profiles.ini", () => {
    const text =
      "[General]\nVersion=2\n\n[Profile1]\nName=a\nIsRelative=1\nPath=x.default-esr\nDefault=1\n\n[Profile0]\nName=b\nIsRelative=0\nPath=/abs/p\n\n[Install1]\nDefault=x\n";
    assert.deepEqual(parseProfilesIni(text, "/root/ff"), [
      { name: "a", dir: "/root/ff/x.default-esr", isDefault: true },
      { name: "b", dir: "/abs/p", isDefault: false },
    ]);
  });

  it("plans a new profile for an installed Firefox with none, and writes profiles.ini and compatibility.ini for it", () => {
    const root = join(tempDir("ff"), ".config/mozilla/firefox");
    const [planned] = firefoxNssLocations([root], { root, installDir: "/usr/lib/firefox-esr" });
    assert.equal(planned?.create?.kind, "firefox-profile");
    assert.ok(planned?.create?.kind === "firefox-profile");
    const dir = writeFirefoxProfile(planned.create.seed);
    const listed = parseProfilesIni(readFileSync(join(root, "profiles.ini"), "utf8"), root);
    assert.deepEqual(
      listed.map((p) => [p.dir, p.isDefault]),
      [[dir, true]],
    );
    assert.match(readFileSync(join(dir, "compatibility.ini"), "utf8"), /LastPlatformDir=\/usr\/lib\/firefox-esr\n/);
    // A profile folder listed without a database gets one; no second new profile is planned.
    assert.deepEqual(
      firefoxNssLocations([root], { root }).map((l) => [l.dir, l.create?.kind]),
      [[dir, "db"]],
    );
  });
});

describe("runtime trust variables", () => {
  it("points NODE_EXTRA_CA_CERTS at the root and the others at system roots + root, then withdraws them", () => {
    const caDir = tempDir("runtime");
    const rootFile = join(caDir, "root.pem");
    writeFileSync(rootFile, "-----BEGIN CERTIFICATE-----\nUk9PVA==\n-----END CERTIFICATE-----\n");
    const systemBundle = join(caDir, "system.pem");
    writeFileSync(systemBundle, "-----BEGIN CERTIFICATE-----\nU1lT\n-----END CERTIFICATE-----\n");
    const paths = { caDir, rootFile, systemBundle };
    assert.deepEqual(currentRuntimeTrust(paths).variables, {});
    const trust = applyRuntimeTrust(paths);
    assert.deepEqual(trust.variables, {
      NODE_EXTRA_CA_CERTS: rootFile,
      SSL_CERT_FILE: trust.bundleFile,
      REQUESTS_CA_BUNDLE: trust.bundleFile,
      CURL_CA_BUNDLE: trust.bundleFile,
    });
    assert.match(readFileSync(trust.bundleFile, "utf8"), /U1lT[\s\S]*Uk9PVA==/);
    assert.deepEqual(currentRuntimeTrust(paths).variables, trust.variables);
    withdrawRuntimeTrust(paths);
    assert.doesNotMatch(readFileSync(trust.bundleFile, "utf8"), /Uk9PVA==/);
    assert.deepEqual(
      shellLines(currentRuntimeTrust(paths), { SSL_CERT_FILE: trust.bundleFile, CURL_CA_BUNDLE: "/etc/x" }, rootFile),
      ["unset SSL_CERT_FILE"],
    );
  });
});

describe("trust variables for VS Code terminals and tasks", () => {
  it("are none before the CA exists, the root alone, or the root beside the user's own NODE_EXTRA_CA_CERTS roots", () => {
    const caDir = tempDir("terminal-trust");
    assert.deepEqual(terminalTrustVariables(caDir, undefined), {});
    const rootFile = join(caDir, "root.pem");
    writeFileSync(rootFile, "-----BEGIN CERTIFICATE-----\nUk9PVA==\n-----END CERTIFICATE-----\n");
    assert.deepEqual(terminalTrustVariables(caDir, undefined), { NODE_EXTRA_CA_CERTS: rootFile });
    const company = join(tempDir("company"), "company.pem");
    writeFileSync(company, "-----BEGIN CERTIFICATE-----\nQ09NUEFOWQ==\n-----END CERTIFICATE-----\n");
    const joined = terminalTrustVariables(caDir, company).NODE_EXTRA_CA_CERTS ?? "";
    assert.notEqual(joined, company, "the user's file is never written");
    assert.match(readFileSync(joined, "utf8"), /Q09NUEFOWQ==[\s\S]*Uk9PVA==/);
    assert.equal(statSync(joined).mode & 0o777, 0o600);
    assert.equal(readFileSync(company, "utf8").includes("Uk9PVA=="), false);
    // After `ca trust` wrote the combined bundle: its variables too, and the user's roots still kept.
    const systemBundle = join(caDir, "system.pem");
    writeFileSync(systemBundle, "-----BEGIN CERTIFICATE-----\nU1lT\n-----END CERTIFICATE-----\n");
    const trust = applyRuntimeTrust({ caDir, rootFile, systemBundle });
    const after = terminalTrustVariables(caDir, company);
    assert.equal(after.NODE_EXTRA_CA_CERTS, joined);
    assert.equal(after.SSL_CERT_FILE, trust.bundleFile);
  });
});

describe("ca trust under sudo", () => {
  it("finds the invoking user's home from SUDO_USER and /etc/passwd, and only under sudo as root", () => {
    const passwd = "root:x:0:0:root:/root:/bin/bash\nana:x:1000:1000:Ana,,,:/home/ana:/bin/bash\n";
    const env = { SUDO_USER: "ana", SUDO_UID: "1000", SUDO_GID: "1000" };
    assert.deepEqual(
      invokingUser(env, true, () => passwd),
      { name: "ana", uid: 1000, gid: 1000, home: "/home/ana" },
    );
    assert.equal(
      invokingUser(env, false, () => passwd),
      undefined,
    );
    assert.equal(
      invokingUser({ ...env, SUDO_USER: "root", SUDO_UID: "0" }, true, () => passwd),
      undefined,
    );
  });

  it("hands the databases it creates in the user's home to that user", async (t) => {
    if (!needRoot(t, "to chown the databases to the user")) return;
    const root = await trustRoot();
    const home = tempDir("sudo-home");
    const store = new NssStore(
      defaultTrustContext({ home, env: { PATH: process.env.PATH }, owner: { uid: 4321, gid: 4322 } }),
    );
    await store.install(root);
    for (const path of [".local", ".local/share/pki", ".local/share/pki/nssdb", ".local/share/pki/nssdb/cert9.db"]) {
      const st = statSync(join(home, path));
      assert.deepEqual([path, st.uid, st.gid], [path, 4321, 4322]);
    }
  });
});

describe("ca trust's verdict per store", () => {
  it("fails (exit 1) when an installed browser's store does not trust the root afterwards, and says the fix", async () => {
    const root = await trustRoot();
    const home = tempDir("no-certutil");
    // Chromium is installed, certutil is not: the database cannot be created or written.
    const runner: CommandRunner = {
      run: async () => ({ code: 127, stdout: "", stderr: "not found" }),
      which: async (p) => (p === "chromium" ? "/usr/bin/chromium" : undefined),
    };
    const c = defaultTrustContext({ home, env: {}, runner, platform: "linux" });
    const [outcome] = await installRoot([new NssStore(c, nativeChromium(home, {}, runner))], root);
    assert.ok(outcome);
    assert.deepEqual([outcome.available, outcome.required, outcome.trusted], [true, true, false]);
    assert.match(outcome.fix ?? "", /apt install libnss3-tools/);
    assert.equal(outcomeFailed(outcome, "trust"), true);
    // A browser that is not installed is "not present", which is no failure.
    const none: CommandRunner = { ...runner, which: async () => undefined };
    const [absent] = await installRoot([new NssStore(c, nativeChromium(home, {}, none))], root);
    assert.ok(absent);
    assert.deepEqual(
      [absent.available, outcomeFailed(absent, "trust"), outcomeState(absent)],
      [false, false, "not present"],
    );
  });
});
