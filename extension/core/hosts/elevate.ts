/**
 * The elevated path, for a hosts file the user may not write. Switchyard prepares the new content
 * in a private temp file as the user, and the only privileged step is a fixed copy of that file
 * onto the hosts file: the argv holds two paths Switchyard chose and checked, never a shell string
 * built from user input. The VS Code adapter runs the argv through `@vscode/sudo-prompt`.
 */
import { chmod, mkdtemp, readFile, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, win32 } from "node:path";
import { hostsBackupPaths, saveHostsBackups, type HostsBackupPaths } from "./backup";
import { ElevationPathError } from "./errors";
import { dataDirOf, lockPathFor, planHostsEditOn, type HostsFileOptions, type HostsPlan } from "./hostsFile";
import { acquireHostsLock } from "./lock";

/** A prepared privileged copy. */
export interface ElevatedCopy {
  /** The hosts file to overwrite. */
  target: string;
  /** The prepared content. */
  source: string;
  /** The privileged step: `cp SOURCE TARGET` (or `copy /y` on Windows). Each element is safe to quote as is. */
  argv: string[];
  /** The bytes the target will hold; compare with {@link verifyElevatedCopy}. */
  bytes: Buffer;
  backups: HostsBackupPaths;
  /** Removes the prepared file and releases the hosts lock; call after the copy ran (or was cancelled). */
  cleanup(): Promise<void>;
}

/** Only these characters may appear in a path handed to the privileged step. */
const SAFE_PATH = /^[A-Za-z0-9 /\\._:-]+$/;

/**
 * Takes the hosts lock (held until {@link ElevatedCopy.cleanup}, so no other Switchyard writer runs
 * between this read and the privileged copy), re-reads the hosts file (re-applying the edit if it
 * changed since the plan), saves the backups as the current user, writes the new content to a
 * private temp file and returns the copy step.
 */
export async function prepareElevatedCopy(plan: HostsPlan, options: HostsFileOptions = {}): Promise<ElevatedCopy> {
  const target = await realpath(plan.path).catch(() => plan.path);
  const release = await acquireHostsLock(await lockPathFor(target, dataDirOf(options)), options.lock);
  try {
    return await prepareLocked(plan, options, release);
  } catch (e) {
    await release();
    throw e;
  }
}

async function prepareLocked(
  plan: HostsPlan,
  options: HostsFileOptions,
  release: () => Promise<void>,
): Promise<ElevatedCopy> {
  const platform = options.platform ?? process.platform;
  const current = await readFile(plan.path);
  const next = current.equals(plan.before) ? plan : planHostsEditOn(plan.path, current, plan.edit, options);
  const backups = hostsBackupPaths(plan.path, dataDirOf(options));
  await saveHostsBackups(plan.path, backups, current);
  const dir = await mkdtemp(join(tmpdir(), "switchyard-hosts-"));
  const source = join(dir, "hosts");
  await writeFile(source, next.after, { mode: 0o644 });
  await chmod(source, 0o644);
  for (const path of [source, plan.path])
    if (!SAFE_PATH.test(path)) {
      await rm(dir, { recursive: true, force: true });
      throw new ElevationPathError(path);
    }
  return {
    target: plan.path,
    source,
    argv: copyArgv(platform, source, plan.path, options.env ?? process.env),
    bytes: next.after,
    backups,
    cleanup: async () => {
      await rm(dir, { recursive: true, force: true });
      await release();
    },
  };
}

/** True when the hosts file now holds exactly the prepared bytes (the elevated copy ran and nothing raced it). */
export async function verifyElevatedCopy(copy: ElevatedCopy): Promise<boolean> {
  return (await readFile(copy.target)).equals(copy.bytes);
}

/** `cp` writes into the existing file, so it keeps the file's owner and mode and works on a bind mount. */
function copyArgv(platform: NodeJS.Platform, source: string, target: string, env: NodeJS.ProcessEnv): string[] {
  if (platform === "win32") {
    const cmd = win32.join(env.SystemRoot ?? "C:\\Windows", "System32", "cmd.exe");
    return [cmd, "/d", "/c", "copy", "/y", source, target];
  }
  return ["/bin/cp", source, target];
}
