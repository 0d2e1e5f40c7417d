import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../../../extension/cli";
import type { CliIO } from "../../../extension/cli/command";
import { tempDir } from "./realClients";

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
    assert.ok(json.trust.some((t) => t.store === "nss"));
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
