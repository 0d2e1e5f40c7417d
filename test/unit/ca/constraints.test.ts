import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { permittedNamesFrom, refusalFor } from "../../../extension/core/ca/constraints";
import { ipBytes, parseCidr, rangeContains } from "../../../extension/core/ca/ipRange";

const permitted = permittedNamesFrom([".corp.example"], ["10.0.0.0/8"]);

describe("name policy", () => {
  it("permits development names, their subdomains, loopback addresses and configured extras", () => {
    for (const name of [
      "localhost",
      "api.localhost",
      "my-awesome-service.test",
      "*.my-awesome-service.test",
      "a.internal",
      "nas.home.arpa",
      "printer.local",
      "127.0.0.1",
      "127.9.9.9",
      "::1",
      "svc.corp.example",
      "10.1.2.3",
    ]) {
      assert.equal(refusalFor(name, permitted), undefined, name);
    }
  });

  it("refuses a name outside the constraints, saying why and how to fix it", () => {
    const reason = refusalFor("example.com", permitted);
    assert.match(reason ?? "", /outside this CA's name constraints/);
    assert.match(reason ?? "", /permittedNames/);
    assert.match(reason ?? "", /switchyard ca create --force/);
    assert.match(refusalFor("192.168.1.10", permitted) ?? "", /permittedIpRanges/);
    assert.match(refusalFor("notest", permitted) ?? "", /outside/);
  });

  it("refuses wildcards directly under a top-level label and malformed wildcards", () => {
    for (const name of ["*.test", "*.localhost", "*.com", "*.home.arpa", "*.local"]) {
      assert.match(refusalFor(name, undefined) ?? "", /wildcard directly under a top-level label/, name);
    }
    assert.match(refusalFor("a.*.test", permitted) ?? "", /left-most label/);
    assert.match(refusalFor("foo*.bar.test", permitted) ?? "", /left-most label/);
  });

  it("permits any well-formed name when unconstrained, but still refuses bare-TLD wildcards", () => {
    assert.equal(refusalFor("example.com", undefined), undefined);
    assert.equal(refusalFor("8.8.8.8", undefined), undefined);
    assert.notEqual(refusalFor("*.com", undefined), undefined);
  });

  it("refuses empty and invalid names", () => {
    assert.match(refusalFor("", permitted) ?? "", /empty/);
    assert.match(refusalFor("bad_name!.test", permitted) ?? "", /not a valid DNS name/);
  });

  it("accepts every generated name under .test and refuses every one under .com (property)", () => {
    const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?$/);
    fc.assert(
      fc.property(fc.array(label, { minLength: 1, maxLength: 4 }), (labels) => {
        const base = labels.join(".");
        assert.equal(refusalFor(`${base}.test`, permitted), undefined);
        assert.notEqual(refusalFor(`${base}.com`, permitted), undefined);
      }),
    );
  });

  it("rejects invalid permitted names in settings", () => {
    assert.throws(() => permittedNamesFrom(["not a name"], []), /not a DNS name/);
    assert.throws(() => permittedNamesFrom([], ["10.0.0.0/99"]), /prefix length/);
  });
});

describe("IP ranges", () => {
  it("parses IPv4 and IPv6 CIDR ranges into address and mask bytes", () => {
    const v4 = parseCidr("127.1.2.3/8");
    assert.equal(v4.cidr, "127.0.0.0/8");
    assert.deepEqual([...v4.mask], [255, 0, 0, 0]);
    const v6 = parseCidr("::1/128");
    assert.equal(v6.address.length, 16);
    assert.equal(v6.address[15], 1);
    assert.ok(rangeContains(parseCidr("fd00::/8"), ipBytes("fd12:3456::1") ?? Buffer.alloc(0)));
    assert.ok(!rangeContains(v4, ipBytes("::1") ?? Buffer.alloc(0)));
  });

  it("expands compressed and IPv4-mapped IPv6 addresses", () => {
    assert.equal(ipBytes("::ffff:127.0.0.1")?.toString("hex"), "00000000000000000000ffff7f000001");
    assert.equal(ipBytes("2001:db8::2:1")?.toString("hex"), "20010db8000000000000000000020001");
    assert.equal(ipBytes("my-host.test"), undefined);
  });
});
