/**
 * Whether VS Code itself announces a dev server's port. In a remote window (SSH, WSL, a dev
 * container, code-server) VS Code forwards each port a process starts listening on and, unless
 * `remote.portsAttributes` says otherwise, shows "Your application running on port N is
 * available". Detection then shows no toast of its own for that server, so the user gets one
 * toast per dev server. Extensions cannot silence VS Code's (`registerPortAttributesProvider` is a
 * proposed API) and Switchyard does not write `remote.portsAttributes` behind the user's back.
 * This mirrors VS Code's own resolution (tunnelModel.ts, PortsAttributes): an entry keyed by the
 * exact port wins, then the first range ("3000-3999") or regular expression over the process's
 * command line that matches, then `remote.otherPortsAttributes`, then "notify".
 */

/** The attributes of one `remote.portsAttributes` entry that make VS Code use it (PortsAttributes.getAttributes). */
const ATTRIBUTES = ["onAutoForward", "elevateIfNeeded", "label", "requireLocalPort", "protocol"];

/** What VS Code decides the toast from. */
export interface PortNoticeSettings {
  /** The window is remote: VS Code forwards ports (`vscode.env.remoteName` is set). */
  remote: boolean;
  /** `remote.autoForwardPorts` (VS Code's default: true). */
  autoForwardPorts?: unknown;
  /** `remote.portsAttributes`. */
  portsAttributes?: unknown;
  /** `remote.otherPortsAttributes`. */
  otherPortsAttributes?: unknown;
}

const asObject = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;

function onAutoForwardOf(value: unknown): string | undefined {
  const action = asObject(value)?.onAutoForward;
  return typeof action === "string" ? action : undefined;
}

/** Whether a `remote.portsAttributes` key (port, range or regular expression) applies to the port or command line. */
function keyMatches(key: string, port: number, commandLine: string): "port" | "other" | false {
  if (/^\d+$/.test(key)) return Number(key) === port ? "port" : false;
  const range = /^(\d+)-(\d+)$/.exec(key);
  if (range) return port >= Number(range[1]) && port <= Number(range[2]) ? "other" : false;
  // "host:port" keys apply to one forwarded host, which detection does not know: they never match here.
  if (/^[a-z0-9.-]+:\d{1,5}$/i.test(key)) return false;
  try {
    return commandLine !== "" && new RegExp(key).test(commandLine) ? "other" : false;
  } catch {
    return false;
  }
}

/** VS Code's `onAutoForward` for a port: "notify", "openBrowser", "openPreview", "silent", "ignore"… */
export function onAutoForwardFor(port: number, commandLine: string, settings: PortNoticeSettings): string {
  let exact: string | undefined;
  let other: string | undefined;
  // An entry that applies with any attribute (even only a label) replaces otherPortsAttributes.
  let matched = false;
  for (const [key, value] of Object.entries(asObject(settings.portsAttributes) ?? {})) {
    const match = keyMatches(key, port, commandLine);
    const entry = asObject(value);
    if (!match || !entry || !ATTRIBUTES.some((a) => entry[a] !== undefined)) continue;
    matched = true;
    const action = onAutoForwardOf(entry);
    if (match === "port") exact ??= action;
    else other ??= action;
  }
  const fallback = matched ? undefined : onAutoForwardOf(settings.otherPortsAttributes);
  return exact ?? other ?? fallback ?? "notify";
}

/** True when VS Code shows its own toast for a server listening on `port`. */
export function vscodeAnnouncesPort(port: number, commandLine: string, settings: PortNoticeSettings): boolean {
  if (!settings.remote || settings.autoForwardPorts === false) return false;
  return onAutoForwardFor(port, commandLine, settings) === "notify";
}
