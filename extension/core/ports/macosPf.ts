/**
 * macOS: a pf anchor with `rdr` rules on lo0 sending loopback 443 and 80 (127.0.0.1 and ::1) to the
 * proxy's port, loaded into `com.apple/switchyard-ports-UID` (the stock /etc/pf.conf already
 * evaluates every `com.apple/*` anchor, so pf.conf itself is never edited), and a launchd daemon
 * that loads it again at boot. pf's `rdr` cannot match the user a socket belongs to (`user` works
 * in filter rules only), so on macOS every local user's loopback 443 and 80 reach this proxy while
 * it is enabled; the README says so. Not run here: tested against recorded command lines.
 */
import type { CommandRunner } from "../commandRunner";
import type { PortsState } from "./state";
import { stateDir } from "./state";
import type { SystemFiles } from "./systemFiles";
import type { EnableResult, MechanismStatus, PortsMechanism, PortsPlan } from "./types";

export const PFCTL = "/sbin/pfctl";
export const LAUNCHCTL = "/bin/launchctl";
/** The anchor of `uid`'s rules, under the one pf.conf already loads. */
export const pfAnchor = (uid: number): string => `com.apple/switchyard-ports-${uid}`;
export const pfFile = (uid: number): string => `${stateDir("darwin")}/ports-${uid}.pf`;
export const daemonLabel = (uid: number): string => `dev.switchyard.ports.${uid}`;
export const daemonPlist = (uid: number): string => `/Library/LaunchDaemons/${daemonLabel(uid)}.plist`;

/** The anchor's rules. Pure. */
export function pfRules(plan: PortsPlan): string {
  const p = plan.targetPort;
  return [
    `# Switchyard: loopback ports 443 and 80 to uid ${plan.uid}'s proxy on port ${p}.`,
    "# Written by switchyard ports enable; removed by switchyard ports disable.",
    `rdr pass on lo0 inet proto tcp from any to 127.0.0.1 port { 80, 443 } -> 127.0.0.1 port ${p}`,
    `rdr pass on lo0 inet6 proto tcp from any to ::1 port { 80, 443 } -> ::1 port ${p}`,
    "",
  ].join("\n");
}

/** The launchd daemon that enables pf and loads the anchor at boot. Pure. */
export function launchdPlist(uid: number): string {
  const args = [PFCTL, "-E", "-a", pfAnchor(uid), "-f", pfFile(uid)];
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    "<dict>",
    `\t<key>Label</key><string>${daemonLabel(uid)}</string>`,
    "\t<key>ProgramArguments</key>",
    "\t<array>",
    ...args.map((a) => `\t\t<string>${a}</string>`),
    "\t</array>",
    "\t<key>RunAtLoad</key><true/>",
    "</dict>",
    "</plist>",
    "",
  ].join("\n");
}

/** The reference `pfctl -E` prints ("Token : 1234"), or undefined. Pure. */
export function parsePfToken(text: string): string | undefined {
  return /Token\s*:\s*(\d+)/.exec(text)?.[1];
}

/** The pf mechanism. */
export function macosPf(runner: CommandRunner): PortsMechanism {
  return {
    name: "pf",
    async unavailable() {
      return undefined;
    },
    async enable(plan: PortsPlan, files: SystemFiles): Promise<EnableResult> {
      files.write(pfFile(plan.uid), pfRules(plan));
      const loaded = await runner.run(PFCTL, ["-E", "-a", pfAnchor(plan.uid), "-f", pfFile(plan.uid)]);
      if (loaded.code !== 0) throw new Error(`pfctl could not load ${pfFile(plan.uid)}: ${loaded.stderr.trim()}`);
      const pfToken = parsePfToken(`${loaded.stdout}\n${loaded.stderr}`);
      files.write(daemonPlist(plan.uid), launchdPlist(plan.uid));
      return {
        lines: [
          `wrote ${pfFile(plan.uid)} and loaded it into the pf anchor ${pfAnchor(plan.uid)}`,
          `wrote ${daemonPlist(plan.uid)} (loads the anchor at boot)`,
        ],
        ...(pfToken ? { pfToken } : {}),
      };
    },
    async disable(state: PortsState): Promise<string[]> {
      const lines: string[] = [];
      const flushed = await runner.run(PFCTL, ["-a", pfAnchor(state.uid), "-F", "all"]);
      if (flushed.code !== 0) throw new Error(`pfctl could not flush ${pfAnchor(state.uid)}: ${flushed.stderr.trim()}`);
      lines.push(`flushed the pf anchor ${pfAnchor(state.uid)}`);
      // Releases only our reference: pf stays enabled if something else enabled it too.
      if (state.pfToken) {
        await runner.run(PFCTL, ["-X", state.pfToken]);
        lines.push(`released pf enable reference ${state.pfToken}`);
      }
      // Present once a boot has loaded the daemon; not loaded is fine.
      await runner.run(LAUNCHCTL, ["bootout", `system/${daemonLabel(state.uid)}`]);
      return lines;
    },
    async status(uid: number): Promise<MechanismStatus> {
      const shown = await runner.run(PFCTL, ["-a", pfAnchor(uid), "-s", "nat"]);
      const loaded = shown.code === 0 ? /rdr/.test(shown.stdout) : undefined;
      const plist = await runner.run("/bin/test", ["-f", daemonPlist(uid)]);
      return {
        persisted: plist.code === 0,
        loaded,
        details: [
          loaded === undefined
            ? `whether the pf anchor ${pfAnchor(uid)} is loaded needs root to read`
            : `pf anchor ${pfAnchor(uid)} ${loaded ? "is loaded" : "is empty"}`,
          plist.code === 0 ? `launchd daemon ${daemonPlist(uid)} loads it at boot` : "no launchd daemon",
        ],
      };
    },
  };
}
