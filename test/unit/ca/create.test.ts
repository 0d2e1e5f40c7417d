import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { hostname, userInfo } from "node:os";
import { join } from "node:path";
import {
  CaExistsError,
  CaFileError,
  CaIncompleteError,
  CaNotFoundError,
  createCa,
  inspectCaDir,
  LocalCa,
  loadCa,
  resolveCaDir,
} from "../../../extension/core/ca/index";
import { run, tempDir } from "./realClients";

const mode = (p: string): number => statSync(p).mode & 0o777;

describe("creating the CA", () => {
  it("writes root and intermediate with directory 0700 and keys 0600, and destroys the root key", async () => {
    const dir = join(tempDir("create"), "ca");
    const result = await createCa({ dir });
    assert.equal(mode(dir), 0o700);
    assert.equal(mode(join(dir, "intermediate-key.pem")), 0o600);
    assert.ok(!existsSync(join(dir, "root-key.pem")), "the root key must not be written");
    assert.match(result.rootSubject, new RegExp(`${userInfo().username}@${hostname()}`));
    const root = new X509Certificate(readFileSync(join(dir, "root.pem")));
    assert.equal(root.publicKey.asymmetricKeyDetails?.namedCurve, "secp384r1");
    assert.ok(root.ca);
    const verified = await run("openssl", ["verify", "-CAfile", join(dir, "root.pem"), join(dir, "intermediate.pem")]);
    assert.equal(verified.code, 0, verified.stderr);
  });

  it("gives every root a unique name including user and host", async () => {
    const base = tempDir("unique");
    const a = await createCa({ dir: join(base, "a"), user: "ada", host: "box" });
    const b = await createCa({ dir: join(base, "b"), user: "ada", host: "box" });
    assert.match(a.rootSubject, /ada@box/);
    assert.notEqual(a.rootSubject, b.rootSubject);
  });

  it("keeps the root key (0600) only when asked, and makes an RSA-3072 root on request", async () => {
    const dir = join(tempDir("keep"), "ca");
    await createCa({ dir, keepRootKey: true, rootKeyType: "rsa" });
    assert.equal(mode(join(dir, "root-key.pem")), 0o600);
    const root = new X509Certificate(readFileSync(join(dir, "root.pem")));
    assert.equal(root.publicKey.asymmetricKeyDetails?.modulusLength, 3072);
    const inter = new X509Certificate(readFileSync(join(dir, "intermediate.pem")));
    assert.ok(inter.verify(root.publicKey));
  });

  it("puts critical name constraints on the intermediate and non-critical ones on the root", async () => {
    const dir = join(tempDir("nc"), "ca");
    await createCa({ dir, permittedNames: [".corp.example"], permittedIpRanges: ["10.0.0.0/8"] });
    const text = async (f: string) => (await run("openssl", ["x509", "-in", join(dir, f), "-noout", "-text"])).stdout;
    const inter = await text("intermediate.pem");
    assert.match(inter, /Name Constraints: critical/);
    for (const n of [
      "DNS:localhost",
      "DNS:test",
      "DNS:internal",
      "DNS:home.arpa",
      "DNS:local",
      "DNS:corp.example",
      "IP:127.0.0.0/255.0.0.0",
      "IP:10.0.0.0/255.0.0.0",
    ]) {
      assert.ok(inter.includes(n), `${n} missing`);
    }
    assert.match(inter, /IP:0:0:0:0:0:0:0:1\/FFFF(:FFFF){7}/);
    assert.match(await text("root.pem"), /Name Constraints:\s*\n\s*Permitted/);
  });

  it("constrains no DNS names or IP ranges in unconstrained mode (only e-mail and subject names)", async () => {
    const dir = join(tempDir("unconstrained"), "ca");
    await createCa({ dir, unconstrained: true });
    const out = await run("openssl", ["x509", "-in", join(dir, "intermediate.pem"), "-noout", "-text"]);
    const constraints = /Name Constraints: critical\n\s+Permitted:\n((?:\s{2,}.*\n)+)/.exec(out.stdout)?.[1] ?? "";
    assert.match(constraints, /email:invalid/);
    assert.match(constraints, /DirName:O = Switchyard development certificate/);
    assert.doesNotMatch(constraints, /DNS:|IP:/);
    const ca = await LocalCa.open({ dir, diskCache: false });
    assert.equal(ca.refusalFor("example.com"), undefined);
  });

  it("refuses to replace a CA without force, and moves the old one aside with force", async () => {
    const dir = join(tempDir("exists"), "ca");
    await createCa({ dir });
    const before = readFileSync(join(dir, "root.pem"), "utf8");
    await assert.rejects(createCa({ dir }), CaExistsError);
    const replaced = await createCa({ dir, force: true });
    assert.ok(replaced.movedAside && readFileSync(join(replaced.movedAside, "root.pem"), "utf8") === before);
    assert.notEqual(readFileSync(join(dir, "root.pem"), "utf8"), before);
  });
});

describe("a damaged CA directory", () => {
  it("detects a half-written CA (crash mid-create), never uses it, and recreates it on create", async () => {
    const base = tempDir("half");
    const dir = join(base, "ca");
    mkdirSync(dir);
    writeFileSync(join(dir, "root.pem"), "-----BEGIN CERTIFICATE-----\nMIIB\n");
    mkdirSync(join(base, `ca.tmp-${2 ** 22 + 12345}-abcd`)); // what an interrupted atomic write of a dead process leaves
    assert.equal(inspectCaDir(dir), "incomplete");
    assert.throws(() => loadCa(dir), CaIncompleteError);
    await assert.rejects(LocalCa.open({ dir }), /half-written CA .*switchyard ca create/);
    const result = await createCa({ dir });
    assert.ok(result.repaired);
    assert.ok(result.movedAside && existsSync(join(result.movedAside, "root.pem")));
    assert.ok(!readdirSync(base).some((e) => e.includes(".tmp-")), "stale temp dirs are removed");
    assert.equal(inspectCaDir(dir), "complete");
  });

  it("reports a corrupt intermediate key with the file name and a recovery, leaving it untouched", async () => {
    const dir = join(tempDir("corrupt"), "ca");
    await createCa({ dir });
    const keyFile = join(dir, "intermediate-key.pem");
    const garbage = "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n";
    writeFileSync(keyFile, garbage);
    const error = await LocalCa.open({ dir }).then(
      () => assert.fail("opened a CA with a corrupt key"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof CaFileError);
    assert.equal(error.file, keyFile);
    assert.match(error.message, /intermediate-key\.pem is corrupt .*nothing was changed.*switchyard ca create/s);
    await assert.rejects(createCa({ dir }), CaExistsError);
    assert.equal(readFileSync(keyFile, "utf8"), garbage);
  });

  it("reports a corrupt root certificate and a key that does not match its certificate", async () => {
    const dir = join(tempDir("mismatch"), "ca");
    const other = join(tempDir("mismatch-other"), "ca");
    await createCa({ dir });
    await createCa({ dir: other });
    writeFileSync(join(dir, "intermediate-key.pem"), readFileSync(join(other, "intermediate-key.pem")));
    assert.throws(
      () => loadCa(dir),
      (e: unknown) => e instanceof CaFileError && e.problem === "mismatched",
    );
    writeFileSync(join(dir, "root.pem"), "garbage");
    assert.throws(() => loadCa(dir), /root\.pem is corrupt/);
  });

  it("reports a missing CA with the command that creates one", () => {
    assert.throws(() => loadCa(join(tempDir("none"), "ca")), CaNotFoundError);
    assert.throws(() => loadCa(join(tempDir("none"), "ca")), /switchyard ca create/);
  });

  it("reports an unreadable ca.json naming the file", async (t) => {
    if (process.getuid?.() === 0) {
      const dir = join(tempDir("unreadable"), "ca");
      await createCa({ dir });
      writeFileSync(join(dir, "ca.json"), "{oops");
      assert.throws(() => loadCa(dir), /ca\.json is corrupt/);
      return;
    }
    const dir = join(tempDir("unreadable"), "ca");
    await createCa({ dir });
    chmodSync(join(dir, "intermediate-key.pem"), 0o000);
    t.after(() => chmodSync(join(dir, "intermediate-key.pem"), 0o600));
    assert.throws(() => loadCa(dir), /unreadable.*permissions/s);
  });
});

describe("where the CA lives", () => {
  it("uses the explicit dir, then $SWITCHYARD_CAROOT, then the per-user data dir of each OS", () => {
    assert.equal(resolveCaDir({ explicit: "/x", env: { SWITCHYARD_CAROOT: "/y" } }), "/x");
    assert.equal(resolveCaDir({ env: { SWITCHYARD_CAROOT: "/y" } }), "/y");
    assert.equal(resolveCaDir({ env: { XDG_DATA_HOME: "/d" }, platform: "linux", home: "/h" }), "/d/switchyard/ca");
    assert.equal(resolveCaDir({ env: {}, platform: "linux", home: "/h" }), "/h/.local/share/switchyard/ca");
    assert.equal(
      resolveCaDir({ env: {}, platform: "darwin", home: "/h" }),
      "/h/Library/Application Support/switchyard/ca",
    );
    assert.match(
      resolveCaDir({ env: { LOCALAPPDATA: "C:\\Users\\a\\AppData\\Local" }, platform: "win32", home: "/h" }),
      /Local.switchyard.ca$/,
    );
  });
});
