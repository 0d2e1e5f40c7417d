import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";

const root = join(__dirname, "..", "..", "..");
const bin = join(root, "bin", "switchyard.js");

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, SWITCHYARD_CAROOT: "/nonexistent/switchyard-test-ca" },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("the switchyard command line", () => {
  it("lists every sub-command in --help and exits 0", () => {
    const r = cli("--help");
    assert.equal(r.code, 0);
    for (const name of ["serve", "run", "hosts", "ca", "probe"]) assert.match(r.stdout, new RegExp(`^  ${name} `, "m"));
  });

  it("shows usage and exits 2 when run without a command", () => {
    const r = cli();
    assert.equal(r.code, 2);
    assert.match(r.stdout, /Usage: switchyard <command>/);
  });

  for (const name of ["serve", "run", "hosts", "ca", "probe"]) {
    it(`prints help for "${name} --help" and exits 0`, () => {
      const r = cli(name, "--help");
      assert.equal(r.code, 0);
      assert.match(r.stdout, new RegExp(`switchyard ${name}`));
    });

    it(`rejects an unknown flag for "${name}" with a hint and exit code 2`, () => {
      const r = cli(name, "--no-such-flag");
      assert.equal(r.code, 2);
      assert.match(r.stderr, /Unknown option '--no-such-flag'/);
      assert.match(r.stderr, new RegExp(`Run "switchyard ${name} --help"`));
    });
  }

  it("rejects an unknown command with exit code 2 and names the commands", () => {
    const r = cli("frobnicate");
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command "frobnicate"/);
    assert.match(r.stderr, /serve, run, hosts, ca, ports, probe/);
  });

  it("exits 2 when a required argument is missing", () => {
    assert.equal(cli("hosts", "add").code, 2);
    assert.equal(cli("ca", "issue").code, 2);
    assert.equal(cli("probe").code, 2);
  });

  it("exits 2 for an invalid --key-type and --log value", () => {
    assert.match(cli("ca", "issue", "a.test", "--key-type", "dsa").stderr, /--key-type must be ecdsa or rsa/);
    assert.equal(cli("serve", "--log", "xml").code, 2);
  });

  it("prints the version", () => {
    const r = cli("--version");
    assert.equal(r.code, 0);
    assert.match(r.stdout.trim(), /^\d+\.\d+\.\d+$|^dev$/);
  });
});
