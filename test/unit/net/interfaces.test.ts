import { describe, it } from "node:test";
import assert from "node:assert/strict";
import os from "node:os";
import {
  canonicalAddress,
  guessInterfaceKind,
  interfaceForAddress,
  isLinkLocal,
  isLoopback,
  listInterfaces,
  type InterfaceTable,
} from "../../../extension/core/net/interfaces";

const TABLE: InterfaceTable = {
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
  wlp3s0: [
    {
      address: "192.168.1.20",
      netmask: "255.255.255.0",
      family: "IPv4",
      mac: "aa:bb:cc:dd:ee:ff",
      internal: false,
      cidr: "192.168.1.20/24",
    },
    {
      address: "fe80::a8bb:ccff:fedd:eeff",
      netmask: "ffff:ffff:ffff:ffff::",
      family: "IPv6",
      mac: "aa:bb:cc:dd:ee:ff",
      internal: false,
      cidr: "fe80::a8bb:ccff:fedd:eeff/64",
      scopeid: 3,
    },
  ],
  docker0: [
    {
      address: "172.17.0.1",
      netmask: "255.255.0.0",
      family: "IPv4",
      mac: "02:42:00:00:00:01",
      internal: false,
      cidr: "172.17.0.1/16",
    },
  ],
};

describe("network interfaces", () => {
  it("guesses the kind of an interface from its name", () => {
    assert.equal(guessInterfaceKind("lo", true, "linux"), "loopback");
    assert.equal(guessInterfaceKind("lo0", false, "darwin"), "loopback");
    assert.equal(guessInterfaceKind("docker0", false, "linux"), "bridge");
    assert.equal(guessInterfaceKind("br-1a2b3c", false, "linux"), "bridge");
    assert.equal(guessInterfaceKind("vEthernet (WSL)", false, "win32"), "bridge");
    assert.equal(guessInterfaceKind("wlp3s0", false, "linux"), "wifi");
    assert.equal(guessInterfaceKind("Wi-Fi", false, "win32"), "wifi");
    assert.equal(guessInterfaceKind("enp0s31f6", false, "linux"), "wired");
    assert.equal(guessInterfaceKind("eth0", false, "linux"), "wired");
    assert.equal(guessInterfaceKind("Ethernet 2", false, "win32"), "wired");
    assert.equal(guessInterfaceKind("wg0", false, "linux"), "vpn");
    assert.equal(guessInterfaceKind("utun3", false, "darwin"), "vpn");
    assert.equal(guessInterfaceKind("tailscale0", false, "linux"), "vpn");
    assert.equal(guessInterfaceKind("en0", false, "darwin"), "other", "macOS en0 may be Wi-Fi or wired");
  });

  it("turns the os table into typed records with link-local flags and scope ids", () => {
    const list = listInterfaces(TABLE, "linux");
    assert.deepEqual(
      list.map((i) => [i.name, i.kind]),
      [
        ["lo", "loopback"],
        ["wlp3s0", "wifi"],
        ["docker0", "bridge"],
      ],
    );
    const wifi = list[1]!;
    assert.equal(wifi.mac, "aa:bb:cc:dd:ee:ff");
    assert.deepEqual(wifi.addresses[1], {
      address: "fe80::a8bb:ccff:fedd:eeff",
      family: 6,
      netmask: "ffff:ffff:ffff:ffff::",
      cidr: "fe80::a8bb:ccff:fedd:eeff/64",
      scopeId: 3,
      linkLocal: true,
    });
    assert.equal(list[0]!.mac, undefined, "an all-zero MAC is no MAC");
  });

  it("finds the interface carrying an address, in any spelling", () => {
    const list = listInterfaces(TABLE, "linux");
    assert.equal(interfaceForAddress("127.0.0.1", list)?.name, "lo");
    assert.equal(interfaceForAddress("0:0:0:0:0:0:0:1", list)?.name, "lo");
    assert.equal(interfaceForAddress("::ffff:172.17.0.1", list)?.name, "docker0");
    assert.equal(interfaceForAddress("FE80::A8BB:CCFF:FEDD:EEFF%wlp3s0", list)?.name, "wlp3s0");
    assert.equal(interfaceForAddress("fe80::a8bb:ccff:fedd:eeff%3", list)?.name, "wlp3s0");
    assert.equal(interfaceForAddress("fe80::a8bb:ccff:fedd:eeff%eth9", list), undefined, "wrong zone");
    assert.equal(interfaceForAddress("10.9.9.9", list), undefined);
  });

  it("finds the real loopback interface of this machine", () => {
    const lo = interfaceForAddress("127.0.0.1");
    assert.ok(lo, "127.0.0.1 is on some interface");
    assert.equal(lo.kind, "loopback");
    assert.ok(Object.keys(os.networkInterfaces()).includes(lo.name));
  });

  it("classifies loopback and link-local addresses", () => {
    assert.equal(canonicalAddress("0:0:0:0:0:0:0:1"), "::1");
    assert.equal(canonicalAddress("FE80:0:0:0:0:0:0:1%eth0"), "fe80::1%eth0");
    assert.equal(canonicalAddress("my.test"), "my.test");
    assert.ok(isLoopback("127.1.2.3") && isLoopback("::1") && isLoopback("::ffff:127.0.0.1"));
    assert.ok(!isLoopback("10.0.0.1"));
    assert.ok(isLinkLocal("fe80::1%lo") && isLinkLocal("169.254.1.1") && !isLinkLocal("fd00::1"));
  });
});
