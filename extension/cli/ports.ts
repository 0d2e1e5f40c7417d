/**
 * `switchyard ports enable|disable|status`: standard ports (443 and 80) reaching the user's own
 * unprivileged proxy, so URLs need no :8443 (core/ports/). enable and disable need root (sudo acts
 * for the user who ran it); status runs as the user and probes for real.
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { resolveCaDir } from "../core/ca/index";
import { CA_FILES } from "../core/ca/paths";
import { execFileRunner } from "../core/commandRunner";
import { standardPortHolders } from "../core/ports/holders";
import {
  disableStandardPorts,
  enableStandardPorts,
  portsMechanism,
  standardPortsStatus,
  targetUser,
  type PortsStatus,
  type TargetUser,
} from "../core/ports/standardPorts";
import { currentUid } from "../core/ports/state";
import { PortsNeedRootError } from "../core/ports/types";
import { parseCommandArgs, UsageError, type CliCommand, type CliIO } from "./command";

const DEFAULT_PORT = 8443;

const HELP = `Usage:
  switchyard ports enable [--yes] [--user NAME] [--port N]   loopback 443 and 80 reach your proxy (needs root)
  switchyard ports disable [--yes] [--user NAME]             undo it, exactly
  switchyard ports status [--json] [--ca-dir DIR]           what is in place, who holds 443 and 80, where they lead

After enable, https://NAME/ and http://NAME/ (no port) reach the proxy you run as yourself
(switchyard serve, switchyard run, the VS Code extension), which keeps its own port too.
Only your own programs' connections to 127.0.0.1 and ::1 are redirected (Linux: an nftables
table matching your uid; macOS: a pf anchor on lo0; Windows needs no redirect). enable refuses,
changing nothing, when another program listens on 443 or 80.

Options:
  --user NAME    (root) the user whose proxy receives the ports; default: the user behind sudo or pkexec
  --port N       the port your proxy listens on (default ${DEFAULT_PORT})
  --yes          do not ask before changing the system
  --json         (status) machine-readable output
  --ca-dir DIR   (status) your CA directory, to recognise your proxy's certificate
`;

export const portsCommand: CliCommand = {
  name: "ports",
  summary: "let https://NAME/ work without :8443 (standard ports 443 and 80 to your proxy)",
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs("ports", argv, {
      yes: { type: "boolean", short: "y" },
      json: { type: "boolean" },
      user: { type: "string" },
      port: { type: "string" },
      "ca-dir": { type: "string" },
    });
    const [action, ...extra] = positionals;
    if (!action) throw new UsageError("missing action: enable, disable or status");
    if (!["enable", "disable", "status"].includes(action)) throw new UsageError(`unknown action "${action}"`);
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
    let port = DEFAULT_PORT;
    if (values.port !== undefined) {
      port = Number(values.port);
      if (!Number.isInteger(port) || port < 1024 || port > 65535)
        throw new UsageError(`--port must be your proxy's port (1024-65535), not "${values.port}"`);
    }
    const runner = execFileRunner(io.env, 30_000);
    const mechanism = portsMechanism(process.platform, runner);
    if (!mechanism) throw new Error(`standard ports are not supported on ${process.platform}`);
    const uid = currentUid();
    const user = targetUser({ explicit: values.user, env: io.env, uid });
    const who = `${user.name ?? "uid"} (uid ${user.uid})`;

    if (action === "status") {
      const probe = uid === user.uid || process.platform !== "linux";
      const status = await standardPortsStatus({
        uid: user.uid,
        mechanism,
        runner,
        rootPem: rootPem(values["ca-dir"], io),
        probe,
      });
      if (values.json) io.stdout(`${JSON.stringify(status, null, 2)}\n`);
      else printStatus(io, status, user, probe);
      return 0;
    }

    const unavailable = await mechanism.unavailable();
    if (unavailable) throw new Error(unavailable);
    if (process.platform !== "win32" && uid !== 0) throw new PortsNeedRootError(action as "enable" | "disable");
    if (action === "enable") {
      // Checked before asking, so a refusal needs no consent first; checked again inside enable.
      const holders = await standardPortHolders(process.platform, runner);
      const question = `Redirect ${process.platform === "darwin" ? "every local program's" : `${who}'s own`} connections to loopback ports 443 and 80 to the proxy on port ${port}?`;
      if (holders.length === 0 && !(await consent(values.yes, io, question))) return 1;
      const lines = await enableStandardPorts({ uid: user.uid, targetPort: port }, mechanism, holders);
      for (const line of lines) io.stdout(`${line}\n`);
      io.stdout(
        `standard ports are in place for ${who}: https://NAME/ and http://NAME/ reach the proxy on port ${port}; undo with "switchyard ports disable"\n`,
      );
      return 0;
    }
    if (!(await consent(values.yes, io, `Remove the standard-ports redirect of ${who}?`))) return 1;
    for (const line of await disableStandardPorts(user.uid, mechanism)) io.stdout(`${line}\n`);
    io.stdout(`standard ports are off for ${who}: URLs carry the proxy's port again\n`);
    return 0;
  },
};

async function consent(yes: boolean | undefined, io: CliIO, question: string): Promise<boolean> {
  if (yes) return true;
  if (await io.confirm(question)) return true;
  io.stderr("switchyard ports: not confirmed (pass --yes to skip the question); nothing was changed\n");
  return false;
}

/** This user's root certificate, to recognise their proxy in the probe; undefined when there is none yet. */
function rootPem(explicit: string | undefined, io: CliIO): string | undefined {
  const dir = resolveCaDir({ explicit, env: io.env, home: io.env.HOME || homedir() });
  const file = join(dir, CA_FILES.root);
  return existsSync(file) ? readFileSync(file, "utf8") : undefined;
}

function printStatus(io: CliIO, s: PortsStatus, user: TargetUser, probed: boolean): void {
  const out = (line: string): void => io.stdout(`${line}\n`);
  out(`standard ports for ${user.name ?? "uid"} (uid ${user.uid}), mechanism: ${s.mechanism ?? "none"}`);
  out(s.state ? `  enabled: 443 and 80 go to port ${s.state.targetPort}` : "  not enabled (switchyard ports enable)");
  for (const d of s.system?.details ?? []) out(`  ${d}`);
  if (s.holders.length === 0) out("  nothing else listens on 443 or 80");
  for (const h of s.holders)
    out(
      s.state && process.platform === "linux"
        ? `  ${h.description}: your own connections still go to your proxy; other users reach it (switchyard ports disable to reach it yourself)`
        : `  ${h.description}`,
    );
  for (const owner of s.foreignOwners)
    out(
      `  WARNING: uid ${owner} listens on port ${s.state?.targetPort}, where your 443 and 80 are redirected: your plain HTTP on 80 would reach them (TLS cannot: they do not hold your CA's key); stop them and start your proxy`,
    );
  if (!probed)
    out("  (not probed: the redirect applies to the user's own connections; run switchyard ports status as that user)");
  for (const r of s.reach) out(`  ${r.outcome === "proxy" ? "ok" : "--"} ${r.detail}`);
  if (probed && s.state)
    out(
      s.reachesProxy
        ? "  https://NAME/ reaches your proxy"
        : "  https://NAME/ does NOT reach your proxy now (is it running?)",
    );
}
