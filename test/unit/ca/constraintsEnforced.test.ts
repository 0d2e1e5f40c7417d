/**
 * The name constraints hold in real verifiers: a leaf for example.com signed directly with the
 * intermediate's key (bypassing the CA's own refusal) is rejected by OpenSSL, Node, curl and Chromium.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { connect } from "node:tls";
import { join } from "node:path";
import { createCa, defaultTrustContext, loadCa, rootCertificate } from "../../../extension/core/ca/index";
import { buildCertificate, issuerFromCertificate } from "../../../extension/core/ca/certificate";
import { derWith } from "../../../extension/core/ca/der";
import { basicConstraints, extKeyUsage, keyUsage, subjectAltName } from "../../../extension/core/ca/extensions";
import { loadAsn1 } from "../../../extension/core/ca/forge";
import { NssStore } from "../../../extension/core/ca/trust/nss";
import { chromiumDumpDom, haveTool, MARKER, run, startTlsServer, tempDir, tempNssHome, writeTemp } from "./realClients";

describe("name constraints are enforced by real verifiers", () => {
  let dir: string;
  let chainPem: string;
  let leafPem: string;
  let server: Awaited<ReturnType<typeof startTlsServer>>;

  before(async () => {
    dir = join(tempDir("forged"), "ca");
    await createCa({ dir });
    const ca = loadCa(dir);
    const der = derWith(await loadAsn1());
    const key = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey;
    const forged = buildCertificate(der, {
      subject: { CN: "example.com" },
      issuer: issuerFromCertificate(der, ca.issuer.raw, ca.issuerKey),
      key,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 30 * 86_400_000),
      extensions: [
        basicConstraints(der, false),
        keyUsage(der, [0]),
        extKeyUsage(der, false),
        subjectAltName(der, ["example.com"]),
      ],
    });
    leafPem = forged.pem;
    chainPem = forged.pem + ca.issuerPem;
    server = await startTlsServer(chainPem, key.export({ type: "pkcs8", format: "pem" }).toString());
  });
  after(() => server.close());

  it("the forged leaf really is signed by the intermediate (so only the constraints can stop it)", async () => {
    const ca = loadCa(dir);
    const { X509Certificate } = await import("node:crypto");
    assert.ok(new X509Certificate(leafPem).verify(ca.issuer.publicKey));
  });

  it("OpenSSL rejects it with a permitted-subtree violation", async (t) => {
    if (!haveTool(t, "openssl")) return;
    const tmp = tempDir("forged-verify");
    const got = await run("openssl", [
      "verify",
      "-CAfile",
      join(dir, "root.pem"),
      "-untrusted",
      join(dir, "intermediate.pem"),
      writeTemp(tmp, "leaf.pem", leafPem),
    ]);
    assert.notEqual(got.code, 0);
    assert.match(got.stderr + got.stdout, /permitted subtree violation/);
  });

  it("Node tls.connect rejects it", async () => {
    const socket = connect({
      host: "127.0.0.1",
      port: server.port,
      servername: "example.com",
      ca: loadCa(dir).rootPem,
    });
    const error = await new Promise<Error>((resolve) => {
      socket.once("error", resolve);
      socket.once("secureConnect", () => resolve(new Error("connected")));
    });
    socket.destroy();
    assert.match(error.message, /permitted subtree violation/i);
  });

  it("curl --cacert rejects it", async (t) => {
    if (!haveTool(t, "curl")) return;
    const got = await run("curl", [
      "-sS",
      "--cacert",
      join(dir, "root.pem"),
      "--resolve",
      `example.com:${server.port}:127.0.0.1`,
      `https://example.com:${server.port}/`,
    ]);
    assert.notEqual(got.code, 0);
    assert.doesNotMatch(got.stdout, new RegExp(MARKER));
  });

  it("headless Chromium with the root trusted refuses to load it", async (t) => {
    if (!haveTool(t, "chromium") || !haveTool(t, "certutil")) return;
    const home = await tempNssHome();
    const ca = loadCa(dir);
    await new NssStore(defaultTrustContext({ home })).install(rootCertificate(ca.rootPem, join(dir, "root.pem")));
    const got = await chromiumDumpDom(home, `https://example.com:${server.port}/`, "example.com");
    assert.doesNotMatch(got.stdout, new RegExp(MARKER), "Chromium loaded a page for a name outside the constraints");
  });
});
