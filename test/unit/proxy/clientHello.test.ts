import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import {
  MAX_HELLO_RECORDS,
  parseClientHello,
  type ClientHello,
  type ClientHelloParse,
} from "../../../extension/core/proxy/accept/clientHello";
import { summarizeClientHello } from "../../../extension/core/proxy/records/records";

const DIR = path.join(__dirname, "../../fixtures/clienthello");
const fixture = (name: string): Buffer => readFileSync(path.join(DIR, `${name}.bin`));
const FIXTURES = [
  "curl-http2",
  "curl-http1.1",
  "openssl-sni-alpn-h2",
  "openssl-no-sni",
  "openssl-tls12-only",
  "node-tls",
  "chromium",
];

function complete(p: ClientHelloParse): ClientHello {
  assert.equal(p.kind, "complete", p.kind === "error" ? p.error.message : p.kind);
  return (p as { kind: "complete"; hello: ClientHello }).hello;
}

/** Re-splits a single-record hello into records of at most `size` bytes of handshake data. */
function refragment(bytes: Buffer, size: number): Buffer {
  const body = bytes.subarray(5);
  const parts: Buffer[] = [];
  for (let i = 0; i < body.length; i += size) {
    const frag = body.subarray(i, i + size);
    parts.push(Buffer.from([0x16, 0x03, 0x01, frag.length >> 8, frag.length & 0xff]), frag);
  }
  return Buffer.concat(parts);
}

describe("parseClientHello on real captures", () => {
  it("reads curl's hello: SNI, ALPN h2 then http/1.1, TLS 1.3 and 1.2", () => {
    const h = complete(parseClientHello(fixture("curl-http2")));
    assert.equal(h.serverName, "my-awesome-service.test");
    assert.deepEqual(h.alpn, ["h2", "http/1.1"]);
    assert.equal(h.legacyVersion, 0x0303);
    assert.deepEqual(h.supportedVersions.slice(0, 2), [0x0304, 0x0303]);
    assert.ok(h.cipherSuites.includes(0x1301));
    assert.ok(
      h.keyShares.some((k) => k.group === 29 && k.length === 32),
      "x25519 key share",
    );
  });

  it("reads openssl's hello with -servername and -alpn h2, and without SNI", () => {
    const h = complete(parseClientHello(fixture("openssl-sni-alpn-h2")));
    assert.equal(h.serverName, "my-awesome-service.test");
    assert.deepEqual(h.alpn, ["h2"]);
    const n = complete(parseClientHello(fixture("openssl-no-sni")));
    assert.equal(n.serverName, undefined);
    assert.deepEqual(n.alpn, []);
  });

  it("reads a TLS 1.2-only hello with no supported_versions", () => {
    const h = complete(parseClientHello(fixture("openssl-tls12-only")));
    assert.equal(h.serverName, "legacy.test");
    assert.deepEqual(h.supportedVersions, []);
    assert.equal(summarizeClientHello(h).legacyVersion, "TLSv1.2");
  });

  it("reads Chromium's large hello with its post-quantum key share and GREASE", () => {
    const h = complete(parseClientHello(fixture("chromium")));
    assert.ok(h.byteLength > 1500);
    const s = summarizeClientHello(h);
    assert.ok(
      s.keyShares.some((k) => /MLKEM|Kyber/.test(k)),
      s.keyShares.join(),
    );
    assert.ok(!s.cipherSuites.includes("GREASE"), "GREASE dropped from the summary");
    assert.ok(
      h.cipherSuites.some((c) => (c & 0x0f0f) === 0x0a0a),
      "GREASE kept in the raw fields",
    );
  });

  it("reassembles a hello split over several TLS records", () => {
    for (const name of FIXTURES) {
      const original = complete(parseClientHello(fixture(name)));
      const split = refragment(fixture(name), 100);
      const h = complete(parseClientHello(split));
      assert.equal(h.serverName, original.serverName, name);
      assert.deepEqual(h.alpn, original.alpn);
      assert.ok(h.recordCount > 1);
      assert.equal(h.byteLength, split.length);
    }
  });

  it("asks for more at every proper prefix, across segments and records", () => {
    for (const bytes of [fixture("node-tls"), refragment(fixture("chromium"), 700)]) {
      for (let n = 0; n < bytes.length; n++)
        assert.equal(parseClientHello(bytes.subarray(0, n)).kind, "need-more", `prefix ${n}`);
      complete(parseClientHello(bytes));
    }
  });

  it("ignores bytes after the hello (the rest of the client's flight)", () => {
    const h = complete(parseClientHello(Buffer.concat([fixture("curl-http2"), Buffer.from("garbage")])));
    assert.equal(h.byteLength, fixture("curl-http2").length);
  });
});

describe("parseClientHello errors", () => {
  const code = (p: ClientHelloParse): string => (p.kind === "error" ? p.error.code : p.kind);

  it("refuses a record length of 65535 as soon as the header arrives", () => {
    assert.equal(code(parseClientHello(Uint8Array.of(0x16, 0x03, 0x01, 0xff, 0xff))), "record-too-large");
  });

  it("refuses a non-handshake record and a handshake that is not a ClientHello", () => {
    assert.equal(code(parseClientHello(Uint8Array.of(0x17, 0x03, 0x03, 0, 5, 1, 2, 3, 4, 5))), "not-handshake-record");
    assert.equal(code(parseClientHello(Uint8Array.of(0x16, 0x03, 0x01, 0, 4, 2, 0, 0, 0))), "not-client-hello");
  });

  it("refuses a hello whose inner lengths overrun", () => {
    const bad = Buffer.from(fixture("node-tls"));
    bad[5 + 4 + 2 + 32] = 200; // session id length 200
    assert.equal(code(parseClientHello(bad)), "malformed");
  });

  it(`refuses a hello dribbled over more than ${MAX_HELLO_RECORDS} records`, () => {
    assert.equal(code(parseClientHello(refragment(fixture("chromium"), 8))), "hello-too-large");
  });
});

describe("parseClientHello fuzz", () => {
  const real = FIXTURES.map(fixture);

  // An input that made the parser spin would never return (the parser is synchronous): the
  // runner's --test-timeout (test/run.mjs) then ends the file as a failure. How fast the parser
  // is, is measured by bench/sniffCost.ts, not asserted here, where load makes any bound flaky.
  it("never throws and always answers on random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), (b) => {
        const p = parseClientHello(b);
        assert.ok(["complete", "need-more", "error"].includes(p.kind));
      }),
      { numRuns: 3000 },
    );
  });

  it("never throws on real hellos with random bytes flipped, cut or inserted", () => {
    const mutation = fc.record({
      which: fc.nat({ max: real.length - 1 }),
      flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
      cut: fc.option(fc.nat()),
      refrag: fc.option(fc.integer({ min: 1, max: 600 })),
    });
    fc.assert(
      fc.property(mutation, (m) => {
        let b: Buffer = Buffer.from(real[m.which]!);
        if (m.refrag !== null) b = refragment(b, m.refrag);
        for (const [at, v] of m.flips) b[at % b.length] = v;
        if (m.cut !== null) b = b.subarray(0, m.cut % (b.length + 1));
        const p = parseClientHello(b);
        if (p.kind === "error") assert.ok(p.error.message.length > 0);
      }),
      { numRuns: 5000 },
    );
  });
});
