/**
 * After the hosts file changes, OS name caches may still answer with the old mapping. This runs
 * the platform's flush commands through an injectable {@link CommandRunner} (argv only, no shell)
 * and says in words how the platform caches names.
 */
import { execFileRunner, type CommandRunner } from "../commandRunner";

/** What flushing needs of a {@link CommandRunner}: only `run`. */
export type FlushRunner = Pick<CommandRunner, "run">;

/** One flush attempt. */
export interface FlushStep {
  argv: string[];
  ok: boolean;
  detail: string;
}

/** What flushing did, and how this OS caches names. */
export interface FlushReport {
  flushed: boolean;
  steps: FlushStep[];
  /** One sentence for the user about this platform's name caching. */
  note: string;
}

/** The flush commands per platform; each inner list is tried in order until one works (alternatives). */
export function flushCommands(platform: NodeJS.Platform): string[][][] {
  switch (platform) {
    case "linux":
      return [
        [
          ["resolvectl", "flush-caches"],
          ["systemd-resolve", "--flush-caches"],
        ],
      ];
    case "darwin":
      return [[["dscacheutil", "-flushcache"]], [["killall", "-HUP", "mDNSResponder"]]];
    case "win32":
      return [[["ipconfig", "/flushdns"]]];
    default:
      return [];
  }
}

const NOTES: Partial<Record<NodeJS.Platform, string>> = {
  linux:
    "glibc reads /etc/hosts on every lookup; systemd-resolved and nscd may cache, and browsers keep their own " +
    "cache for about a minute (chrome://net-internals/#dns clears Chrome's).",
  darwin: "macOS caches names in mDNSResponder; browsers keep their own cache for about a minute.",
  win32: "Windows caches names in the DNS Client service; browsers keep their own cache for about a minute.",
};

/** Flushes what can be flushed; never throws (a missing tool is reported, not fatal). */
export async function flushOsNameCache(
  platform: NodeJS.Platform = process.platform,
  runner: FlushRunner = flushRunner,
): Promise<FlushReport> {
  const steps: FlushStep[] = [];
  let flushed = false;
  for (const alternatives of flushCommands(platform)) {
    for (const argv of alternatives) {
      const [file = "", ...args] = argv;
      const result = await runner
        .run(file, args)
        .catch((e: unknown) => ({ code: -1, stdout: "", stderr: (e as Error).message }));
      const ok = result.code === 0;
      steps.push({ argv: [...argv], ok, detail: ok ? "done" : result.stderr.trim() || `exit code ${result.code}` });
      if (ok) {
        flushed = true;
        break;
      }
    }
  }
  return { flushed, steps, note: NOTES[platform] ?? "This platform's name caches are not known to Switchyard." };
}

/** The default runner: the core's one runner, with a timeout; a missing program is exit code 127. */
export const flushRunner: FlushRunner = execFileRunner(process.env, 10_000);
