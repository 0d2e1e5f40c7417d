import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import dns from "node:dns";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { hostsFileAnswers, hostsMappings, resolveName, type DnsResolver } from "../../../extension/core/net/resolution";

const HOSTS = `# /etc/hosts of a developer machine
127.0.0.1\tlocalhost
::1     localhost ip6-localhost ip6-loopback
127.0.1.1 devbox

# BEGIN switchyard
127.0.0.1 my-awesome-service.test
::1 my-awesome-service.test   # managed
# END switchyard
10.20.30.40 Staging.Corp.Test api.corp.test
not-an-address broken.test
fe80::1%eth0 linklocal.test
`;

/** A DNS resolver that never touches the network. */
const fakeDns = (v4: Record<string, string[]>, v6: Record<string, string[]> = {}): DnsResolver => ({
  resolve4: async (name) =>
    v4[name] ?? Promise.reject(Object.assign(new Error("no"), { code: name in v6 ? "ENODATA" : "ENOTFOUND" })),
  resolve6: async (name) =>
    v6[name] ?? Promise.reject(Object.assign(new Error("no"), { code: name in v4 ? "ENODATA" : "ENOTFOUND" })),
});

describe("name resolution by source", () => {
  let dir = "";
  let hostsPath = "";
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "sy-net-hosts-"));
    hostsPath = path.join(dir, "hosts");
    writeFileSync(hostsPath, HOSTS);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("parses a hosts file, skipping comments and malformed lines", () => {
    const lines = hostsMappings(HOSTS);
    assert.equal(lines.length, 7);
    assert.deepEqual(lines[2], { line: 4, address: "127.0.1.1", names: ["devbox"] });
    assert.deepEqual(hostsFileAnswers("staging.corp.test.", lines), [{ address: "10.20.30.40", family: 4, line: 10 }]);
    assert.deepEqual(hostsFileAnswers("my-awesome-service.test", lines), [
      { address: "127.0.0.1", family: 4, line: 7 },
      { address: "::1", family: 6, line: 8 },
    ]);
    assert.deepEqual(hostsFileAnswers("broken.test", lines), []);
    assert.deepEqual(
      hostsMappings("127.0.0.1 a.test\r\n::1 a.test\r\n").map((l) => l.address),
      ["127.0.0.1", "::1"],
    );
  });

  it("says the hosts file answered, keeping the system resolver's order", async () => {
    const r = await resolveName("my-awesome-service.test", {
      hostsPath,
      lookup: async () => [
        { address: "::1", family: 6 },
        { address: "127.0.0.1", family: 4 },
      ],
      dnsResolver: fakeDns({}),
    });
    assert.equal(r.source, "hosts-file");
    assert.deepEqual(r.system.addresses, [
      { address: "::1", family: 6 },
      { address: "127.0.0.1", family: 4 },
    ]);
    assert.equal(r.dns.error, "IPv4: ENOTFOUND; IPv6: ENOTFOUND");
    assert.match(
      r.explanation,
      /the hosts file .*hosts \(line 7, 8\) maps my-awesome-service\.test to 127\.0\.0\.1, ::1; clients try ::1, 127\.0\.0\.1 in that order/,
    );
  });

  it("says DNS answered when the hosts file has no entry, with v4 and v6", async () => {
    const r = await resolveName("www.example.test", {
      hostsPath,
      lookup: async () => [
        { address: "192.0.2.10", family: 4 },
        { address: "2001:db8::10", family: 6 },
      ],
      dnsResolver: fakeDns({ "www.example.test": ["192.0.2.10"] }, { "www.example.test": ["2001:DB8:0:0::10"] }),
    });
    assert.equal(r.source, "dns");
    assert.deepEqual(r.dns.addresses, [
      { address: "192.0.2.10", family: 4 },
      { address: "2001:db8::10", family: 6 },
    ]);
    assert.equal(r.dns.error, undefined);
  });

  it("gives up on a DNS server that does not answer within the timeout", async () => {
    const hang: DnsResolver = {
      resolve4: () => new Promise(() => undefined),
      resolve6: () => new Promise(() => undefined),
    };
    // A resolver that never answers: the test ends only if the timeout gives up on it (a hang
    // fails the file through the runner's timeout). How soon is the bench's business, not a test's.
    const r = await resolveName("slow.test", {
      hostsPath,
      lookup: async () => [],
      dnsResolver: hang,
      dnsTimeoutMs: 100,
    });
    assert.equal(r.dns.error, "IPv4: ETIMEOUT; IPv6: ETIMEOUT");
    assert.equal(r.source, "none");
    assert.match(r.explanation, /slow\.test does not resolve/);
  });

  it("records an unreadable hosts file and a failing lookup without throwing", async () => {
    const r = await resolveName("x.test", {
      hostsPath: path.join(dir, "missing"),
      lookup: () => Promise.reject(Object.assign(new Error("nope"), { code: "ENOTFOUND" })),
      dnsResolver: false,
    });
    assert.match(r.hostsFile.error ?? "", /cannot read .*missing: ENOENT/);
    assert.equal(r.system.error, "ENOTFOUND");
    assert.equal(r.dns.error, "skipped");
  });

  it("resolves localhost with the real resolver and the real hosts file, never asking DNS", async () => {
    const expected = await dns.promises.lookup("localhost", { all: true, verbatim: true });
    const r = await resolveName("localhost", { hostsPath: "/etc/hosts" });
    assert.deepEqual(
      r.system.addresses.map((a) => a.address),
      expected.map((a) => a.address),
    );
    assert.equal(r.dns.error, "skipped", "RFC 6761: localhost is not sent to DNS");
    assert.ok(r.source === "hosts-file" || r.source === "builtin");
  });

  it("treats an address as a literal", async () => {
    const r = await resolveName("127.0.0.1", { hostsPath });
    assert.equal(r.source, "literal");
  });
});
