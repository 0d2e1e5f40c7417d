/** `switchyard hosts`: the managed block of the hosts file. */
import { parseCommandArgs, loadSettings, UsageError, type CliCommand, type CliIO } from "./command";
import {
  applyHostsPlan,
  findDnsConflicts,
  findFileConflictsInBytes,
  findManagedBlock,
  flushOsNameCache,
  formatDiff,
  osHostsFilePath,
  planHostsEdit,
  readHostsState,
  systemDnsProbe,
  type HostsEdit,
  type HostsFileOptions,
  type HostsPlan,
} from "../core/hosts";

const HELP = `Usage:
  switchyard hosts add NAME [ADDRESS...]   map NAME (default: 127.0.0.1 and ::1)
  switchyard hosts remove NAME             remove NAME from Switchyard's block
  switchyard hosts list                    show Switchyard's mappings and conflicts
  switchyard hosts sync                    make the block match switchyard.hosts.mappings

Options:
  --file PATH      edit PATH instead of the OS hosts file
  --config FILE    settings (JSON object of switchyard.* keys)
  --yes            do not ask before writing
  --json           (list) machine-readable output

Backups of the file (as before Switchyard first changed it, and before the latest change) are kept
in Switchyard's data directory (SWITCHYARD_DATA_DIR, default ~/.local/share/switchyard/hosts-backups).
`;

export const hostsCommand: CliCommand = {
  name: "hosts",
  summary: "add, remove, list or sync hostname mappings in the hosts file",
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs("hosts", argv, {
      file: { type: "string" },
      config: { type: "string" },
      yes: { type: "boolean", short: "y" },
      json: { type: "boolean" },
    });
    const [action, ...names] = positionals;
    if (!action) throw new UsageError("missing action: add, remove, list or sync");
    if (!["add", "remove", "list", "sync"].includes(action)) throw new UsageError(`unknown action "${action}"`);
    if ((action === "add" || action === "remove") && names.length === 0) throw new UsageError(`${action} needs a NAME`);
    if ((action === "remove" && names.length > 1) || (action !== "add" && action !== "remove" && names.length > 0))
      throw new UsageError(`unexpected argument "${names[action === "remove" ? 1 : 0]}"`);
    if (action === "sync" && !values.config)
      throw new UsageError("sync needs --config FILE with switchyard.hosts.mappings");

    const settings = loadSettings(values.config, io);
    const options: HostsFileOptions = {
      path: values.file ?? settings.hosts.file,
      env: io.env,
      lock: {
        signal: io.signal,
        onWait: (holder) => io.stderr(`waiting for the hosts lock, held by ${holder} (Ctrl+C stops waiting)\n`),
      },
    };
    if (action === "list") return list(options, values.json === true, io);

    const [name = "", ...addresses] = names;
    const edit: HostsEdit =
      action === "add"
        ? { kind: "add", name, addresses }
        : action === "remove"
          ? { kind: "remove", name }
          : { kind: "sync", mappings: settings.hosts.mappings };
    return change(edit, options, values.yes === true, io);
  },
};

async function change(edit: HostsEdit, options: HostsFileOptions, yes: boolean, io: CliIO): Promise<number> {
  const plan = await planHostsEdit(edit, options);
  for (const w of plan.warnings) io.stderr(`warning: ${w.message}\n`);
  for (const c of conflictsOf(plan)) io.stderr(`warning: ${c}\n`);
  for (const c of await publicDnsShadows(plan, io)) io.stderr(`warning: ${c}\n`);
  if (!plan.changed) {
    io.stdout(`${plan.path}: already up to date, nothing to write.\n`);
    return 0;
  }
  io.stdout(`${plan.path}:\n${formatDiff(plan.diff)}`);
  if (!yes && !(await io.confirm(`Write these changes to ${plan.path}?`))) {
    io.stderr(
      `${plan.path} was not changed: the change was not confirmed. ` +
        `Without a terminal to ask on (scripts, CI), pass --yes to write without asking.\n`,
    );
    return 1;
  }
  const result = await applyHostsPlan(plan, options);
  if (result.reapplied)
    io.stdout(`The file changed meanwhile; the edit was applied to the new content:\n${formatDiff(result.diff)}`);
  io.stdout(
    result.written
      ? `Wrote ${plan.path} (${result.method}); backups in ${result.backups.dir}\n`
      : "Nothing to write.\n",
  );
  if (result.written && plan.path === osHostsFilePath(undefined, io.env) && io.env.SWITCHYARD_HOSTS_FLUSH !== "off") {
    const report = await flushOsNameCache();
    for (const step of report.steps)
      io.stdout(
        `${step.ok ? "flushed" : "could not flush"}: ${step.argv.join(" ")}${step.ok ? "" : ` (${step.detail})`}\n`,
      );
    io.stdout(`${report.note}\n`);
  }
  return 0;
}

/** Conflicts of the names the plan maps, in the file as it will be. */
function conflictsOf(plan: HostsPlan): string[] {
  if (plan.edit.kind === "remove") return [];
  const block = findManagedBlock(plan.after, plan.path);
  return findFileConflictsInBytes(plan.after, block, plan.mappings).map((c) => c.message);
}

/** For names that could be real sites: those public DNS answers, which the mapping would shadow. */
async function publicDnsShadows(plan: HostsPlan, io: CliIO): Promise<string[]> {
  if (io.env.SWITCHYARD_HOSTS_DNS === "off") return [];
  const names = new Set(plan.warnings.filter((w) => w.code === "public-name").map((w) => w.name));
  const mappings = plan.mappings.filter((m) => names.has(m.name));
  if (mappings.length === 0) return [];
  const found = await findDnsConflicts(mappings, systemDnsProbe());
  return found.map(
    (c) =>
      `${c.name} exists in public DNS (${c.kind === "public-dns" ? c.addresses.join(", ") : ""}): this mapping shadows the real site on this machine until it is removed`,
  );
}

async function list(options: HostsFileOptions, json: boolean, io: CliIO): Promise<number> {
  const probe = io.env.SWITCHYARD_HOSTS_DNS === "off" ? undefined : systemDnsProbe();
  const state = await readHostsState(options, probe);
  if (json) {
    const { path, mappings, conflicts, warnings } = state;
    io.stdout(`${JSON.stringify({ path, mappings, conflicts, warnings }, null, 2)}\n`);
    return 0;
  }
  if (state.mappings.length === 0) io.stdout(`${state.path}: no Switchyard mappings.\n`);
  else io.stdout(`${state.path}:\n`);
  const width = Math.max(0, ...state.mappings.map((m) => m.name.length));
  for (const m of state.mappings) io.stdout(`  ${m.name.padEnd(width)}  ${m.addresses.join(", ")}\n`);
  for (const c of state.conflicts) io.stdout(`conflict: ${c.message}\n`);
  for (const w of state.warnings) io.stdout(`warning: ${w.message}\n`);
  return 0;
}
