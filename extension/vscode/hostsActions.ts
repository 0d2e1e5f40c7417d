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
import { currentWindow, hostsNote } from "./remoteWindow";
import { askPick, askText, type Step } from "./multiStepInput";

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
    { modal: true, detail: `${hostsNote(currentWindow(vscode.env))}${core.formatDiff(plan.diff)}${trustNote}` },
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
  const title = "Add Host Mapping";
  const picked =
    name ??
    (await askText({
      title,
      step: 1,
      totalSteps: 2,
      prompt: "The name to map to this machine",
      placeholder: "my-awesome-service.test",
      validate: (v) => {
        if (!v.trim()) return "Type a name such as my-awesome-service.test.";
        try {
          core.normalizeHostname(v.trim());
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
      await askText({
        title,
        step: 2,
        totalSteps: 2,
        prompt: `The addresses ${picked} maps to, separated by spaces`,
        value: core.DEFAULT_ADDRESSES.join(" "),
        validate: (v) => (v.trim() ? undefined : "Type at least one address, such as 127.0.0.1."),
      })
    )
      ?.split(/[\s,]+/)
      .filter(Boolean);
  if (!addrs) return false;
  return editHosts({ kind: "add", name: picked, addresses: addrs }, settings, log);
}

/**
 * Whether `host` needs a hosts-file line to reach this machine: not for names under .localhost
 * (resolvers and browsers send them to loopback), nor for a wildcard (the hosts file has none), nor
 * when the hosts file already names it.
 */
export async function needsHostsEntry(host: string, settings: SwitchyardSettings): Promise<boolean> {
  const name = host.toLowerCase().replace(/\.$/, "");
  if (name === "localhost" || name.endsWith(".localhost") || name.startsWith("*.")) return false;
  const core = await hostsCore();
  try {
    const state = await core.readHostsState({ path: core.resolveHostsPath({ path: settings.hosts.file }) });
    return !state.file.lines.some((l) => l.entry?.names.includes(name));
  } catch {
    return true;
  }
}

/**
 * The last step of Add Route for a name that needs a hosts entry: map it to this machine or not.
 * Only asks: true is "map it", false "not now" (a finished answer), undefined Esc (the whole
 * flow is cancelled and nothing is written). {@link mapHostHere} does the mapping.
 */
export async function askHostMapping(
  host: string,
  settings: SwitchyardSettings,
  step: Step,
): Promise<boolean | undefined> {
  const core = await hostsCore();
  const file = core.resolveHostsPath({ path: settings.hosts.file });
  const answer = await askPick<boolean>({
    ...step,
    placeholder: `${host} does not reach this machine yet: map it in the hosts file?`,
    items: [
      {
        label: `$(check) Map ${host} to ${core.DEFAULT_ADDRESSES.join(" and ")}`,
        detail: `Adds a line to ${file}; you see the change first.`,
        value: true,
      },
      {
        label: "$(close) Not now",
        detail: "Later: Add Host Mapping…. Names under .localhost need none.",
        value: false,
      },
    ],
  });
  return answer?.value;
}

/** Maps `host` to this machine's loopback addresses (the usual diff and confirmation first); true when written. */
export async function mapHostHere(
  host: string,
  settings: SwitchyardSettings,
  log: vscode.LogOutputChannel,
): Promise<boolean> {
  const core = await hostsCore();
  return editHosts({ kind: "add", name: host, addresses: [...core.DEFAULT_ADDRESSES] }, settings, log);
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
        { title: "Remove Host Mapping", placeHolder: "The mapping to remove from the hosts file" },
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
