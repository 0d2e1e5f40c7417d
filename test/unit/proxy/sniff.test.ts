import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { firstBytesHex, sniff } from "../../../extension/core/proxy/accept/sniff";

const bytes = (s: string): Uint8Array => Buffer.from(s, "latin1");
const fixture = (name: string): Buffer =>
  readFileSync(path.join(__dirname, "../../fixtures/clienthello", `${name}.bin`));

describe("sniff", () => {
  it("asks for more bytes when nothing has arrived", () => assert.equal(sniff(new Uint8Array(0)), "need-more"));

  it("recognises every captured ClientHello as TLS from its first 3 bytes", () => {
    for (const name of ["curl-http2", "openssl-no-sni", "node-tls", "chromium", "openssl-tls12-only"]) {
      assert.equal(sniff(fixture(name).subarray(0, 3)), "tls", name);
    }
  });

  it("waits on a lone 0x16 and on 0x16 0x03", () => {
    assert.equal(sniff(Uint8Array.of(0x16)), "need-more");
    assert.equal(sniff(Uint8Array.of(0x16, 0x03)), "need-more");
  });

  it("rejects a 0x16 that is not followed by a TLS record version", () => {
    assert.equal(sniff(Uint8Array.of(0x16, 0x02, 0x01)), "unknown");
    assert.equal(sniff(Uint8Array.of(0x16, 0x03, 0x09)), "unknown");
  });

  it("recognises HTTP method tokens, including WebDAV and the h2c preface", () => {
    for (const m of ["GET /", "POST /x", "OPTIONS *", "PROPFIND /", "PRI * HTTP/2.0", "M-SEARCH *"])
      assert.equal(sniff(bytes(m)), "http", m);
  });

  it("waits while the bytes could still be a method", () => {
    assert.equal(sniff(bytes("GE")), "need-more");
    assert.equal(sniff(bytes("PROPFIND")), "need-more");
  });

  it("calls lower-case, binary, SSH banners and overlong tokens unknown", () => {
    for (const s of ["get /", "SSH-2.0-OpenSSH", "\x00\x01\x02", " GET", "ABCDEFGHIJKLMNOPQRSTUVWXYZ /"])
      assert.equal(sniff(bytes(s)), "unknown", JSON.stringify(s));
  });

  it("reaches a verdict within 17 bytes for any input", () => {
    for (let i = 0; i < 2000; i++) {
      const b = new Uint8Array(17).map(() => Math.floor(Math.random() * 256));
      assert.notEqual(sniff(b), "need-more");
    }
  });

  it("formats the first bytes as hex for unknown-protocol records", () => {
    assert.equal(firstBytesHex(Uint8Array.of(0, 0xff, 0x10)), "00ff10");
    assert.equal(firstBytesHex(new Uint8Array(100)).length, 64);
  });
});
