import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { adoptMkcertCa, createCa, exportPkcs12, LocalCa, writeLeafPem } from "../../../extension/core/ca/index";
import { haveTool, run, tempDir, writeTemp } from "./realClients";

describe("exporting certificates", () => {
  for (const keyType of ["ecdsa", "rsa"] as const) {
    it(`writes a PKCS#12 (${keyType} key) that openssl pkcs12 opens with the password, and not without it`, async (t) => {
      if (!haveTool(t, "openssl")) return;
      const dir = join(tempDir("p12"), "ca");
      await createCa({ dir });
      const ca = await LocalCa.open({ dir });
      const leaf = await ca.issue(["kestrel.test"], { keyType });
      const p12 = writeTemp(
        tempDir("p12-out"),
        "kestrel.p12",
        await exportPkcs12({
          chainPem: leaf.chainPem,
          keyPem: leaf.keyPem,
          password: "s3cret pw",
          friendlyName: "kestrel.test",
        }),
      );
      const opened = await run("openssl", ["pkcs12", "-in", p12, "-passin", "pass:s3cret pw", "-nodes"]);
      assert.equal(opened.code, 0, opened.stderr);
      assert.equal((opened.stdout.match(/BEGIN CERTIFICATE/g) ?? []).length, 2, "leaf and intermediate");
      assert.match(opened.stdout, /BEGIN PRIVATE KEY/);
      assert.match(opened.stdout, /friendlyName: kestrel\.test/);
      const wrong = await run("openssl", ["pkcs12", "-in", p12, "-passin", "pass:wrong", "-nodes"]);
      assert.notEqual(wrong.code, 0);
    });
  }

  it("Java keytool reads the PKCS#12 as a key entry", async (t) => {
    if (!haveTool(t, "keytool")) return;
    const dir = join(tempDir("p12-java"), "ca");
    await createCa({ dir });
    const leaf = await (await LocalCa.open({ dir })).issue(["java.test"]);
    const p12 = writeTemp(
      tempDir("p12-java-out"),
      "java.p12",
      await exportPkcs12({
        chainPem: leaf.chainPem,
        keyPem: leaf.keyPem,
        password: "changeit",
        friendlyName: "java.test",
      }),
    );
    const listed = await run("keytool", ["-list", "-keystore", p12, "-storetype", "PKCS12", "-storepass", "changeit"]);
    assert.equal(listed.code, 0, listed.stderr + listed.stdout);
    assert.match(listed.stdout, /PrivateKeyEntry/);
  });

  it("writes NAME.pem (leaf + intermediate) and NAME-key.pem (0600), with * written as _wildcard", async () => {
    const dir = join(tempDir("pem"), "ca");
    await createCa({ dir });
    const leaf = await (await LocalCa.open({ dir })).issue(["*.shop.test", "shop.test"]);
    const out = tempDir("pem-out");
    const files = writeLeafPem(leaf, out);
    assert.equal(files.certFile, join(out, "_wildcard.shop.test.pem"));
    assert.equal(files.keyFile, join(out, "_wildcard.shop.test-key.pem"));
    assert.equal(statSync(files.keyFile).mode & 0o777, 0o600);
    assert.equal((readFileSync(files.certFile, "utf8").match(/BEGIN CERTIFICATE/g) ?? []).length, 2);
  });
});

describe("adopting an mkcert CA", () => {
  it("issues leaves from an existing mkcert CAROOT that verify against mkcert's root", async (t) => {
    if (!haveTool(t, "mkcert") || !haveTool(t, "openssl")) return;
    const caroot = tempDir("mkcert-caroot");
    const home = tempDir("mkcert-home");
    const made = await run("/usr/bin/mkcert", ["-CAROOT"], { env: { ...process.env, CAROOT: caroot, HOME: home } });
    assert.equal(made.code, 0);
    // mkcert creates its CA on the first certificate; run it in a temp dir so nothing lands in the repo.
    const work = tempDir("mkcert-work");
    const first = await run(
      "/usr/bin/mkcert",
      ["-cert-file", join(work, "c.pem"), "-key-file", join(work, "k.pem"), "seed.test"],
      { env: { ...process.env, CAROOT: caroot, HOME: home, TRUST_STORES: "none" } },
    );
    assert.equal(first.code, 0, first.stderr);
    const dir = join(tempDir("adopt"), "ca");
    const result = await adoptMkcertCa({ dir, caroot });
    assert.match(result.rootSubject, /mkcert/);
    const ca = await LocalCa.open({ dir });
    assert.equal(ca.rootPem().trim(), readFileSync(join(caroot, "rootCA.pem"), "utf8").trim());
    const leaf = await ca.leafFor("adopted.test");
    const got = await run("openssl", [
      "verify",
      "-CAfile",
      join(caroot, "rootCA.pem"),
      writeTemp(tempDir("adopt-v"), "l.pem", leaf.certPem),
    ]);
    assert.equal(got.code, 0, got.stderr);
    await assert.rejects(ca.leafFor("example.com"), /outside this CA's name constraints/);
  });
});
