import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { listInterfaces } from "../../../extension/core/net/interfaces";
import { findMismatches, type BindingState, type UpstreamListenState } from "../../../extension/core/net/mismatches";
import type { NameResolution, ResolvedAddress } from "../../../extension/core/net/resolution";

const interfaces = listInterfaces(
  {
    lo: [
      {
        address: "127.0.0.1",
        netmask: "255.0.0.0",
        family: "IPv4",
        mac: "00:00:00:00:00:00",
        internal: true,
        cidr: "127.0.0.1/8",
      },
      {
        address: "::1",
        netmask: "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        family: "IPv6",
        mac: "00:00:00:00:00:00",
        internal: true,
        cidr: "::1/128",
        scopeid: 0,
      },
    ],
    eth0: [
      {
        address: "192.168.1.20",
        netmask: "255.255.255.0",
        family: "IPv4",
        mac: "aa:bb:cc:dd:ee:ff",
        internal: false,
        cidr: "192.168.1.20/24",
      },
    ],
  },
  "linux",
);

const v4 = (address: string): ResolvedAddress => ({ address, family: 4 });
const v6 = (address: string): ResolvedAddress => ({ address, family: 6 });

function resolution(name: string, system: ResolvedAddress[], hostsLines: number[] = []): NameResolution {
  return {
    name,
    hostsFile: { path: "/etc/hosts", answers: hostsLines.map((line, i) => ({ ...system[i]!, line })) },
    system: { addresses: system },
    dns: { addresses: [], error: "skipped" },
    source: hostsLines.length > 0 ? "hosts-file" : "dns",
    explanation: "",
  };
}

function binding(address: string, port = 8443, state: BindingState["state"] = "listening"): BindingState {
  const wildcard = address === "0.0.0.0" || address === "::";
  return { spec: `${address}:${port}`, address, family: address.includes(":") ? 6 : 4, port, wildcard, state };
}

describe("mismatches", () => {
  it("finds nothing when the name resolves to loopbacks the proxy listens on", () => {
    const r = resolution("my-awesome-service.test", [v6("::1"), v4("127.0.0.1")], [7, 8]);
    assert.deepEqual(
      findMismatches({ bindings: [binding("127.0.0.1"), binding("::1")], resolutions: [r], interfaces }),
      [],
    );
  });

  it("flags a name that resolves to ::1 first while nothing listens on ::1", () => {
    const r = resolution("my-awesome-service.test", [v6("::1"), v4("127.0.0.1")], [7, 8]);
    const found = findMismatches({
      bindings: [binding("127.0.0.1"), binding("::1", 8443, "failed")],
      resolutions: [r],
      interfaces,
    });
    assert.equal(found.length, 1);
    assert.equal(found[0]!.code, "first-address-not-bound");
    assert.equal(found[0]!.severity, "error");
    assert.match(
      found[0]!.message,
      /resolves to ::1 first, but nothing of Switchyard listens on \[::1\]:8443; clients that do not fall back to 127\.0\.0\.1/,
    );
    assert.match(found[0]!.fix, /\[::1\]:8443/);
  });

  it("counts a dual-stack [::] wildcard as listening on both families", () => {
    const r = resolution("a.test", [v6("::1"), v4("127.0.0.1")]);
    const found = findMismatches({ bindings: [binding("::")], resolutions: [r], interfaces });
    assert.deepEqual(
      found.map((m) => m.code),
      ["wildcard-binding"],
    );
    assert.match(found[0]!.message, /listens on \[::\]:8443: every network this machine is on/);
  });

  it("flags a name that resolves to an address on no local interface, saying where it came from", () => {
    const fromHosts = resolution("old.test", [v4("10.1.2.3")], [12]);
    const fromDns = resolution("other.test", [v4("192.168.1.20"), v4("203.0.113.9")]);
    const found = findMismatches({ bindings: [binding("0.0.0.0")], resolutions: [fromHosts, fromDns], interfaces });
    const notLocal = found.filter((m) => m.code === "address-not-local");
    assert.equal(notLocal.length, 2);
    assert.match(
      notLocal[0]!.message,
      /old\.test resolves to 10\.1\.2\.3 \(hosts file line 12\), which is not an address of any interface/,
    );
    assert.match(notLocal[1]!.message, /203\.0\.113\.9 \(from DNS\)/);
  });

  it("flags a name that does not resolve", () => {
    const r: NameResolution = { ...resolution("gone.test", []), system: { addresses: [], error: "ENOTFOUND" } };
    const [m] = findMismatches({ bindings: [binding("127.0.0.1")], resolutions: [r], interfaces });
    assert.equal(m?.code, "name-does-not-resolve");
    assert.match(m!.message, /gone\.test does not resolve on this machine \(ENOTFOUND\)/);
  });

  it("flags an upstream on 127.0.0.1 only while localhost resolves to ::1 first, and the reverse", () => {
    const up = (first: ResolvedAddress[], on: ResolvedAddress[]): UpstreamListenState => ({
      host: "localhost",
      port: 3000,
      resolution: resolution("localhost", first),
      listeningOn: on,
    });
    const [a] = findMismatches({
      bindings: [],
      resolutions: [],
      interfaces,
      upstreams: [up([v6("::1"), v4("127.0.0.1")], [v4("127.0.0.1")])],
    });
    assert.equal(a?.code, "upstream-family-mismatch");
    assert.match(
      a!.message,
      /localhost resolves to ::1 first, but the server on port 3000 listens only on 127\.0\.0\.1/,
    );
    assert.match(a!.fix, /http:\/\/127\.0\.0\.1:3000/);
    const [b] = findMismatches({
      bindings: [],
      resolutions: [],
      interfaces,
      upstreams: [up([v4("127.0.0.1"), v6("::1")], [v6("::1")])],
    });
    assert.equal(b?.code, "upstream-family-mismatch");
    assert.match(b!.fix, /http:\/\/\[::1\]:3000/);
    const ok = findMismatches({
      bindings: [],
      resolutions: [],
      interfaces,
      upstreams: [up([v4("127.0.0.1"), v6("::1")], [v4("127.0.0.1")])],
    });
    assert.deepEqual(ok, [], "the first address answers: no mismatch");
    const [down] = findMismatches({
      bindings: [],
      resolutions: [],
      interfaces,
      upstreams: [up([v4("127.0.0.1")], [])],
    });
    assert.equal(down?.code, "upstream-not-listening");
  });

  it("orders errors before warnings", () => {
    const r = resolution("a.test", [v6("::1"), v4("10.1.2.3")]);
    const found = findMismatches({ bindings: [binding("0.0.0.0")], resolutions: [r], interfaces });
    assert.deepEqual(
      found.map((m) => m.severity),
      ["error", "warning", "warning"],
    );
  });
});
