/**
 * Linux: an nftables table per user, `inet switchyard_ports_UID`, whose nat `output` chain
 * redirects that user's own connections to loopback port 443 or 80 (127.0.0.0/8 and ::1) to the
 * port their proxy listens on. The output hook sees only packets made on this machine, and the
 * `meta skuid` match only that user's sockets: nothing from the network and no other user is
 * affected. It is loaded with `nft -f /etc/switchyard/ports-UID.nft`; a systemd unit (oneshot)
 * loads the same file at boot where systemd is installed.
 */
import { existsSync } from "node:fs";
import type { CommandRunner } from "../commandRunner";
import type { PortsState } from "./state";
import { stateDir } from "./state";
import type { SystemFiles } from "./systemFiles";
import type { EnableResult, MechanismStatus, PortsMechanism, PortsPlan } from "./types";

/** The table of `uid`'s redirect. */
export const nftTable = (uid: number): string => `switchyard_ports_${uid}`;
/** The ruleset file `nft -f` loads (at enable and at boot). */
export const nftFile = (uid: number): string => `${stateDir("linux")}/ports-${uid}.nft`;
/** The systemd unit that loads it at boot, and its multi-user.target.wants link. */
export const unitName = (uid: number): string => `switchyard-ports-${uid}.service`;
const UNIT_DIR = "/etc/systemd/system";

/**
 * The ruleset file. The first two lines make loading it idempotent (create the table if missing,
 * delete it, then define it), so loading it twice leaves one copy. Priority -100 is dstnat, the
 * usual place for a redirect (written as a number: older nft do not know the name in inet output).
 * Pure.
 */
export function nftRuleset(plan: PortsPlan): string {
  const table = nftTable(plan.uid);
  const match = `meta skuid ${plan.uid}`;
  const ports = "tcp dport { 80, 443 }";
  return [
    "#!/usr/sbin/nft -f",
    `# Switchyard: loopback ports 443 and 80 of uid ${plan.uid}'s own programs go to its proxy on port ${plan.targetPort}.`,
    "# Written by switchyard ports enable; removed by switchyard ports disable.",
    `table inet ${table}`,
    `delete table inet ${table}`,
    `table inet ${table} {`,
    "\tchain output {",
    "\t\ttype nat hook output priority -100; policy accept;",
    `\t\t${match} ip daddr 127.0.0.0/8 ${ports} redirect to :${plan.targetPort}`,
    `\t\t${match} ip6 daddr ::1 ${ports} redirect to :${plan.targetPort}`,
    "\t}",
    "}",
    "",
  ].join("\n");
}

/** The unit that loads the ruleset at boot and removes the table when stopped. Pure. */
export function systemdUnit(plan: PortsPlan, nft: string): string {
  return [
    "# Written by switchyard ports enable; removed by switchyard ports disable.",
    "[Unit]",
    `Description=Switchyard: loopback ports 443 and 80 of uid ${plan.uid} to its proxy on port ${plan.targetPort}`,
    "Before=network-pre.target",
    "Wants=network-pre.target",
    "DefaultDependencies=no",
    "",
    "[Service]",
    "Type=oneshot",
    "RemainAfterExit=yes",
    `ExecStart=${nft} -f ${nftFile(plan.uid)}`,
    `ExecStop=-${nft} delete table inet ${nftTable(plan.uid)}`,
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

/** Whether systemd runs this machine (the test systemd's own sd_booted uses). */
const systemdRuns = (): boolean => existsSync("/run/systemd/system");

/** The nftables mechanism. `runner` runs nft and systemctl. */
export function linuxNft(runner: CommandRunner): PortsMechanism {
  const nftPath = async (): Promise<string> => (await runner.which("nft")) ?? "/usr/sbin/nft";
  return {
    name: "nftables",
    async unavailable() {
      return (await runner.which("nft"))
        ? undefined
        : "nft is not installed (Debian, Ubuntu: apt install nftables; Fedora: dnf install nftables)";
    },
    async enable(plan: PortsPlan, files: SystemFiles): Promise<EnableResult> {
      const nft = await nftPath();
      const lines: string[] = [];
      files.write(nftFile(plan.uid), nftRuleset(plan));
      lines.push(`wrote ${nftFile(plan.uid)}`);
      const loaded = await runner.run(nft, ["-f", nftFile(plan.uid)]);
      if (loaded.code !== 0) throw new Error(`nft could not load ${nftFile(plan.uid)}: ${loaded.stderr.trim()}`);
      lines.push(`loaded the nftables table inet ${nftTable(plan.uid)}`);
      if (!existsSync("/etc/systemd") && !(await runner.which("systemctl"))) {
        lines.push(
          `no systemd here: the redirect lasts until the next reboot; to restore it at boot, run "${nft} -f ${nftFile(plan.uid)}" from your init (or "switchyard ports enable" again)`,
        );
        return { lines };
      }
      const unit = `${UNIT_DIR}/${unitName(plan.uid)}`;
      files.write(unit, systemdUnit(plan, nft));
      files.link(`${UNIT_DIR}/multi-user.target.wants/${unitName(plan.uid)}`, unit);
      lines.push(`wrote ${unit}, enabled for multi-user.target (loads the table at boot)`);
      if (systemdRuns()) {
        const reload = await runner.run("systemctl", ["daemon-reload"]);
        if (reload.code !== 0) lines.push(`systemctl daemon-reload failed: ${reload.stderr.trim()}`);
      } else lines.push("systemd is installed but not running here: the unit takes effect when it runs");
      return { lines };
    },
    async disable(state: PortsState): Promise<string[]> {
      const nft = await nftPath();
      const removed = await runner.run(nft, ["delete", "table", "inet", nftTable(state.uid)]);
      const lines =
        removed.code === 0
          ? [`unloaded the nftables table inet ${nftTable(state.uid)}`]
          : /No such file|does not exist/i.test(removed.stderr)
            ? [`the nftables table inet ${nftTable(state.uid)} was not loaded`]
            : [];
      if (removed.code !== 0 && lines.length === 0)
        throw new Error(`nft could not delete table inet ${nftTable(state.uid)}: ${removed.stderr.trim()}`);
      return lines;
    },
    async status(uid: number): Promise<MechanismStatus> {
      const persisted = existsSync(nftFile(uid));
      const listed = await runner.run(await nftPath(), ["list", "table", "inet", nftTable(uid)]);
      const loaded = listed.code === 0 ? true : /No such file|does not exist/i.test(listed.stderr) ? false : undefined;
      const details = [
        persisted ? `ruleset file ${nftFile(uid)}` : `no ruleset file (${nftFile(uid)})`,
        loaded === undefined
          ? `whether table inet ${nftTable(uid)} is loaded needs root to read (the probe below answers for you)`
          : loaded
            ? `table inet ${nftTable(uid)} is loaded`
            : `table inet ${nftTable(uid)} is not loaded`,
      ];
      if (existsSync(`${UNIT_DIR}/multi-user.target.wants/${unitName(uid)}`))
        details.push(`systemd unit ${unitName(uid)} loads it at boot`);
      return { persisted, loaded, details };
    },
  };
}
