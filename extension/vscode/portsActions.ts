/**
 * "Use standard ports (no :8443 in URLs)": the walkthrough step, the status bar item's tooltip and
 * the Listeners view run it. One modal consent (saying exactly what changes), then the native
 * elevation prompt runs `ports enable --yes --user UID --port PORT` from dist/elevatedPorts.js
 * (extension/cli/elevatedPorts.ts, the CLI's own command). Afterwards the session probes 443 and
 * every URL it shows drops the port. Nothing here runs without the user's click and consent, in
 * trusted and untrusted workspaces alike.
 */
import { join } from "node:path";
import * as vscode from "vscode";
import { standardPortHolders } from "../core/ports/holders";
import { currentUid } from "../core/ports/state";
import { runElevated } from "./elevate";
import type { SwitchyardSession } from "./session";
import type { SwitchyardNode } from "./treeViews";

/** The label every entry point uses. */
export const USE_STANDARD_PORTS = "Use standard ports (no :8443 in URLs)";

async function elevatedPorts(action: "enable" | "disable", port: number | undefined): Promise<void> {
  const step = join(__dirname, "elevatedPorts.js");
  const argv = [process.execPath, step, action, "--user", String(currentUid())];
  if (port !== undefined) argv.push("--port", String(port));
  await runElevated(argv, { ELECTRON_RUN_AS_NODE: "1" }, "Switchyard");
}

/** Enables standard ports for this user's running proxy; returns whether 443 reaches it afterwards. */
export async function useStandardPorts(session: SwitchyardSession, log: vscode.LogOutputChannel): Promise<boolean> {
  const port = session.tlsPort();
  if (port === undefined) {
    const start = await vscode.window.showInformationMessage(
      "Start the proxy first: standard ports lead to the port it listens on.",
      "Start Proxy",
    );
    if (start) await session.startProxy();
    if (session.tlsPort() === undefined) return false;
    return useStandardPorts(session, log);
  }
  if (process.platform === "win32") {
    void vscode.window.showInformationMessage(
      'Windows has no privileged ports: set "switchyard.proxy.listen" to ["localhost:443", "localhost:80"] and the proxy listens there itself (if IIS or http.sys holds 443, Switchyard names it when the port fails).',
    );
    return false;
  }
  // Refused before any prompt: another server on 443 or 80 keeps its traffic.
  const holders = await standardPortHolders();
  if (holders.length > 0) {
    void vscode.window.showErrorMessage(
      `Switchyard will not take ports 443 and 80: ${holders.map((h) => h.description).join("; ")}. Stop it and try again; nothing was changed.`,
    );
    return false;
  }
  const who = process.platform === "darwin" ? "every local program's" : "your own programs'";
  const untrusted = vscode.workspace.isTrusted ? "" : " This workspace is not trusted: go on only if you meant to.";
  const answer = await vscode.window.showWarningMessage(
    USE_STANDARD_PORTS,
    {
      modal: true,
      detail:
        `With administrator rights, once: ${who} connections to 127.0.0.1 and ::1 on ports 443 and 80 go to the proxy on port ${port}, ` +
        `so https://NAME/ and http://NAME/ work without a port. Nothing from the network is affected, and it survives a reboot. ` +
        `Undo it any time with "Switchyard: Stop Using Standard Ports" (or switchyard ports disable).${untrusted}`,
    },
    "Use Standard Ports",
  );
  if (answer !== "Use Standard Ports") return false;
  try {
    await elevatedPorts("enable", port);
  } catch (e) {
    log.error(`standard ports: ${(e as Error).message}`);
    void vscode.window.showErrorMessage(`Standard ports were not enabled: ${(e as Error).message}`);
    return false;
  }
  const reached = await session.refreshStandardPorts();
  if (reached) void vscode.window.showInformationMessage("Standard ports are in place: URLs no longer need a port.");
  else
    void vscode.window.showWarningMessage(
      'Standard ports were enabled, but a connection to 127.0.0.1:443 does not reach this proxy yet: run "switchyard ports status" in a terminal to see why.',
    );
  return reached;
}

/** Removes the redirect (administrator rights again); URLs carry the proxy's port afterwards. */
export async function stopStandardPorts(session: SwitchyardSession, log: vscode.LogOutputChannel): Promise<void> {
  const answer = await vscode.window.showWarningMessage(
    "Stop using standard ports?",
    { modal: true, detail: "Removes the redirect of ports 443 and 80 and every file it added (administrator rights)." },
    "Stop Using Standard Ports",
  );
  if (answer !== "Stop Using Standard Ports") return;
  try {
    await elevatedPorts("disable", undefined);
  } catch (e) {
    log.error(`standard ports: ${(e as Error).message}`);
    void vscode.window.showErrorMessage(`Standard ports were not removed: ${(e as Error).message}`);
  }
  await session.refreshStandardPorts();
}

/** The Listeners view's entry: the action while standard ports are off, their state (and any warning) while on. */
export function standardPortsNodes(session: SwitchyardSession): SwitchyardNode[] {
  const port = session.tlsPort();
  if (port === undefined) return [];
  const state = session.standardPortsState;
  if (state.warning)
    return [
      {
        kind: "note",
        label: "Standard ports",
        description: state.warning,
        tooltip: state.warning,
        icon: new vscode.ThemeIcon("warning", new vscode.ThemeColor("problemsWarningIcon.foreground")),
      },
    ];
  if (state.inPlace)
    return [
      {
        kind: "note",
        label: "Standard ports",
        description: `443, 80 → :${port}`,
        tooltip: `Loopback ports 443 and 80 reach this proxy on port ${port}: URLs need no port.`,
        icon: new vscode.ThemeIcon("pass", new vscode.ThemeColor("testing.iconPassed")),
      },
    ];
  return [
    {
      kind: "note",
      label: USE_STANDARD_PORTS,
      tooltip: `Let https://NAME/ reach this proxy on port ${port} (asks for administrator rights once).`,
      icon: new vscode.ThemeIcon("link"),
      command: { command: "switchyard.useStandardPorts", title: USE_STANDARD_PORTS },
    },
  ];
}
