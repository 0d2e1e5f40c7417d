/**
 * The Debian system store for real, inside a private mount namespace: temp copies are bind-mounted
 * over /usr/local/share/ca-certificates and /etc/ssl/certs (and an empty dir over the update hooks,
 * which would otherwise queue Java keystore work on the real machine). The real store is never touched.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createCa, LocalCa } from "../../../extension/core/ca/index";
import { haveTool, tempDir, writeTemp } from "./realClients";

const REPO = resolve(__dirname, "../../..");

describe("Debian system store in a private mount namespace", () => {
  it("curl without --cacert fails, succeeds after `ca trust`, and fails again after `ca untrust`", async (t) => {
    for (const tool of ["unshare", "update-ca-certificates", "curl"]) if (!haveTool(t, tool)) return;
    const realLocal = readdirSync("/usr/local/share/ca-certificates").sort();
    const realBundle = readFileSync("/etc/ssl/certs/ca-certificates.crt", "utf8");
    const dir = join(tempDir("debian"), "ca");
    await createCa({ dir });
    const leaf = await (await LocalCa.open({ dir })).leafFor("ns.test");
    const files = tempDir("debian-files");
    const chain = writeTemp(files, "chain.pem", leaf.chainPem);
    const key = writeTemp(files, "key.pem", leaf.keyPem);
    const local = tempDir("debian-local");
    const certs = tempDir("debian-certs");
    const hooks = tempDir("debian-hooks");
    assert.equal(spawnSync("cp", ["-a", "/usr/local/share/ca-certificates/.", local]).status, 0);
    assert.equal(spawnSync("cp", ["-a", "/etc/ssl/certs/.", certs]).status, 0);
    const script =
      'mount --bind "$1" /usr/local/share/ca-certificates && mount --bind "$2" /etc/ssl/certs && ' +
      'mount --bind "$3" /etc/ca-certificates/update.d && exec node --import tsx "$4" "$5" "$6" "$7"';
    const ran = spawnSync(
      "unshare",
      [
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        script,
        "sh",
        local,
        certs,
        hooks,
        join(REPO, "test/fixtures/ca/debianTrustInNamespace.ts"),
        dir,
        chain,
        key,
      ],
      { cwd: REPO, encoding: "utf8", timeout: 120_000 },
    );
    assert.equal(ran.status, 0, ran.stderr);
    const result = JSON.parse(ran.stdout.trim().split("\n").pop() ?? "{}") as {
      before: boolean;
      trust: { code: number; out: string };
      afterTrust: boolean;
      status: { code: number; out: string };
      untrust: { code: number; out: string };
      afterUntrust: boolean;
    };
    assert.equal(result.before, false, "curl must not trust the root before install");
    assert.equal(result.trust.code, 0, result.trust.out);
    assert.equal(result.afterTrust, true, `curl must trust the root after install:\n${result.trust.out}`);
    const status = JSON.parse(result.status.out) as { trust: { store: string; trusted: boolean }[] };
    assert.deepEqual(
      status.trust.map((s) => [s.store, s.trusted]),
      [["system-debian", true]],
    );
    assert.equal(result.untrust.code, 0, result.untrust.out);
    assert.equal(result.afterUntrust, false, "curl must stop trusting the root after uninstall");
    assert.deepEqual(readdirSync("/usr/local/share/ca-certificates").sort(), realLocal, "the real store was touched");
    assert.equal(readFileSync("/etc/ssl/certs/ca-certificates.crt", "utf8"), realBundle, "the real bundle was touched");
  });
});
