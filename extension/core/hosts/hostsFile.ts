/**
 * The hosts file as the extension and the CLI use it: read the state (mappings, conflicts,
 * warnings), plan an edit (new bytes + diff to confirm), apply the plan. Applying takes a lock,
 * re-reads the file, and if it changed since the plan was made re-applies the edit to the new
 * content instead of overwriting the other change.
 */
import { access, chmod, constants, mkdir, readFile, realpath, stat } from "node:fs/promises";
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { Stats } from "node:fs";
import { findManagedBlock, type HostMapping, type ManagedBlock } from "./block";
import { hostsBackupPaths, saveHostsBackups, type HostsBackupPaths } from "./backup";
import { findDnsConflicts, findFileConflicts, type DnsProbe, type HostsConflict } from "./conflicts";
import type { HostsDiff } from "./diff";
import { applyHostsEdit, type HostsEdit } from "./edit";
import { HostsFileChangedError, HostsFileNotWritableError } from "./errors";
import { acquireHostsLock, type HostsLockOptions } from "./lock";
import { parseHostsFile, type ParsedHostsFile } from "./parse";
import { osHostsFilePath, switchyardDataDir } from "./paths";
import { normalizeHostname } from "./validate";
import { hostnameWarnings, mappingWarnings, type HostnameWarning } from "./warnings";
import { writeHostsFileSafely, type WriteHooks, type WriteMethod } from "./write";

/** Which file, where backups go, and the knobs tests turn. */
export interface HostsFileOptions {
  /** The hosts file; default the OS one (`switchyard.hosts.file` overrides it). */
  path?: string;
  platform?: NodeJS.Platform;
  env?: NodeJS.ProcessEnv;
  /** Switchyard's data directory (backups); default {@link switchyardDataDir}. */
  dataDir?: string;
  lock?: HostsLockOptions;
  hooks?: WriteHooks;
}

/** The file as it is now: Switchyard's mappings and what may stop them from working. */
export interface HostsState {
  path: string;
  bytes: Buffer;
  file: ParsedHostsFile;
  block: ManagedBlock | undefined;
  mappings: HostMapping[];
  conflicts: HostsConflict[];
  warnings: HostnameWarning[];
}

/** An edit worked out against the bytes read, ready to show and then apply. */
export interface HostsPlan {
  path: string;
  edit: HostsEdit;
  before: Buffer;
  /** The new file as pieces (unchanged prefix, block, unchanged suffix). */
  chunks: Buffer[];
  /** The new file in one buffer (joined on first use). */
  readonly after: Buffer;
  changed: boolean;
  diff: HostsDiff;
  /** The block's mappings once applied. */
  mappings: HostMapping[];
  warnings: HostnameWarning[];
  /** The file's identity when `before` was read (set by {@link planHostsEdit}), to skip a re-read when safe. */
  source?: { stat: Stats; readAt: number };
}

/** What {@link applyHostsPlan} did. */
export interface HostsApplyResult {
  path: string;
  written: boolean;
  /** The file had changed since the plan, so the edit was applied to the newer content. */
  reapplied: boolean;
  method?: WriteMethod;
  diff: HostsDiff;
  backups: HostsBackupPaths;
}

/** Resolves the hosts file path: explicit path, else the OS one. */
export function resolveHostsPath(options: HostsFileOptions = {}): string {
  return options.path ?? osHostsFilePath(options.platform, options.env);
}

/** Reads the file and reports mappings, conflicts (DNS only when a probe is given) and warnings. */
export async function readHostsState(options: HostsFileOptions = {}, dnsProbe?: DnsProbe): Promise<HostsState> {
  const path = resolveHostsPath(options);
  const bytes = await readFile(path);
  const block = findManagedBlock(bytes, path);
  const file = parseHostsFile(bytes, fallbackEol(options));
  const mappings = block?.mappings ?? [];
  const conflicts = findFileConflicts(file, block, mappings);
  if (dnsProbe) conflicts.push(...(await findDnsConflicts(mappings, dnsProbe)));
  return {
    path,
    bytes,
    file,
    block,
    mappings,
    conflicts,
    warnings: mappings.flatMap((m) => [...hostnameWarnings(m.name), ...mappingWarnings(m.name, m.addresses)]),
  };
}

/** Reads the file and works out `edit` against it. Throws validation errors before anything is written. */
export async function planHostsEdit(edit: HostsEdit, options: HostsFileOptions = {}): Promise<HostsPlan> {
  const path = resolveHostsPath(options);
  const readAt = Date.now();
  // stat before reading: a change in between makes the stat look older than the bytes, never newer.
  const before = await stat(path);
  const plan = planHostsEditOn(path, await readFile(path), edit, options);
  plan.source = { stat: before, readAt };
  return plan;
}

/** Works out `edit` against bytes already read (pure). */
export function planHostsEditOn(
  path: string,
  bytes: Uint8Array,
  edit: HostsEdit,
  options: HostsFileOptions = {},
): HostsPlan {
  const result = applyHostsEdit(bytes, edit, { path, fallbackEol: fallbackEol(options) });
  const introduced =
    edit.kind === "add" ? [edit.name] : edit.kind === "sync" ? Object.keys(edit.mappings) : ([] as string[]);
  const warnings = introduced
    .map(normalizeHostname)
    .flatMap((name) => [
      ...hostnameWarnings(name),
      ...mappingWarnings(name, result.after.find((m) => m.name === name)?.addresses ?? []),
    ]);
  return {
    path,
    edit,
    before: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    chunks: result.chunks,
    get after() {
      return result.bytes;
    },
    changed: result.changed,
    diff: result.diff,
    mappings: result.after,
    warnings,
  };
}

/**
 * Writes the plan under the hosts lock. Throws HostsFileNotWritableError (rerun with sudo /
 * elevate), HostsFileChangedError (the file kept changing), or validation errors on re-apply.
 */
export async function applyHostsPlan(plan: HostsPlan, options: HostsFileOptions = {}): Promise<HostsApplyResult> {
  const target = await realpath(plan.path).catch(() => plan.path);
  const backups = hostsBackupPaths(target, dataDirOf(options));
  await access(target, constants.W_OK).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "EACCES" || e.code === "EPERM" || e.code === "EROFS")
      throw new HostsFileNotWritableError(plan.path, e.code);
    throw e;
  });
  const release = await acquireHostsLock(await lockPathFor(target, dataDirOf(options)), options.lock);
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      const seen = await stat(target);
      const current = attempt === 0 && unchangedSince(plan, seen) ? plan.before : await readFile(target);
      const reapplied = !current.equals(plan.before);
      const next = reapplied ? planHostsEditOn(plan.path, current, plan.edit, options) : plan;
      if (!next.changed) return { path: plan.path, written: false, reapplied, diff: next.diff, backups };
      try {
        const method = await writeHostsFileSafely(target, next.chunks, {
          hooks: options.hooks,
          beforeReplace: (how) => saveHostsBackups(target, backups, current, how === "rename" ? target : undefined),
          assertUnchanged(now) {
            if (now.mtimeMs !== seen.mtimeMs || now.size !== seen.size || now.ino !== seen.ino)
              throw new HostsFileChangedError(plan.path);
          },
        });
        return { path: plan.path, written: true, reapplied, method, diff: next.diff, backups };
      } catch (e) {
        if (!(e instanceof HostsFileChangedError)) throw e;
      }
    }
    throw new HostsFileChangedError(plan.path);
  } finally {
    await release();
  }
}

/**
 * True when the file cannot have changed since the plan read it, judged by stat alone (as git's
 * index does): same inode, size, mtime and ctime, and the mtime was already 2 s old when read, so a
 * later write on a filesystem with coarse timestamps would still have moved it.
 */
function unchangedSince(plan: HostsPlan, now: Stats): boolean {
  const then = plan.source?.stat;
  if (!then || !plan.source) return false;
  const same =
    now.dev === then.dev &&
    now.ino === then.ino &&
    now.size === then.size &&
    now.mtimeMs === then.mtimeMs &&
    now.ctimeMs === then.ctimeMs;
  return same && plan.source.readAt - then.mtimeMs > RACY_MS;
}

const RACY_MS = 2000;

/** Switchyard's data directory for these options (backups, and locks of the elevated path). */
export function dataDirOf(options: HostsFileOptions): string {
  return options.dataDir ?? switchyardDataDir(options.platform, options.env);
}

/**
 * The lock sits next to the file, shared by every user who may write there. When that folder is
 * read-only to us (the elevated path), it goes in a folder of our own (`<dataDir>/locks`, 0700),
 * never at a predictable name in the shared temp folder, where another user could plant one.
 */
export async function lockPathFor(target: string, dataDir: string): Promise<string> {
  const dir = join(target, "..");
  const writable = await access(dir, constants.W_OK).then(
    () => true,
    () => false,
  );
  if (writable) return `${target}.switchyard.lock`;
  const locks = join(dataDir, "locks");
  await mkdir(locks, { recursive: true, mode: 0o700 });
  await chmod(locks, 0o700);
  return join(locks, `hosts-${createHash("sha256").update(target).digest("hex").slice(0, 16)}.lock`);
}

function fallbackEol(options: HostsFileOptions): "\n" | "\r\n" {
  return (options.platform ?? process.platform) === "win32" ? "\r\n" : "\n";
}
