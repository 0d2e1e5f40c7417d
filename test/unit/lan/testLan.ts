/**
 * The LAN the Share on LAN tests build: two network namespaces, "machine" and "phone", each with lo
 * up, joined by a veth pair (lan0 in the machine's, wlan0 in the phone's) with an address in one
 * /24 at each end. Multicast crosses the veth like any Ethernet link. Nothing of this machine's
 * own network changes; {@link removeNamespaces} removes what {@link buildLan} created. Needs root and ip.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";

/** The two namespaces' names and their addresses on the LAN (in one /24). */
export interface TestLan {
  machineNs: string;
  phoneNs: string;
  machineIp: string;
  phoneIp: string;
}

/**
 * Fresh names for one test file's LAN: namespaces `sy-TAGm-ID` and `sy-TAGp-ID` (ID random, also
 * returned) and the addresses .1 (machine) and .2 (phone) of a random /24 in 10.`octet`.0.0/16.
 */
export function newTestLan(tag: string, octet: number): TestLan & { id: string } {
  const id = randomBytes(3).toString("hex");
  const subnet = `10.${octet}.${randomInt(1, 254)}`;
  return {
    id,
    machineNs: `sy-${tag}m-${id}`,
    phoneNs: `sy-${tag}p-${id}`,
    machineIp: `${subnet}.1`,
    phoneIp: `${subnet}.2`,
  };
}

/**
 * Creates `lan`'s namespaces and the link between them. Each namespace goes into `created` as soon
 * as it exists, so that {@link removeNamespaces} removes it also when a later step failed.
 */
export function buildLan(lan: TestLan, created: string[]): void {
  const { machineNs, phoneNs, machineIp, phoneIp } = lan;
  for (const ns of [machineNs, phoneNs]) {
    execFileSync("ip", ["netns", "add", ns]);
    created.push(ns);
    execFileSync("ip", ["-n", ns, "link", "set", "lo", "up"]);
  }
  execFileSync("ip", [
    "-n",
    machineNs,
    "link",
    "add",
    "lan0",
    "type",
    "veth",
    "peer",
    "name",
    "wlan0",
    "netns",
    phoneNs,
  ]);
  execFileSync("ip", ["-n", machineNs, "addr", "add", `${machineIp}/24`, "dev", "lan0"]);
  execFileSync("ip", ["-n", phoneNs, "addr", "add", `${phoneIp}/24`, "dev", "wlan0"]);
  execFileSync("ip", ["-n", machineNs, "link", "set", "lan0", "up"]);
  execFileSync("ip", ["-n", phoneNs, "link", "set", "wlan0", "up"]);
}

/** Deletes the namespaces in `created` (with everything in them: interfaces, addresses, sockets). */
export function removeNamespaces(created: string[]): void {
  for (const ns of created) spawnSync("ip", ["netns", "del", ns]);
}
