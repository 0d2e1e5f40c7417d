/**
 * Real clients accept what the CA issues: Node, curl, openssl s_client and headless Chromium (root
 * installed into a temp NSS database by our own NssStore), for a DNS name, a wildcard and an IP SAN.
 * The server picks the certificate per SNI through LocalCa.secureContextFor, as the proxy does.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:tls";
import { join } from "node:path";
import { createCa, defaultTrustContext, LocalCa, rootCertificate } from "../../../extension/core/ca/index";
import { NssStore } from "../../../extension/core/ca/trust/nss";
import { chromiumDumpDom, haveTool, MARKER, run, startTlsServer, tempDir, tempNssHome, writeTemp } from "./realClients";

/** What each client connects to: the URL host, the name to resolve to 127.0.0.1 (if any). */
const CASES = [
  { label: "a DNS name", host: "my-awesome-service.test" },
  { label: "a wildcard", host: "anything.wild.test", issuedAs: "*.wild.test" },
  { label: "an IP SAN", host: "127.0.0.1", ip: true },
] as const;

describe("real clients accept issued certificates", () => {
  let ca: LocalCa;
  let rootFile: string;
  let server: Awaited<ReturnType<typeof startTlsServer>>;
  let nssHome: string | undefined;

  before(async () => {
    const dir = join(tempDir("clients"), "ca");
    await createCa({ dir });
    ca = await LocalCa.open({ dir });
    rootFile = join(dir, "root.pem");
    const ipLeaf = await ca.leafFor("127.0.0.1");
    // "*.wild.test" certificates serve every name under wild.test, as a wildcard-routing proxy would.
    server = await startTlsServer(ipLeaf.chainPem, ipLeaf.keyPem, (name) =>
      ca.secureContextFor(name.endsWith(".wild.test") ? "*.wild.test" : name),
    );
  });
  after(() => server.close());

  for (const c of CASES) {
    it(`Node tls.connect with only the root as ca accepts ${c.label}`, async () => {
      const socket = connect({
        host: "127.0.0.1",
        port: server.port,
        ca: ca.rootPem(),
        ...("ip" in c ? {} : { servername: c.host }),
      });
      await new Promise<void>((resolve, reject) => {
        socket.once("secureConnect", resolve);
        socket.once("error", reject);
      });
      assert.ok(socket.authorized, String(socket.authorizationError));
      if ("ip" in c) assert.ok(socket.getPeerCertificate().subjectaltname?.includes("IP Address:127.0.0.1"));
      socket.destroy();
    });

    it(`curl --cacert accepts ${c.label}`, async (t) => {
      if (!haveTool(t, "curl")) return;
      const url = `https://${c.host}:${server.port}/`;
      const resolve = "ip" in c ? [] : ["--resolve", `${c.host}:${server.port}:127.0.0.1`];
      const got = await run("curl", ["-sS", "--fail", "--cacert", rootFile, ...resolve, url]);
      assert.equal(got.code, 0, got.stderr);
      assert.match(got.stdout, new RegExp(MARKER));
    });

    it(`openssl s_client -verify_return_error accepts ${c.label}`, async (t) => {
      if (!haveTool(t, "openssl")) return;
      const check = "ip" in c ? ["-verify_ip", c.host] : ["-servername", c.host, "-verify_hostname", c.host];
      const got = await run(
        "openssl",
        ["s_client", "-connect", `127.0.0.1:${server.port}`, "-CAfile", rootFile, "-verify_return_error", ...check],
        { input: "" },
      );
      assert.equal(got.code, 0, got.stderr + got.stdout);
      assert.match(got.stdout, /Verify return code: 0 \(ok\)/);
    });

    it(`headless Chromium with the root in its NSS database accepts ${c.label} without an interstitial`, async (t) => {
      if (!haveTool(t, "chromium") || !haveTool(t, "certutil")) return;
      if (!nssHome) {
        nssHome = await tempNssHome();
        await new NssStore(defaultTrustContext({ home: nssHome })).install(rootCertificate(ca.rootPem(), rootFile));
      }
      const got = await chromiumDumpDom(nssHome, `https://${c.host}:${server.port}/`, "ip" in c ? undefined : c.host);
      assert.match(
        got.stdout,
        new RegExp(MARKER),
        `Chromium did not load the page:\n${got.stdout.slice(0, 500)}\n${got.stderr.slice(-1500)}`,
      );
    });
  }

  it("the issued chain verifies with openssl verify", async (t) => {
    if (!haveTool(t, "openssl")) return;
    const leaf = await ca.leafFor("my-awesome-service.test");
    const dir = tempDir("verify");
    const got = await run("openssl", [
      "verify",
      "-CAfile",
      rootFile,
      "-untrusted",
      writeTemp(dir, "i.pem", leaf.chainPem.slice(leaf.certPem.length)),
      writeTemp(dir, "l.pem", leaf.certPem),
    ]);
    assert.equal(got.code, 0, got.stderr);
  });
});
