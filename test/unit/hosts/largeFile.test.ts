import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  applyHostsEdit,
  findFileConflicts,
  findFileConflictsInBytes,
  findManagedBlock,
  parseHostsFile,
} from "../../../extension/core/hosts";
import { committedFixtures, tempDir } from "./fixtures";
import { cliCommand } from "../cli/cliBundle";

const ROOT = join(__dirname, "..", "..", "..");

describe("a 50 MB hosts file", () => {
  it("gets a mapping added by the CLI within a 128 MB JavaScript heap", () => {
    const tmp = tempDir();
    const path = join(tmp.dir, "hosts");
    const lines: string[] = ["127.0.0.1 localhost"];
    let size = 0;
    for (let i = 0; size < 50 * 1024 * 1024; i++) {
      const line = `0.0.0.0 ad${i}.tracker-example-${i % 977}.com`;
      lines.push(line);
      size += line.length + 1;
    }
    writeFileSync(path, `${lines.join("\n")}\n`);
    const run = spawnSync(
      process.execPath,
      ["--max-old-space-size=128", ...cliCommand(["hosts", "add", "big.test", "--yes", "--file", path])],
      {
        cwd: ROOT,
        encoding: "utf8",
        timeout: 120_000,
        env: { ...process.env, SWITCHYARD_DATA_DIR: join(tmp.dir, "data"), SWITCHYARD_HOSTS_DNS: "off" },
      },
    );
    assert.equal(run.status, 0, run.stderr.slice(-2000));
    assert.match(
      readFileSync(path, "latin1").slice(-200),
      /127\.0\.0\.1 big\.test\n::1 big\.test\n# END Switchyard\n$/,
    );
    tmp.remove();
  });
});

describe("finding conflicts over the bytes", () => {
  it("finds what the line-by-line parse finds, in every committed fixture", () => {
    for (const { name, bytes } of committedFixtures()) {
      const edited = applyHostsEdit(bytes, { kind: "add", name: "localhost" }).bytes;
      const block = findManagedBlock(edited);
      const mappings = block?.mappings ?? [];
      assert.deepEqual(
        findFileConflictsInBytes(edited, block, mappings),
        findFileConflicts(parseHostsFile(edited), block, mappings),
        name,
      );
    }
  });

  it("matches names case-insensitively and whole, and ignores comments and the block itself", () => {
    const bytes = Buffer.from(
      "\ufeff10.0.0.1 WEB.test\n# 10.0.0.2 web.test\n10.0.0.3 web.testing\n10.0.0.4 x web.test # c\r\n",
      "utf8",
    );
    const edited = applyHostsEdit(bytes, { kind: "add", name: "web.test" }).bytes;
    const block = findManagedBlock(edited);
    const found = findFileConflictsInBytes(edited, block, block?.mappings ?? []);
    assert.deepEqual(
      found.map((c) => (c.kind === "elsewhere-in-file" ? [c.line, c.address] : [])),
      [
        [1, "10.0.0.1"],
        [4, "10.0.0.4"],
      ],
    );
  });
});
