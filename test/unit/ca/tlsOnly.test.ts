/**
 * What a leaked intermediate key can sign: certificates signed directly with it (bypassing the CA's
 * own checks) for e-mail or for a foreign subject are refused by OpenSSL's verifier; TLS
 * server and client leaves of the CA still verify.
 */
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync, X509Certificate } from "node:crypto";
import { join } from "node:path";
import { createCa, LocalCa, loadCa, type CaMaterial } from "../../../extension/core/ca/index";
import { buildCertificate, issuerFromCertificate, type NameAttributes } from "../../../extension/core/ca/certificate";
import { derWith, type Der } from "../../../extension/core/ca/der";
import { basicConstraints, keyUsage, type Extension } from "../../../extension/core/ca/extensions";
import { loadAsn1 } from "../../../extension/core/ca/forge";
import { LEAF_ORGANISATION } from "../../../extension/core/ca/leaf";
import { haveTool, run, tempDir, writeTemp } from "./realClients";

const EKU = { serverAuth: "1.3.6.1.5.5.7.3.1", clientAuth: "1.3.6.1.5.5.7.3.2", email: "1.3.6.1.5.5.7.3.4" } as const;

for (const unconstrained of [false, true]) {
  describe(`a leaked intermediate key (${unconstrained ? "unconstrained" : "constrained"} CA) signs for TLS only`, () => {
    let dir: string;
    let ca: CaMaterial;
    let der: Der;

    before(async () => {
      dir = join(tempDir("tls-only"), "ca");
      await createCa({ dir, unconstrained });
      ca = loadCa(dir);
      der = derWith(await loadAsn1());
    });

    /** A leaf signed with the intermediate's key, as anyone holding that key could. */
    const forge = (subject: NameAttributes, eku: string[], san: { dns?: string; email?: string }): string => {
      const sans = [
        ...(san.dns ? [der.context(2, Buffer.from(san.dns))] : []),
        ...(san.email ? [der.context(1, Buffer.from(san.email))] : []),
      ];
      const extensions: Extension[] = [
        basicConstraints(der, false),
        keyUsage(der, [0, 2]),
        { oid: "2.5.29.37", critical: false, value: der.seq(eku.map((o) => der.oid(o))) },
        { oid: "2.5.29.17", critical: false, value: der.seq(sans) },
      ];
      return buildCertificate(der, {
        subject,
        issuer: issuerFromCertificate(der, ca.issuer.raw, ca.issuerKey),
        key: generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey,
        notBefore: new Date(Date.now() - 60_000),
        notAfter: new Date(Date.now() + 30 * 86_400_000),
        extensions,
      }).pem;
    };

    const verify = async (leafPem: string, purpose: string): Promise<{ ok: boolean; text: string }> => {
      const leaf = writeTemp(tempDir("tls-only-leaf"), "leaf.pem", leafPem);
      const r = await run("openssl", [
        "verify",
        "-CAfile",
        join(dir, "root.pem"),
        "-untrusted",
        join(dir, "intermediate.pem"),
        "-purpose",
        purpose,
        leaf,
      ]);
      return { ok: r.code === 0, text: r.stdout + r.stderr };
    };

    it("the intermediate carries ExtendedKeyUsage serverAuth and clientAuth, nothing else", () => {
      assert.deepEqual(new X509Certificate(ca.issuerPem).keyUsage, [EKU.serverAuth, EKU.clientAuth]);
    });

    it("OpenSSL refuses an S/MIME certificate for ceo@bank.example signed with the intermediate's key", async (t) => {
      if (!haveTool(t, "openssl")) return;
      const smime = forge({ O: LEAF_ORGANISATION }, [EKU.email], { email: "ceo@bank.example" });
      assert.ok(new X509Certificate(smime).verify(ca.issuer.publicKey), "really signed by the intermediate");
      for (const purpose of ["smimesign", "smimeencrypt"]) {
        const r = await verify(smime, purpose);
        assert.equal(r.ok, false, `${purpose}: ${r.text}`);
      }
    });

    it("OpenSSL refuses an e-mail address even in a TLS certificate (name constraints, not only the usage)", async (t) => {
      if (!haveTool(t, "openssl")) return;
      const mixed = forge({ O: LEAF_ORGANISATION, CN: "a.test" }, [EKU.serverAuth], {
        dns: "a.test",
        email: "ceo@bank.example",
      });
      const r = await verify(mixed, "sslserver");
      assert.equal(r.ok, false, r.text);
      assert.match(r.text, /subtree violation/);
    });

    it("OpenSSL refuses a TLS certificate whose subject names another organisation", async (t) => {
      if (!haveTool(t, "openssl")) return;
      const r = await verify(forge({ O: "Bank", CN: "a.test" }, [EKU.serverAuth], { dns: "a.test" }), "sslserver");
      assert.equal(r.ok, false, r.text);
      assert.match(r.text, /subtree violation/);
    });

    it("the CA's own server and client leaves verify for TLS", async (t) => {
      if (!haveTool(t, "openssl")) return;
      const local = await LocalCa.open({ dir, diskCache: false });
      const server = await local.issue(["a.test", "127.0.0.1"]);
      assert.ok((await verify(server.certPem, "sslserver")).ok);
      const client = await local.issue(["client.test"], { clientAuth: true });
      const r = await verify(client.certPem, "sslclient");
      assert.ok(r.ok, r.text);
    });
  });
}
