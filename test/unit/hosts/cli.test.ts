import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, statSync, writeFileSync, chmodSync, existsSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../../../extension/cli";
import type { CliIO } from "../../../extension/cli/command";
import {
  applyHostsPlan,
  HostsLockTimeoutError,
  planHostsEdit,
  prepareElevatedCopy,
  verifyElevatedCopy,
} from "../../../extension/core/hosts";
import { execFileSync } from "node:child_process";
import { FIXTURES_DIR, tempDir } from "./fixtures";
import { needRoot, needTools } from "../requirements";
import { cliCommand } from "../cli/cliBundle";

function fakeIO(answer: boolean, env: NodeJS.ProcessEnv): CliIO & { out: string; err: string; asked: string[] } {
  const io = {
    out: "",
    err: "",
    asked: [] as string[],
    cwd: process.cwd(),
    env,
    signal: new AbortController().signal,
    stdout: (t: string) => void (io.out += t),
    stderr: (t: string) => void (io.err += t),
    confirm: async (q: string) => {
      io.asked.push(q);
      return answer;
    },
  };
  return io;
}

function withHostsFile(fixture: string): { path: string; env: NodeJS.ProcessEnv; original: Buffer; remove(): void } {
  const tmp = tempDir();
  const path = join(tmp.dir, "hosts");
  const original = readFileSync(join(FIXTURES_DIR, fixture));
  writeFileSync(path, original);
  return {
    path,
    env: { SWITCHYARD_DATA_DIR: join(tmp.dir, "data"), SWITCHYARD_HOSTS_DNS: "off" },
    original,
    remove: tmp.remove,
  };
}

describe("switchyard hosts", () => {
  it("shows the diff, asks, and writes nothing when the answer is no (or there is no terminal)", async () => {
    const f = withHostsFile("debian.hosts");
    const io = fakeIO(false, f.env);
    assert.equal(await runCli(["hosts", "add", "my-awesome-service.test", "--file", f.path], io), 1);
    assert.match(io.out, /\+ 127\.0\.0\.1 my-awesome-service\.test\n\+ ::1 my-awesome-service\.test/);
    assert.equal(io.asked.length, 1);
    assert.match(io.err, /not changed.*pass --yes/);
    assert.ok(readFileSync(f.path).equals(f.original));
    f.remove();
  });

  it("adds, lists and removes with --yes, keeping mode, with backups of the original and the last file", async () => {
    const f = withHostsFile("windows-crlf-bom.hosts");
    chmodSync(f.path, 0o640);
    const io = fakeIO(false, f.env);
    assert.equal(await runCli(["hosts", "add", "api.test", "10.1.2.3", "--file", f.path, "--yes"], io), 0, io.err);
    assert.equal(io.asked.length, 0);
    assert.equal(statSync(f.path).mode & 0o777, 0o640);
    const list = fakeIO(true, f.env);
    assert.equal(await runCli(["hosts", "list", "--json", "--file", f.path], list), 0);
    assert.deepEqual(JSON.parse(list.out).mappings, [{ name: "api.test", addresses: ["10.1.2.3"] }]);
    assert.equal(await runCli(["hosts", "remove", "api.test", "--file", f.path, "--yes"], fakeIO(false, f.env)), 0);
    assert.ok(readFileSync(f.path).equals(f.original));
    const dir = /backups in (.*)\n/.exec(io.out)?.[1] ?? "";
    assert.ok(readFileSync(join(dir, "original")).equals(f.original));
    assert.match(readFileSync(join(dir, "last"), "latin1"), /10\.1\.2\.3 api\.test/);
    f.remove();
  });

  it("warns about a public name, a mixed-script homoglyph and localhost sent elsewhere, and not about a .test name", async () => {
    const f = withHostsFile("debian.hosts");
    const warned = async (args: string[]): Promise<string> => {
      const io = fakeIO(false, f.env);
      assert.equal(await runCli(["hosts", "add", ...args, "--file", f.path, "--yes"], io), 0, io.err);
      return io.err;
    };
    assert.equal(await warned(["web.test"]), "");
    assert.match(await warned(["google.com"]), /google\.com is not under a development suffix .* prefer google\.test/);
    // "аpple.test" with a Cyrillic "а" (U+0430).
    assert.match(
      await warned(["\u0430pple.test"]),
      /xn--pple-43d\.test \(\u0430pple\.test\) mixes Cyrillic and Latin letters/,
    );
    assert.match(
      await warned(["localhost", "1.2.3.4"]),
      /localhost mapped to 1\.2\.3\.4: programs expect localhost to be this machine/,
    );
    f.remove();
  });

  it("refuses bad input with the reason and writes nothing", async () => {
    const f = withHostsFile("macos.hosts");
    for (const args of [
      ["add", "bad name.test"],
      ["add", "ok.test", "fe80::1%en0"],
      ["add", "evil.test\n1.2.3.4"],
    ]) {
      const io = fakeIO(true, f.env);
      assert.equal(await runCli(["hosts", ...args, "--file", f.path, "--yes"], io), 1);
      assert.match(io.err, /not a valid (hostname|address): .*Nothing was written/);
    }
    assert.ok(readFileSync(f.path).equals(f.original));
    assert.ok(!existsSync(join(f.env.SWITCHYARD_DATA_DIR ?? "", "hosts-backups")));
    f.remove();
  });

  it("syncs the block with switchyard.hosts.mappings from --config, and needs --config to sync", async () => {
    const f = withHostsFile("docker.hosts");
    const config = join(f.path, "..", "settings.json");
    writeFileSync(config, JSON.stringify({ "switchyard.hosts.mappings": { "a.test": true, "b.test": "10.0.0.2" } }));
    const io = fakeIO(true, f.env);
    assert.equal(await runCli(["hosts", "sync", "--config", config, "--file", f.path], io), 0, io.err);
    assert.ok(
      readFileSync(f.path, "latin1").endsWith("127.0.0.1 a.test\n::1 a.test\n10.0.0.2 b.test\n# END Switchyard\n"),
    );
    assert.equal(await runCli(["hosts", "sync", "--file", f.path], fakeIO(true, f.env)), 2);
    f.remove();
  });

  it("says to rerun with sudo when the file is not writable", (t) => {
    if (!needRoot(t, "to run the CLI as another user (nobody)") || !needTools(t, "setpriv")) return;
    const f = withHostsFile("debian.hosts");
    chmodSync(join(f.path, ".."), 0o755);
    chmodSync(f.path, 0o644);
    let stderr = "";
    try {
      execFileSync(
        "setpriv",
        [
          "--reuid=65534",
          "--regid=65534",
          "--clear-groups",
          process.execPath,
          ...cliCommand(["hosts", "add", "x.test", "--file", f.path, "--yes"]),
        ],
        {
          env: { ...process.env, ...f.env, SWITCHYARD_DATA_DIR: "/tmp/switchyard-nobody-data" },
          stdio: ["ignore", "pipe", "pipe"],
          cwd: join(__dirname, "..", "..", ".."),
        },
      );
    } catch (e) {
      stderr = String((e as { stderr: Buffer }).stderr);
    }
    assert.match(stderr, /not writable by this user \(EACCES\).*Rerun with sudo/);
    assert.ok(readFileSync(f.path).equals(f.original));
    f.remove();
  });
});

describe("elevated apply", () => {
  it("prepares a private copy and returns a fixed cp argv of two checked paths", async () => {
    const f = withHostsFile("debian.hosts");
    const plan = await planHostsEdit({ kind: "add", name: "web.test" }, { path: f.path });
    const copy = await prepareElevatedCopy(plan, {
      path: f.path,
      dataDir: f.env.SWITCHYARD_DATA_DIR,
      platform: "linux",
    });
    assert.deepEqual(copy.argv, ["/bin/cp", copy.source, f.path]);
    assert.ok(readFileSync(f.path).equals(f.original), "preparing must not write the hosts file");
    assert.equal(await verifyElevatedCopy(copy), false);
    execFileSync(copy.argv[0] as string, copy.argv.slice(1));
    assert.equal(await verifyElevatedCopy(copy), true);
    await copy.cleanup();
    assert.ok(!existsSync(copy.source));
    f.remove();
  });

  it("holds the hosts lock from preparing to cleanup, so no other writer runs between the read and the copy", async () => {
    const f = withHostsFile("debian.hosts");
    const options = { path: f.path, dataDir: f.env.SWITCHYARD_DATA_DIR, platform: "linux" as const };
    const copy = await prepareElevatedCopy(await planHostsEdit({ kind: "add", name: "web.test" }, options), options);
    const other = await planHostsEdit({ kind: "add", name: "api.test" }, options);
    await assert.rejects(applyHostsPlan(other, { ...options, lock: { timeoutMs: 300 } }), HostsLockTimeoutError);
    execFileSync(copy.argv[0] as string, copy.argv.slice(1));
    await copy.cleanup();
    // The other writer gets its turn now, and re-applies its edit over the copied file.
    const result = await applyHostsPlan(other, options);
    assert.equal(result.reapplied, true);
    const text = readFileSync(f.path, "utf8");
    assert.match(text, /web\.test/);
    assert.match(text, /api\.test/);
    f.remove();
  });
});
