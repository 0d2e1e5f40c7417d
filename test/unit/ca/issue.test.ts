import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { createCa, LocalCa, NameNotPermittedError } from "../../../extension/core/ca/index";
import { run, tempDir, writeTemp } from "./realClients";

async function freshCa(options: Partial<Parameters<typeof LocalCa.open>[0]> = {}): Promise<LocalCa> {
  const dir = join(tempDir("issue"), "ca");
  await createCa({ dir });
  return LocalCa.open({ dir, ...options });
}

describe("issuing leaves", () => {
  it("issues an ECDSA P-256 serverAuth leaf with SANs that openssl verifies against the root", async () => {
    const ca = await freshCa();
    const leaf = await ca.issue(["My-Awesome-Service.test", "*.api.test", "127.0.0.1", "::1"]);
    assert.deepEqual(leaf.names, ["my-awesome-service.test", "*.api.test", "127.0.0.1", "::1"]);
    const cert = new X509Certificate(leaf.certPem);
    assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, "prime256v1");
    assert.equal(
      cert.subjectAltName,
      "DNS:my-awesome-service.test, DNS:*.api.test, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1",
    );
    assert.equal(leaf.fingerprint256, cert.fingerprint256);
    assert.ok(cert.checkHost("my-awesome-service.test"));
    assert.ok(cert.checkHost("x.api.test"));
    assert.ok(cert.checkIP("127.0.0.1"));
    const days = (leaf.notAfter.getTime() - leaf.notBefore.getTime()) / 86_400_000;
    assert.ok(days <= 397.01, `validity ${days} days`);
    const dir = tempDir("verify");
    const rootFile = writeTemp(dir, "root.pem", ca.rootPem());
    const chainFile = writeTemp(dir, "chain.pem", leaf.chainPem.slice(leaf.certPem.length));
    const leafFile = writeTemp(dir, "leaf.pem", leaf.certPem);
    const verified = await run("openssl", [
      "verify",
      "-CAfile",
      rootFile,
      "-untrusted",
      chainFile,
      "-purpose",
      "sslserver",
      leafFile,
    ]);
    assert.equal(verified.code, 0, verified.stderr);
    const text = (await run("openssl", ["x509", "-in", leafFile, "-noout", "-text"])).stdout;
    assert.match(text, /TLS Web Server Authentication/);
    assert.doesNotMatch(text, /Client Authentication/);
    assert.match(text, /CA:FALSE/);
  });

  it("adds clientAuth on request and issues RSA-2048 leaves when asked", async () => {
    const ca = await freshCa();
    const leaf = await ca.issue(["client.test"], { keyType: "rsa", clientAuth: true });
    const cert = new X509Certificate(leaf.certPem);
    assert.equal(cert.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
    assert.equal(leaf.keyType, "rsa");
    const text = (await run("openssl", ["x509", "-noout", "-text"], { input: leaf.certPem })).stdout;
    assert.match(text, /TLS Web Server Authentication, TLS Web Client Authentication/);
    assert.match(text, /Digital Signature, Key Encipherment/);
  });

  it("gives an IP-only leaf no common name, so the DNS constraints never apply to it", async () => {
    const ca = await freshCa();
    const leaf = await ca.leafFor("127.0.0.1");
    assert.doesNotMatch(new X509Certificate(leaf.certPem).subject, /CN=/);
  });

  it("refuses names outside the constraints and bare-TLD wildcards with NameNotPermittedError", async () => {
    const ca = await freshCa();
    await assert.rejects(
      ca.leafFor("example.com"),
      (e: unknown) =>
        e instanceof NameNotPermittedError &&
        e.hostname === "example.com" &&
        /switchyard.ca.permittedNames/.test(e.message),
    );
    await assert.rejects(ca.leafFor("*.test"), /wildcard directly under a top-level label/);
    await assert.rejects(ca.issue(["ok.test", "*.localhost"]), NameNotPermittedError);
    await assert.rejects(ca.issue([]), /at least one/);
    assert.match(ca.refusalFor("8.8.8.8") ?? "", /outside this CA's permitted IP ranges/);
  });

  it("shares one issuance (one key) between concurrent requests for the same name", async () => {
    const ca = await freshCa();
    const leaves = await Promise.all(Array.from({ length: 20 }, () => ca.leafFor("busy.test")));
    assert.equal(new Set(leaves.map((l) => l.keyPem)).size, 1);
    assert.equal(new Set(leaves.map((l) => l.fingerprint256)).size, 1);
    const contexts = await Promise.all([ca.secureContextFor("busy.test"), ca.secureContextFor("busy.test")]);
    assert.equal(contexts[0], contexts[1]);
  });

  it("serves later requests from memory, and after a restart from the on-disk cache", async () => {
    const dir = join(tempDir("disk"), "ca");
    await createCa({ dir });
    const first = await LocalCa.open({ dir });
    const a = await first.leafFor("cached.test");
    assert.equal(await first.leafFor("cached.test"), a);
    await first.diskWritesDone();
    assert.ok(readdirSync(join(dir, "leaves")).includes("cached.test-key.pem"));
    const second = await LocalCa.open({ dir });
    const b = await second.leafFor("cached.test");
    assert.equal(b.fingerprint256, a.fingerprint256);
    assert.equal(b.keyPem, a.keyPem);
  });

  it("renews a leaf before it expires", async () => {
    let now = new Date();
    const ca = await freshCa({ now: () => now, validityDays: 90, diskCache: true });
    const a = await ca.leafFor("renew.test");
    now = new Date(now.getTime() + 50 * 86_400_000);
    assert.equal((await ca.leafFor("renew.test")).fingerprint256, a.fingerprint256, "still fresh: reused");
    now = new Date(now.getTime() + 15 * 86_400_000);
    const b = await ca.leafFor("renew.test");
    assert.notEqual(b.fingerprint256, a.fingerprint256);
    assert.ok(b.notAfter > a.notAfter);
  });

  it("caps leaf validity at 397 days", async () => {
    const ca = await freshCa({ validityDays: 5000, diskCache: false });
    const leaf = await ca.leafFor("long.test");
    assert.ok(leaf.notAfter.getTime() - Date.now() <= 397 * 86_400_000 + 1000);
  });
});
