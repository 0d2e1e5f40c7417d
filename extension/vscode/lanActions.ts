/**
 * "Share on LAN" in VS Code: the command (palette, Listeners view, the status bar item's tooltip)
 * turns `switchyard.proxy.shareOnLan` on in the user's settings after a modal consent that says
 * what becomes reachable (and that the workspace is untrusted when it is); the setting is machine
 * scoped and restricted, so no workspace can turn it on by itself. Turning it off needs no
 * consent and takes effect at once: the proxy closes its LAN listeners and stops the responder.
 */
import * as vscode from "vscode";
import type { LanState } from "../core/lan/lanShare";
import type { SwitchyardSession } from "./session";
import type { SwitchyardNode } from "./treeViews";

/** The labels every entry point uses. */
export const SHARE_ON_LAN = "Share on LAN";
export const STOP_SHARING_ON_LAN = "Stop Sharing on LAN";

const SETTING = "proxy.shareOnLan";

/** Whether the user's settings turn sharing on now. */
export function isSharingConfigured(): boolean {
  return vscode.workspace.getConfiguration("switchyard").get<boolean>(SETTING) === true;
}

/** Asks, then turns sharing on (user settings); returns whether it is on afterwards. */
export async function shareOnLan(session: SwitchyardSession, log: vscode.LogOutputChannel): Promise<boolean> {
  if (isSharingConfigured()) return true;
  const untrusted = vscode.workspace.isTrusted
    ? ""
    : "\n\nThis workspace is not trusted: a workspace cannot turn this on, so go on only if you meant to.";
  const answer = await vscode.window.showWarningMessage(
    SHARE_ON_LAN,
    {
      modal: true,
      detail:
        "Devices on the networks this computer is on (Wi-Fi, Ethernet; not Docker or VM bridges) can then open every route as https://NAME.local:PORT/, " +
        "announced by multicast DNS, and http://THIS-COMPUTER:PORT/ offers them the local CA's root certificate (never its key). " +
        `Anyone on the same network reaches your dev servers through the proxy while this is on.${untrusted}`,
    },
    SHARE_ON_LAN,
  );
  if (answer !== SHARE_ON_LAN) return false;
  await vscode.workspace.getConfiguration("switchyard").update(SETTING, true, vscode.ConfigurationTarget.Global);
  log.info("sharing on the LAN: turned on in the user settings");
  if (!session.isRunning) await session.startProxy();
  return true;
}

/** Turns sharing off in the user settings (the LAN listeners and the responder stop at once). */
export async function stopSharingOnLan(log: vscode.LogOutputChannel): Promise<void> {
  await vscode.workspace.getConfiguration("switchyard").update(SETTING, false, vscode.ConfigurationTarget.Global);
  log.info("sharing on the LAN: turned off");
}

/** What the status bar item's tooltip says about sharing. */
export function lanSummary(state: LanState): { sharing: boolean; onboardingUrl?: string } {
  const url = state.onboardingUrls[0];
  return { sharing: state.sharing, ...(url ? { onboardingUrl: url } : {}) };
}

/** The Listeners view's nodes about sharing: the toggle, or the device page and each shared name. */
export function lanNodes(state: LanState, proxyRunning: boolean): SwitchyardNode[] {
  if (!state.sharing)
    return proxyRunning
      ? [
          {
            kind: "note",
            label: SHARE_ON_LAN,
            tooltip: "Open the routes on a phone or tablet on this network (asks first)",
            icon: new vscode.ThemeIcon("broadcast"),
            command: { command: "switchyard.shareOnLan", title: SHARE_ON_LAN },
          },
        ]
      : [];
  const nodes: SwitchyardNode[] = [
    {
      kind: "note",
      label: "Shared on LAN",
      description: state.onboardingUrls[0] ?? "no LAN address",
      tooltip: `Devices open ${state.onboardingUrls.join(" or ")} to install the root (SHA-256 ${state.fingerprint256 ?? "unknown"}). Click for the QR code.`,
      icon: new vscode.ThemeIcon("broadcast", new vscode.ThemeColor("testing.iconPassed")),
      command: { command: "switchyard.showLanQrCode", title: "Show Device QR Code" },
    },
  ];
  for (const n of state.names) {
    const url = state.sharedUrls.find((s) => s.url.startsWith(`https://${n.name}`))?.url;
    nodes.push({
      kind: "note",
      label: n.name,
      description: `${n.state === "claimed" ? "→" : "probing →"} ${n.routeHost}${n.name !== n.wanted ? ` · renamed, ${n.wanted} is taken` : ""}`,
      tooltip: n.renamedBecause ?? url ?? n.name,
      icon: new vscode.ThemeIcon(n.name !== n.wanted ? "warning" : "device-mobile"),
    });
  }
  return nodes;
}

/** The window's QR panel, opened by Show Device QR Code and redrawn on every change of the session. */
let qrPanel: import("./lanPanel").LanPanel | undefined;

/** Opens the device QR panel for the current sharing state. */
export async function showLanQrCode(session: SwitchyardSession): Promise<void> {
  const { LanPanel } = await import("./lanPanel");
  qrPanel ??= new LanPanel();
  qrPanel.show(session.lanState());
}

/** Redraws an open QR panel (nothing when none is open); activate.ts calls it on every change. */
export function refreshLanPanel(session: SwitchyardSession): void {
  qrPanel?.update(session.lanState());
}

/** Closes the QR panel with the extension. */
export const lanPanelDisposable: vscode.Disposable = { dispose: () => qrPanel?.dispose() };
