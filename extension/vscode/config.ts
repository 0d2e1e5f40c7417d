/**
 * The only place that reads `switchyard.*` configuration. It turns the workspace settings into the
 * core's typed {@link SwitchyardSettings} (the same parser the CLI uses for --config) and tells
 * listeners when they change.
 */
import * as vscode from "vscode";
import { parseSettings, type SettingsProblem, type SwitchyardSettings } from "../core/settings";

const KEYS = [
  "hosts.file",
  "hosts.mappings",
  "ca.directory",
  "ca.keyType",
  "ca.permittedNames",
  "ca.permittedIpRanges",
  "ca.unconstrained",
  "ca.keepRootKey",
  "proxy.listen",
  "proxy.httpPort",
  "proxy.sniffTimeoutMs",
  "proxy.redirectStatus",
  "proxy.routes",
  "proxy.shareOnLan",
  "devServers.detect",
  "devServers.autoRoute",
  "devServers.name",
  "terminal.environment",
];

/** Reads the settings now; problems are returned so the adapter can show them once. */
export function readSettings(): { settings: SwitchyardSettings; problems: SettingsProblem[] } {
  const section = vscode.workspace.getConfiguration("switchyard");
  const flat: Record<string, unknown> = {};
  for (const key of KEYS) {
    const value = section.get(key);
    if (value !== undefined) flat[`switchyard.${key}`] = value;
  }
  return parseSettings(flat);
}

/** Calls `listener` with fresh settings (and the invalid ones, ignored) whenever a `switchyard.*` setting changes. */
export function onSettingsChanged(
  listener: (settings: SwitchyardSettings, problems: SettingsProblem[]) => void,
): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration((e) => {
    if (!e.affectsConfiguration("switchyard")) return;
    const { settings, problems } = readSettings();
    listener(settings, problems);
  });
}

/** Whether this workspace may change the machine (hosts file, trust, bind address) without asking. */
export function isWorkspaceTrusted(): boolean {
  return vscode.workspace.isTrusted;
}
