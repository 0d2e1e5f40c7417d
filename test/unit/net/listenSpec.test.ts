import { describe, it } from "node:test";
import assert from "node:assert/strict";
import dns from "node:dns";
import net from "node:net";
import { once } from "node:events";
import { listInterfaces } from "../../../extension/core/net/interfaces";
import { parseListenSpec, resolveListenSpec, resolveListenSpecs } from "../../../extension/core/net/listenSpec";
import { ListenSpecError } from "../../../extension/core/net/types";

/** A lookup that never leaves the process, so no test sends a DNS query. */
const fakeLookup = (table: Record<string, { address: string; family: number }[]>) => async (name: string) => {
  const hit = table[name];
  if (!hit) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: "ENOTFOUND" });
  return hit;
};

describe("listen specs", () => {
  it("parses addresses, bracketed IPv6 with zones, and names", () => {
    assert.deepEqual(parseListenSpec("127.0.0.1:8443"), {
      kind: "address",
      spec: "127.0.0.1:8443",
      address: "127.0.0.1",
      family: 4,
      port: 8443,
    });
    assert.deepEqual(parseListenSpec("[0:0::1]:443"), {
      kind: "address",
      spec: "[0:0::1]:443",
      address: "::1",
      family: 6,
      port: 443,
    });
    assert.equal((parseListenSpec("[fe80::1%eth0]:8443") as { address: string }).address, "fe80::1%eth0");
    assert.deepEqual(parseListenSpec("my-awesome-service.test:8443"), {
      kind: "name",
      spec: "my-awesome-service.test:8443",
      name: "my-awesome-service.test",
      port: 8443,
    });
  });

  it("rejects bad specs with a reason that says what to write instead", () => {
    const cases: [string, RegExp][] = [
      ["localhost", /has no port; write localhost:8443/],
      ["::1:8443", /needs brackets.*\[::1\]:8443/],
      ["[::1]8443", /needs a port after the brackets/],
      ["[::1:8443", /without "\]"/],
      ["[my.test]:8443", /not an IPv6 address/],
      [":8443", /has no address/],
      ["*:8443", /0\.0\.0\.0:8443/],
      ["localhost:http", /not a number between 1 and 65535/],
      ["localhost:65536", /above 65535/],
      ["localhost:-1", /not a number/],
      ["localhost:0", /port 0 would pick a random port for each address of "localhost".*127\.0\.0\.1:0/],
      ["lo:0", /port 0 would pick a random port for each address of "lo"/],
      ["999.1.1.1:80", /not a valid IPv4 address/],
      ["", /is empty/],
    ];
    for (const [spec, reason] of cases) {
      assert.throws(
        () => parseListenSpec(spec),
        (e: unknown) => e instanceof ListenSpecError && e.spec === spec && reason.test(e.message),
        spec,
      );
    }
    assert.equal(parseListenSpec("localhost:0", true).port, 0);
  });

  it("accepts port 0 on a single address, where the one socket gets the one port the OS picks", async () => {
    assert.equal(parseListenSpec("127.0.0.1:0").port, 0);
    assert.equal(parseListenSpec("[::1]:0").port, 0);
    assert.equal(parseListenSpec("0.0.0.0:0").port, 0);
    const got = await resolveListenSpec("127.0.0.1:0");
    assert.deepEqual(
      got.map((a) => [a.address, a.port]),
      [["127.0.0.1", 0]],
    );
    await assert.rejects(resolveListenSpec("localhost:0"), /port 0 would pick a random port/);
    await assert.rejects(resolveListenSpecs(["127.0.0.1:0", "localhost:0"]), /listen spec "localhost:0"/);
  });

  it("flags 0.0.0.0 and [::] as wildcards", async () => {
    assert.deepEqual(await resolveListenSpec("0.0.0.0:8443"), [
      { spec: "0.0.0.0:8443", address: "0.0.0.0", family: 4, port: 8443, interfaceName: "*", wildcard: true },
    ]);
    assert.deepEqual(await resolveListenSpec("[::]:8443"), [
      { spec: "[::]:8443", address: "::", family: 6, port: 8443, interfaceName: "*", wildcard: true },
    ]);
    const [one] = await resolveListenSpec("127.0.0.1:8443");
    assert.equal(one?.wildcard, false);
  });

  it("resolves the real lo interface to its addresses", async () => {
    const lo = listInterfaces().find((i) => i.kind === "loopback");
    assert.ok(lo, "this machine has a loopback interface");
    const got = await resolveListenSpec(`${lo.name}:8443`);
    assert.deepEqual(got.map((a) => a.address).sort(), lo.addresses.map((a) => a.address).sort());
    assert.ok(got.every((a) => a.interfaceName === lo.name && a.port === 8443 && !a.wildcard));
    assert.ok(got.some((a) => a.address === "127.0.0.1"));
  });

  it("resolves localhost through the real resolver to every loopback address, and each can be bound", async () => {
    const system = await dns.promises.lookup("localhost", { all: true, verbatim: true });
    const got = await resolveListenSpec("localhost:0", { allowEphemeralPort: true });
    const addresses = got.map((a) => a.address);
    for (const s of system) assert.ok(addresses.includes(s.address), `keeps getaddrinfo's ${s.address}`);
    assert.equal(addresses[0], system[0]!.address, "keeps the resolver's order");
    assert.ok(addresses.includes("127.0.0.1"));
    const hasV6Loopback = listInterfaces().some((i) => i.addresses.some((a) => a.address === "::1"));
    assert.equal(addresses.includes("::1"), hasV6Loopback, "::1 is bound whenever this machine has it");
    assert.equal(new Set(addresses).size, addresses.length, "no duplicates");
    for (const a of got) {
      const server = net.createServer().listen({ host: a.address, port: 0 });
      await once(server, "listening");
      server.close();
    }
  });

  it("resolves a hostname to all its addresses, deduplicated, with their interfaces", async () => {
    const lookup = fakeLookup({
      "my-awesome-service.test": [
        { address: "::1", family: 6 },
        { address: "127.0.0.1", family: 4 },
        { address: "0:0:0:0:0:0:0:1", family: 6 },
        { address: "10.99.0.7", family: 4 },
      ],
    });
    const got = await resolveListenSpec("my-awesome-service.test:8443", { lookup });
    assert.deepEqual(
      got.map((a) => a.address),
      ["::1", "127.0.0.1", "10.99.0.7"],
    );
    assert.ok(got[0]!.interfaceName, "::1 is on loopback");
    assert.equal(
      got[2]!.interfaceName,
      undefined,
      "an address not on this machine has no interface; binding it fails with EADDRNOTAVAIL",
    );
  });

  it("says when a name is neither an interface nor resolvable", async () => {
    await assert.rejects(
      resolveListenSpec("no-such-name.test:8443", { lookup: fakeLookup({}) }),
      /listen spec "no-such-name.test:8443": "no-such-name.test" is neither an interface of this machine nor a name that resolves \(ENOTFOUND\)/,
    );
  });

  it("gives IPv6 link-local addresses of an interface their zone", async () => {
    const interfaces = listInterfaces(
      {
        eth1: [
          {
            address: "192.168.5.2",
            netmask: "255.255.255.0",
            family: "IPv4",
            mac: "aa:aa:aa:aa:aa:aa",
            internal: false,
            cidr: "192.168.5.2/24",
          },
          {
            address: "fe80::1",
            netmask: "ffff:ffff:ffff:ffff::",
            family: "IPv6",
            mac: "aa:aa:aa:aa:aa:aa",
            internal: false,
            cidr: "fe80::1/64",
            scopeid: 7,
          },
        ],
      },
      "linux",
    );
    assert.deepEqual(
      (await resolveListenSpec("eth1:8443", { interfaces, platform: "linux" })).map((a) => a.address),
      ["192.168.5.2", "fe80::1%eth1"],
    );
    assert.deepEqual(
      (await resolveListenSpec("eth1:8443", { interfaces, platform: "win32" })).map((a) => a.address),
      ["192.168.5.2", "fe80::1%7"],
    );
  });

  it("resolves a list of specs and names the bad one", async () => {
    const got = await resolveListenSpecs(["127.0.0.1:8443", "[::1]:8443"]);
    assert.equal(got.length, 2);
    await assert.rejects(resolveListenSpecs(["127.0.0.1:8443", "nope"]), /listen spec "nope"/);
  });
});
