import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { applyHostsEdit, findManagedBlock, parseHostsFile, type HostsEdit } from "../../../extension/core/hosts";

// Hyphens in the 3rd and 4th place ("xn--…") mark an IDNA label, which validation rightly refuses
// unless it is valid punycode: such labels are not valid edits, so they are not generated.
const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?$/).filter((l) => l.slice(2, 4) !== "--");
const hostname = fc.tuple(label, fc.constantFrom("test", "internal", "example")).map(([l, tld]) => `${l}.${tld}`);
const address = fc.oneof(fc.ipV4(), fc.constantFrom("::1", "fd00::1", "2001:db8::42"));
const edit: fc.Arbitrary<HostsEdit> = fc.oneof(
  fc.record({ kind: fc.constant("add" as const), name: hostname, addresses: fc.array(address, { maxLength: 3 }) }),
  fc.record({ kind: fc.constant("remove" as const), name: hostname }),
  fc.record({
    kind: fc.constant("sync" as const),
    mappings: fc.dictionary(hostname, fc.array(address, { minLength: 1, maxLength: 2 })),
  }),
);
/** Bytes that look like hosts files: lines of hosts-ish text with any line endings, plus raw noise. */
const hostsishBytes = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        "127.0.0.1 localhost",
        "::1\tlocalhost ip6-localhost",
        "# comment",
        "",
        "  \t",
        "0.0.0.0 ads.example",
      ),
      fc.string(),
      fc.uint8Array({ maxLength: 20 }).map((b) => Buffer.from(b).toString("latin1")),
    ),
  )
  .chain((lines) =>
    fc.tuple(
      fc.constant(lines),
      fc.array(fc.constantFrom("\n", "\r\n", "\r", ""), { minLength: lines.length, maxLength: lines.length }),
      fc.boolean(),
    ),
  )
  .map(([lines, eols, bom]) =>
    Buffer.concat([
      bom ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0),
      Buffer.from(lines.map((l, i) => l + eols[i]).join(""), "latin1"),
    ]),
  );

describe("hosts parser and editor (properties)", () => {
  it("parses any bytes without throwing and accounts for every byte", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (raw) => {
        const file = parseHostsFile(raw);
        const covered = file.lines.reduce((n, l) => n + (l.end - l.start) + l.eol.length, file.bom ? 3 : 0);
        assert.equal(covered, raw.length);
      }),
    );
  });

  it("leaves every byte outside the managed block unchanged, for any bytes and any sequence of valid edits", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
          hostsishBytes,
        ),
        fc.array(edit, { minLength: 1, maxLength: 4 }),
        (input, edits) => {
          let bytes: Buffer = input;
          for (const e of edits) bytes = applyHostsEdit(bytes, e).bytes;
          const block = findManagedBlock(bytes);
          const outside = block ? Buffer.concat([bytes.subarray(0, block.start), bytes.subarray(block.end)]) : bytes;
          assert.ok(outside.equals(input));
        },
      ),
    );
  });

  it("gives back the input bytes after the block is emptied again", () => {
    fc.assert(
      fc.property(hostsishBytes, fc.array(edit, { minLength: 1, maxLength: 4 }), (input, edits) => {
        let bytes: Buffer = input;
        for (const e of edits) bytes = applyHostsEdit(bytes, e).bytes;
        assert.ok(applyHostsEdit(bytes, { kind: "sync", mappings: {} }).bytes.equals(input));
      }),
    );
  });

  it("makes the block hold exactly the synced mappings", () => {
    fc.assert(
      fc.property(
        hostsishBytes,
        fc.dictionary(hostname, fc.array(address, { minLength: 1, maxLength: 2 })),
        (input, mappings) => {
          const out = applyHostsEdit(input, { kind: "sync", mappings }).bytes;
          const got = Object.fromEntries((findManagedBlock(out)?.mappings ?? []).map((m) => [m.name, m.addresses]));
          const want = Object.fromEntries(
            Object.entries(mappings).map(([n, a]) => [n, [...new Set(a.map((x) => x.toLowerCase()))]]),
          );
          assert.deepEqual(got, want);
        },
      ),
    );
  });
});
