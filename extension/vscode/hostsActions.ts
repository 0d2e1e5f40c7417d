/**
 * Hosts-file commands for the palette and the panel: show the change, ask, write (elevating only
 * for the write itself when the file is not writable), then flush the OS name cache and say what
 * happened.
 */
import * as vscode from "vscode";
import type { HostsEdit, HostsState } from "../core/hosts";
import type { SwitchyardSettings } from "../core/settings";
import type { HostsFileView } from "../../webview/protocol";
import { runElevated } from "./elevate";
import { engines, type Engines } from "./engines";

async function hostsCore(): Promise<Engines["hosts"]> {
  return (await engines()).hosts;
}

/** Reads the hosts file into the panel's view model; never throws (errors go into the view). */
export async function hostsFileView(settings: SwitchyardSettings): Promise<HostsFileView> {
  const core = await hostsCore();
  const path = core.resolveHostsPath({ path: settings.hosts.file });
  try {
    const state: HostsState = await core.readHostsState({ path });
    return {
      file: path,
      mappings: state.mappings.map((m) => ({ name: m.name, addresses: [...m.addresses] })),
      conflicts: state.conflicts.map((c) => ({ name: c.name, message: c.message })),
      warnings: state.warnings.map((w) => w.message),
    };
  } catch (e) {
    return { file: path, mappings: [], conflicts: [], warnings: [], error: (e as Error).message };
  }
}

/**
 * Plans `edit`, shows the diff in a modal and applies it when the user agrees. Returns false when
 * nothing was written (no change, or the user said no).
 */
export async function editHosts(
  edit: HostsEdit,
  settings: SwitchyardSettings,
  log: vscode.LogOutputChannel,
): Promise<boolean> {
  const core = await hostsCore();
  const options = { path: settings.hosts.file };
  const plan = await core.planHostsEdit(edit, options);
  for (const w of plan.warnings) void vscode.window.showWarningMessage(`Switchyard: ${w.message}`);
  if (!plan.changed) {
    void vscode.window.showInformationMessage(`Switchyard: ${plan.path} already has that; nothing to change.`);
    return false;
  }
  const trustNote = vscode.workspace.isTrusted
    ? ""
    : "\n\nThis workspace is not trusted: check the change before you allow it.";
  const answer = await vscode.window.showWarningMessage(
    `Switchyard will change ${plan.path}`,
    { modal: true, detail: `${core.formatDiff(plan.diff)}${trustNote}` },
    "Write Hosts File",
  );
  if (answer !== "Write Hosts File") return false;
  try {
    const result = await core.applyHostsPlan(plan, options);
    log.info(
      `hosts: wrote ${result.path} (${result.method}${result.reapplied ? ", re-applied over a newer file" : ""})`,
    );
  } catch (e) {
    if (!(e instanceof core.HostsFileNotWritableError)) throw e;
    const copy = await core.prepareElevatedCopy(plan, options);
    try {
      log.info(`hosts: ${plan.path} is not writable; asking for elevation to run ${copy.argv.join(" ")}`);
      await runElevated(copy.argv);
      if (!(await core.verifyElevatedCopy(copy))) {
        throw new Error(`${plan.path} changed while Switchyard was writing it; run the command again`);
      }
    } finally {
      await copy.cleanup();
    }
  }
  const flush = await core.flushOsNameCache();
  log.info(`hosts: ${flush.note}`);
  void vscode.window.showInformationMessage(`Switchyard updated ${plan.path}.`);
  return true;
}

/** Asks for a hostname (and optionally addresses) and adds the mapping. */
export async function addHostMapping(
  settings: SwitchyardSettings,
  log: vscode.LogOutputChannel,
  name?: string,
  addresses?: string[],
): Promise<boolean> {
  const core = await hostsCore();
  const picked =
    name ??
    (await vscode.window.showInputBox({
      title: "Add host mapping",
      ignoreFocusOut: true,
      prompt: "Hostname to map to this machine",
      placeHolder: "my-awesome-service.test",
      validateInput: (v) => {
        try {
          core.normalizeHostname(v);
          return undefined;
        } catch (e) {
          return (e as Error).message;
        }
      },
    }));
  if (!picked) return false;
  const addrs =
    addresses ??
    (
      await vscode.window.showInputBox({
        title: `Addresses for ${picked}`,
        ignoreFocusOut: true,
        prompt: "Space-separated addresses",
        value: core.DEFAULT_ADDRESSES.join(" "),
      })
    )
      ?.split(/[\s,]+/)
      .filter(Boolean);
  if (!addrs) return false;
  return editHosts({ kind: "add", name: picked, addresses: addrs }, settings, log);
}

/** Lets the user pick one of Switchyard's mappings and removes it. */
export async function removeHostMapping(
  settings: SwitchyardSettings,
  log: vscode.LogOutputChannel,
  name?: string,
): Promise<boolean> {
  let picked = name;
  if (!picked) {
    const view = await hostsFileView(settings);
    if (view.mappings.length === 0) {
      void vscode.window.showInformationMessage("Switchyard has no mappings in the hosts file.");
      return false;
    }
    picked = (
      await vscode.window.showQuickPick(
        view.mappings.map((m) => ({ label: m.name, description: m.addresses.join(", ") })),
        { title: "Remove host mapping" },
      )
    )?.label;
  }
  if (!picked) return false;
  return editHosts({ kind: "remove", name: picked }, settings, log);
}

/** Makes the managed block match `switchyard.hosts.mappings`. */
export async function syncHosts(settings: SwitchyardSettings, log: vscode.LogOutputChannel): Promise<boolean> {
  return editHosts({ kind: "sync", mappings: settings.hosts.mappings }, settings, log);
}

/** Opens the hosts file read-only in an editor. */
export async function showHostsFile(settings: SwitchyardSettings): Promise<void> {
  const core = await hostsCore();
  const doc = await vscode.workspace.openTextDocument(
    vscode.Uri.file(core.resolveHostsPath({ path: settings.hosts.file })),
  );
  await vscode.window.showTextDocument(doc, { preview: true });
}
