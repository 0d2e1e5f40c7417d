import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { applyHostsEdit, ManagedBlockError, parseHostsFile } from "../../../extension/core/hosts";
import { blocklistFixture, committedFixtures } from "./fixtures";

const corpus = [...committedFixtures(), { name: "blocklist-150k (generated)", bytes: blocklistFixture() }];

describe("hosts block editor on real-world files", () => {
  for (const { name, bytes } of corpus) {
    it(`gives back identical bytes after add and remove: ${name}`, () => {
      const added = applyHostsEdit(bytes, { kind: "add", name: "round-trip.test" });
      assert.equal(added.changed, true);
      const both = applyHostsEdit(added.bytes, { kind: "add", name: "api.test", addresses: ["10.9.8.7", "fd00::7"] });
      const one = applyHostsEdit(both.bytes, { kind: "remove", name: "round-trip.test" });
      const none = applyHostsEdit(one.bytes, { kind: "remove", name: "api.test" });
      assert.ok(none.bytes.equals(bytes), `${name}: bytes differ after the round trip`);
    });
  }

  it("uses CRLF inside the block for a CRLF file and keeps its BOM", () => {
    const win = corpus.find((f) => f.name === "windows-crlf-bom.hosts");
    assert.ok(win);
    const out = applyHostsEdit(win.bytes, { kind: "add", name: "web.test" }).bytes;
    assert.deepEqual([...out.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    assert.ok(out.includes("127.0.0.1 web.test\r\n::1 web.test\r\n# END Switchyard\r\n"));
    assert.ok(out.subarray(0, win.bytes.length).equals(win.bytes));
  });

  it("appends after a last line without a newline and does not add a final one", () => {
    const mixed = corpus.find((f) => f.name === "mixed-no-final-newline.hosts");
    assert.ok(mixed);
    const out = applyHostsEdit(mixed.bytes, { kind: "add", name: "web.test" }).bytes;
    assert.ok(out.subarray(0, mixed.bytes.length).equals(mixed.bytes));
    assert.ok(out.toString("latin1").endsWith("# END Switchyard"));
  });

  it("edits an existing block in place and leaves the lines after it alone", () => {
    const managed = corpus.find((f) => f.name === "with-managed-block-crlf.hosts");
    assert.ok(managed);
    const out = applyHostsEdit(managed.bytes, { kind: "add", name: "second.test", addresses: ["127.0.0.2"] }).bytes;
    const text = out.toString("latin1");
    assert.ok(text.includes("::1 my-awesome-service.test\r\n127.0.0.2 second.test\r\n# END Switchyard\r\n"));
    assert.ok(text.endsWith("# END Switchyard\r\n192.168.0.10 nas.home.arpa\r\n"));
  });

  it("reports no change when the mapping is already there", () => {
    const once = applyHostsEdit(Buffer.from("127.0.0.1 localhost\n"), { kind: "add", name: "a.test" });
    const twice = applyHostsEdit(once.bytes, { kind: "add", name: "A.test." });
    assert.equal(twice.changed, false);
    assert.deepEqual(twice.diff, { added: [], removed: [] });
  });

  it("shows the added and removed lines as the diff", () => {
    const once = applyHostsEdit(Buffer.from(""), { kind: "add", name: "a.test" });
    const changed = applyHostsEdit(once.bytes, { kind: "add", name: "a.test", addresses: ["10.0.0.1"] });
    assert.deepEqual(changed.diff, { added: ["10.0.0.1 a.test"], removed: ["127.0.0.1 a.test", "::1 a.test"] });
  });

  it("refuses to edit a file whose block has no END marker, naming the line", () => {
    const broken = Buffer.from(
      "127.0.0.1 localhost\n# BEGIN Switchyard managed block: do not edit by hand\n::1 x.test\n",
    );
    assert.throws(
      () => applyHostsEdit(broken, { kind: "add", name: "a.test" }, { path: "/etc/hosts" }),
      (e: unknown) => {
        assert.ok(e instanceof ManagedBlockError);
        assert.match(e.message, /line 2 has no "# END Switchyard" line/);
        return true;
      },
    );
  });

  it("refuses two blocks", () => {
    const block = "# BEGIN Switchyard managed block: do not edit by hand\n# END Switchyard\n";
    assert.throws(
      () => applyHostsEdit(Buffer.from(block + block), { kind: "remove", name: "a.test" }),
      ManagedBlockError,
    );
  });
});

describe("hosts parser", () => {
  it("keeps each line's exact byte range and line ending", () => {
    for (const { name, bytes } of corpus.slice(0, -1)) {
      const file = parseHostsFile(bytes);
      const rebuilt = Buffer.concat([
        bytes.subarray(0, file.bom ? 3 : 0),
        ...file.lines.map((l) => Buffer.concat([bytes.subarray(l.start, l.end), Buffer.from(l.eol)])),
      ]);
      assert.ok(rebuilt.equals(bytes), name);
    }
  });

  it("parses entries with tabs, aliases, IPv6 and comments, and skips the rest", () => {
    const mixed = corpus.find((f) => f.name === "mixed-no-final-newline.hosts");
    assert.ok(mixed);
    const entries = parseHostsFile(mixed.bytes).lines.flatMap((l) => (l.entry ? [l.entry] : []));
    assert.deepEqual(entries[1], { address: "127.0.1.1", names: ["workstation.example.lan", "workstation"] });
    assert.equal(entries[2]?.names.length, 6);
    assert.ok(entries.some((e) => e.address === "2001:db8::10"));
    assert.ok(!entries.some((e) => e.names.includes("bogus-address.example")));
    assert.ok(!entries.some((e) => e.names.includes("commented-out.test")));
  });

  it("finds CRLF as the dominant line ending of the Windows file", () => {
    const win = corpus.find((f) => f.name === "windows-crlf-bom.hosts");
    assert.ok(win);
    const file = parseHostsFile(win.bytes);
    assert.equal(file.eol, "\r\n");
    assert.equal(file.bom, true);
  });
});
