import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, openSync, closeSync, ftruncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../../../extension/cli";
import type { CliIO } from "../../../extension/cli/command";

/**
 * `switchyard serve` with an already aborted signal: with good arguments it opens the CA and
 * returns 0 before starting the proxy, so each case shows whether validation stopped it first.
 */
async function serve(args: string[]): Promise<{ code: number; err: string }> {
  const dir = mkdtempSync(join(tmpdir(), "switchyard-serve-args-"));
  let err = "";
  const stopped = new AbortController();
  stopped.abort();
  const io: CliIO = {
    stdout: () => undefined,
    stderr: (t) => void (err += t),
    cwd: dir,
    env: { PATH: process.env.PATH, HOME: dir, SWITCHYARD_CAROOT: join(dir, "ca") },
    confirm: async () => false,
    signal: stopped.signal,
  };
  return { code: await runCli(["serve", ...args], io), err };
}

function tempFile(name: string, content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "switchyard-serve-config-")), name);
  writeFileSync(path, content);
  return path;
}

describe("switchyard serve arguments", () => {
  it("starts (here: returns 0 at once) with good arguments", async () => {
    const r = await serve(["--listen", "127.0.0.1:8443", "--route", "app.test=http://localhost:3000"]);
    assert.equal(r.code, 0, r.err);
  });

  for (const spec of ["999999", "[::1", ":99999", "", "127.0.0.1:70000"]) {
    it(`exits 2 with a usage message for --listen ${JSON.stringify(spec)}`, async () => {
      const r = await serve(["--listen", spec]);
      assert.equal(r.code, 2, r.err);
      assert.match(r.err, /listen spec/);
      assert.match(r.err, /switchyard serve --help/);
    });
  }

  it("accepts port 0 on one address and refuses it on a name, which stands for several addresses", async () => {
    assert.equal((await serve(["--listen", "127.0.0.1:0"])).code, 0);
    assert.equal((await serve(["--listen", "[::1]:0"])).code, 0);
    const r = await serve(["--listen", "localhost:0"]);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /port 0 would pick a random port for each address of "localhost".*127\.0\.0\.1:0/);
  });

  it("exits 2 for a --route whose host has a space", async () => {
    const r = await serve(["--route", "a b.test=http://localhost:3000"]);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /"a b\.test" is not a host name or \*\.wildcard: it contains whitespace/);
  });

  it("accepts a *.wildcard route and an IP address route", async () => {
    assert.equal((await serve(["--route", "*.app.test=http://localhost:3000"])).code, 0);
    assert.equal((await serve(["--route", "127.0.0.1=http://localhost:3000"])).code, 0);
  });

  it("refuses a --config that holds a JSON array", async () => {
    const r = await serve(["--config", tempFile("array.json", '["switchyard.proxy.listen"]')]);
    assert.equal(r.code, 1);
    assert.match(r.err, /holds a JSON array; settings must be a JSON object/);
  });

  it("refuses a --config over 1 MB without reading it (a sparse 1 GB file)", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "switchyard-serve-big-")), "big.json");
    const fd = openSync(path, "w");
    ftruncateSync(fd, 1024 ** 3);
    closeSync(fd);
    // Reading 1 GB would take long and allocate it all; the refusal names the size from stat alone.
    const r = await serve(["--config", path]);
    assert.equal(r.code, 1);
    assert.match(r.err, /1073741824 bytes; a settings file may be at most 1048576 bytes/);
  });
});
