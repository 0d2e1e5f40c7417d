import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { spawn, type ChildProcess } from "node:child_process";
import { dirname } from "node:path";
import { runCli } from "../../../extension/cli";
import { createCa, loadCa } from "../../../extension/core/ca/index";
import { buildCertificate, issuerFromCertificate } from "../../../extension/core/ca/certificate";
import { derWith } from "../../../extension/core/ca/der";
import { basicConstraints, keyUsage, KeyUsageBit } from "../../../extension/core/ca/extensions";
import { loadAsn1 } from "../../../extension/core/ca/forge";
import { readPrivateKey } from "../../../extension/core/ca/store";
import type { CliIO } from "../../../extension/cli/command";
import { tempDir } from "./realClients";
import { needRoot } from "../requirements";

/** chown to another user (nobody) needs root. */

async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const io: CliIO = {
    stdout: (t) => void (out += t),
    stderr: (t) => void (err += t),
    cwd: tempDir("cli-cwd"),
    env: { PATH: process.env.PATH, HOME: tempDir("cli-home"), ...env },
    confirm: async () => false,
    signal: new AbortController().signal,
  };
  return { code: await runCli(["ca", ...args], io), out, err };
}

describe("switchyard ca", () => {
  it("creates a CA, reports status as JSON with paths, fingerprint and trust per store", async () => {
    const dir = join(tempDir("cli"), "ca");
    const created = await cli(["create", "--ca-dir", dir]);
    assert.equal(created.code, 0, created.err);
    assert.match(created.out, /Created local CA/);
    const status = await cli(["status", "--json", "--ca-dir", dir]);
    assert.equal(status.code, 0, status.err);
    const json = JSON.parse(status.out) as {
      paths: Record<string, string>;
      rootFingerprint256: string;
      trust: { store: string }[];
      constraints: { dns: string[] };
    };
    assert.equal(json.paths.root, join(dir, "root.pem"));
    assert.equal(json.paths.intermediate, join(dir, "intermediate.pem"));
    assert.equal(json.paths.intermediateKey, join(dir, "intermediate-key.pem"));
    assert.match(json.rootFingerprint256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    assert.ok(json.trust.some((t) => t.store === "chromium"));
    assert.ok(json.trust.some((t) => t.store === "firefox"));
    assert.ok(json.constraints.dns.includes("test"));
    const again = await cli(["create", "--ca-dir", dir]);
    assert.equal(again.code, 1);
    assert.match(again.err, /already exists.*--force/);
  });

  it("finds the CA through $SWITCHYARD_CAROOT", async () => {
    const dir = join(tempDir("cli-env"), "ca");
    assert.equal((await cli(["create"], { SWITCHYARD_CAROOT: dir })).code, 0);
    assert.ok(existsSync(join(dir, "root.pem")));
  });

  it("issue writes <name>.pem and <name>-key.pem into --out, with * as _wildcard", async () => {
    const dir = join(tempDir("cli-issue"), "ca");
    await cli(["create", "--ca-dir", dir]);
    const out = tempDir("cli-out");
    const issued = await cli(["issue", "*.shop.test", "shop.test", "--out", out, "--key-type", "rsa", "--ca-dir", dir]);
    assert.equal(issued.code, 0, issued.err);
    assert.match(
      readFileSync(join(out, "_wildcard.shop.test.pem"), "utf8"),
      /BEGIN CERTIFICATE[\s\S]+BEGIN CERTIFICATE/,
    );
    assert.match(readFileSync(join(out, "_wildcard.shop.test-key.pem"), "utf8"), /BEGIN PRIVATE KEY/);
    assert.match(issued.out, /Vite/);
  });

  it("export writes the root, and with --p12 a PKCS#12 bundle", async () => {
    const dir = join(tempDir("cli-export"), "ca");
    await cli(["create", "--ca-dir", dir]);
    const out = tempDir("cli-export-out");
    assert.equal((await cli(["export", "--out", out, "--ca-dir", dir])).code, 0);
    assert.ok(existsSync(join(out, "switchyard-root.pem")));
    const p12 = await cli(["export", "app.test", "--p12", "--password", "pw", "--out", out, "--ca-dir", dir]);
    assert.equal(p12.code, 0, p12.err);
    assert.ok(existsSync(join(out, "app.test.p12")));
  });

  it("refuses a name outside the constraints with exit 1 and the reason", async () => {
    const dir = join(tempDir("cli-refuse"), "ca");
    await cli(["create", "--ca-dir", dir]);
    const refused = await cli(["issue", "example.com", "--ca-dir", dir]);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /outside this CA's name constraints/);
  });

  it("exits 2 on usage errors", async () => {
    assert.equal((await cli([])).code, 2);
    assert.equal((await cli(["issue"])).code, 2);
    assert.equal((await cli(["issue", "a.test", "--key-type", "dsa"])).code, 2);
    assert.equal((await cli(["export", "--p12"])).code, 2);
    assert.equal((await cli(["trust", "--store", "nope"])).code, 2);
  });

  it("exits 1 with a clear message when there is no CA", async () => {
    const missing = await cli(["status", "--ca-dir", join(tempDir("cli-missing"), "ca")]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /no local CA .*switchyard ca create/);
  });
});

describe("switchyard ca: files it writes", () => {
  const NOBODY = 65534;

  async function caWithOut(prefix: string): Promise<{ dir: string; out: string }> {
    const dir = join(tempDir(`${prefix}-ca`), "ca");
    assert.equal((await cli(["create", "--ca-dir", dir])).code, 0);
    return { dir, out: tempDir(`${prefix}-out`) };
  }

  it("refuses to write a key through a planted symlink, and the link's target keeps its content", async () => {
    const { dir, out } = await caWithOut("planted-link");
    const victim = join(tempDir("planted-victim"), "v");
    writeFileSync(victim, "precious\n");
    symlinkSync(victim, join(out, "a.test-key.pem"));
    const issued = await cli(["issue", "a.test", "--out", out, "--ca-dir", dir]);
    assert.equal(issued.code, 1, issued.out);
    assert.match(issued.err, /a\.test-key\.pem is a symbolic link.*nothing was written/);
    assert.equal(readFileSync(victim, "utf8"), "precious\n");
    assert.ok(lstatSync(join(out, "a.test-key.pem")).isSymbolicLink());
    assert.ok(!existsSync(join(out, "a.test.pem")), "neither file is written when one is refused");
  });

  it("refuses to export the root through a planted symlink", async () => {
    const { dir, out } = await caWithOut("planted-root");
    const victim = join(tempDir("planted-root-victim"), "v");
    writeFileSync(victim, "precious\n");
    symlinkSync(victim, join(out, "switchyard-root.pem"));
    const exported = await cli(["export", "--out", out, "--ca-dir", dir]);
    assert.equal(exported.code, 1);
    assert.match(exported.err, /symbolic link/);
    assert.equal(readFileSync(victim, "utf8"), "precious\n");
  });

  it("refuses a key file another user created in a shared folder, instead of reusing it with its mode", async (t) => {
    if (!needRoot(t, "to chown files to a second user (nobody)")) return;
    const { dir } = await caWithOut("foreign");
    const shared = tempDir("foreign-shared");
    chmodSync(shared, 0o1777);
    const planted = join(shared, "a.test-key.pem");
    writeFileSync(planted, "");
    chmodSync(planted, 0o666);
    chownSync(planted, NOBODY, NOBODY);
    const issued = await cli(["issue", "a.test", "--out", shared, "--ca-dir", dir]);
    assert.equal(issued.code, 1);
    assert.match(issued.err, /belongs to another user \(uid 65534\)/);
    assert.equal(readFileSync(planted, "utf8"), "", "the planted file never receives the key");
  });

  it("writes the key as a new 0600 file even over an old world-readable key of the user's own", async () => {
    const { dir, out } = await caWithOut("own-old");
    const old = join(out, "a.test-key.pem");
    writeFileSync(old, "old");
    chmodSync(old, 0o644);
    const oldInode = statSync(old).ino;
    const issued = await cli(["issue", "a.test", "--out", out, "--ca-dir", dir]);
    assert.equal(issued.code, 0, issued.err);
    assert.equal(statSync(old).mode & 0o777, 0o600);
    assert.notEqual(statSync(old).ino, oldInode, "a new file, not the old one rewritten");
    assert.match(readFileSync(old, "utf8"), /BEGIN PRIVATE KEY/);
    assert.deepEqual(
      readdirSync(out).filter((f) => f.endsWith(".tmp")),
      [],
      "no temp file is left behind",
    );
  });

  it("does not create a missing --out folder", async () => {
    const { dir, out } = await caWithOut("no-out");
    const missing = join(out, "nonexistent", "dir");
    const issued = await cli(["issue", "a.test", "--out", missing, "--ca-dir", dir]);
    assert.equal(issued.code, 1);
    assert.match(issued.err, /does not exist; create it first/);
    assert.ok(!existsSync(join(out, "nonexistent")));
  });
});

describe("switchyard ca: a CA from before intermediates were limited to TLS", () => {
  /** A CA whose intermediate is re-signed the old way: no ExtendedKeyUsage, no name constraints. */
  async function oldStyleCa(): Promise<string> {
    const dir = join(tempDir("old-style"), "ca");
    await createCa({ dir, keepRootKey: true });
    const ca = loadCa(dir);
    const der = derWith(await loadAsn1());
    const rootKey = readPrivateKey(join(dir, "root-key.pem"));
    const old = buildCertificate(der, {
      subject: { O: "Switchyard development CA", CN: "old intermediate" },
      issuer: issuerFromCertificate(der, ca.root.raw, rootKey),
      key: ca.issuerKey,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 365 * 86_400_000),
      extensions: [
        basicConstraints(der, true, 0),
        keyUsage(der, [KeyUsageBit.digitalSignature, KeyUsageBit.keyCertSign, KeyUsageBit.cRLSign]),
      ],
    });
    writeFileSync(join(dir, "intermediate.pem"), old.pem);
    return dir;
  }

  it("ca status says the CA predates the limit, and ca create --force replaces it and says how to untrust the old root", async () => {
    const dir = await oldStyleCa();
    const status = await cli(["status", "--ca-dir", dir]);
    assert.equal(status.code, 0, status.err);
    assert.match(status.out, /predates intermediates limited to TLS[\s\S]*switchyard ca create --force/);
    const json = JSON.parse((await cli(["status", "--json", "--ca-dir", dir])).out) as { issuerLimitedToTls: boolean };
    assert.equal(json.issuerLimitedToTls, false);

    const replaced = await cli(["create", "--force", "--ca-dir", dir]);
    assert.equal(replaced.code, 0, replaced.err);
    assert.match(replaced.out, /Moved the previous CA to .*\n.*switchyard ca untrust --ca-dir '[^']+replaced-/);
    const after = await cli(["status", "--ca-dir", dir]);
    assert.doesNotMatch(after.out, /predates/);
  });
});

describe("switchyard ca: a CA others can reach is not signed with", () => {
  async function ca(prefix: string): Promise<{ dir: string; out: string }> {
    const dir = join(tempDir(prefix), "ca");
    assert.equal((await cli(["create", "--ca-dir", dir])).code, 0);
    return { dir, out: tempDir(`${prefix}-out`) };
  }

  it("refuses a CA folder anyone can write (chmod 777) and says chmod 700", async () => {
    const { dir, out } = await ca("perm-folder");
    chmodSync(dir, 0o777);
    const issued = await cli(["issue", "a.test", "--out", out, "--ca-dir", dir]);
    assert.equal(issued.code, 1);
    assert.match(issued.err, /writable by other users \(mode 0777\).*chmod 700/);
    assert.deepEqual(readdirSync(out), []);
  });

  it("refuses a key file others can read (0644 or 0666) and says chmod 600", async () => {
    const { dir, out } = await ca("perm-key");
    for (const mode of [0o644, 0o666]) {
      chmodSync(join(dir, "intermediate-key.pem"), mode);
      const issued = await cli(["issue", "a.test", "--out", out, "--ca-dir", dir]);
      assert.equal(issued.code, 1);
      assert.match(issued.err, /readable or writable by other users.*chmod 600/);
    }
    chmodSync(join(dir, "intermediate-key.pem"), 0o600);
    assert.equal((await cli(["issue", "a.test", "--out", out, "--ca-dir", dir])).code, 0, "fixed as told, it signs");
  });

  it("refuses a CA whose folder or key belongs to another user", async (t) => {
    if (!needRoot(t, "to chown files to a second user (nobody)")) return;
    const { dir, out } = await ca("perm-owner");
    chownSync(join(dir, "intermediate-key.pem"), 65534, 65534);
    const keyOwned = await cli(["issue", "a.test", "--out", out, "--ca-dir", dir]);
    assert.equal(keyOwned.code, 1);
    assert.match(keyOwned.err, /intermediate-key\.pem belongs to another user \(uid 65534\)/);
    chownSync(dir, 65534, 65534);
    const folderOwned = await cli(["issue", "a.test", "--out", out, "--ca-dir", dir]);
    assert.match(folderOwned.err, /ca belongs to another user \(uid 65534\)/);
  });
});

describe("switchyard ca: smaller edges", () => {
  const ROOT = join(__dirname, "..", "..", "..");

  /**
   * createCa({ dir, force: true }) in its own process, started by `go()` once `ready` (loaded), so
   * that several processes really run at the same moment however long each took to load (a start
   * time on the clock would pass before a slow process on a loaded machine got there). Bounded by
   * a timeout, and killed when the test ends.
   */
  function racer(dir: string): { ready: Promise<void>; go(): void; done: Promise<{ code: number; err: string }> } {
    const script =
      `const { createCa } = require("./extension/core/ca/index");` +
      `const { loadAsn1 } = require("./extension/core/ca/forge");` +
      `loadAsn1().then(() => new Promise((go) => { process.stdin.once("data", go); process.stdout.write("ready\\n"); }))` +
      `.then(() => createCa({ dir: ${JSON.stringify(dir)}, force: true }))` +
      `.then(() => process.exit(0), (e) => { console.error(e.message); process.exit(1); });`;
    const child = spawn(process.execPath, ["--import", "tsx", "-e", script], {
      cwd: ROOT,
      stdio: ["pipe", "pipe", "pipe"],
      timeout: 60_000,
    });
    racers.add(child);
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    return {
      ready: new Promise((resolve, reject) => {
        child.stdout.once("data", () => resolve());
        child.once("exit", (code) => reject(new Error(`a racer exited (${code}) before it was ready: ${err}`)));
      }),
      go: () => child.stdin.end("go\n"),
      done: new Promise((resolve) => child.on("close", (code) => resolve({ code: code ?? -1, err }))),
    };
  }
  const racers = new Set<ChildProcess>();
  afterEach(() => {
    for (const child of racers) child.kill("SIGKILL");
    racers.clear();
  });

  it("concurrent ca create --force all succeed, each moving the previous CA aside", async () => {
    const dir = join(tempDir("race"), "ca");
    assert.equal((await cli(["create", "--ca-dir", dir])).code, 0);
    const all = Array.from({ length: 6 }, () => racer(dir));
    await Promise.all(all.map((r) => r.ready));
    for (const r of all) r.go();
    const results = await Promise.all(all.map((r) => r.done));
    for (const r of results) assert.equal(r.code, 0, r.err);
    assert.equal((await cli(["status", "--ca-dir", dir])).code, 0, "the CA left in place is complete");
    const siblings = readdirSync(dirname(dir));
    assert.equal(siblings.filter((e) => e.startsWith("ca.replaced-")).length, 6, siblings.join(", "));
    assert.deepEqual(
      siblings.filter((e) => e.includes(".tmp-")),
      [],
    );
  });

  it("refuses a bare suffix and a name with _ (the rule hosts add uses)", async () => {
    const dir = join(tempDir("names"), "ca");
    await cli(["create", "--ca-dir", dir]);
    const bare = await cli(["issue", "test", "--ca-dir", dir]);
    assert.equal(bare.code, 1);
    assert.match(bare.err, /"test" is a whole suffix, not a host name; use a name under it, such as my-app\.test/);
    const underscore = await cli(["issue", "a_b.test", "--ca-dir", dir]);
    assert.equal(underscore.code, 1);
    assert.match(underscore.err, /"a_b\.test" is not a valid DNS name .*no "_"/);
  });
});
