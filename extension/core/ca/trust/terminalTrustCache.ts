/**
 * The trust variables for terminals and tasks, worked out again only when a file they come from has
 * changed. The window redraws on every state change (a proxy start, a setting, a CA action), and
 * terminalTrustVariables reads the root, the combined bundle and the system CA bundle (about 200 KB
 * on Debian) each time; a stat of each file (modification time, size, inode) tells whether any of
 * that can have changed.
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { RUNTIME_BUNDLE_FILE, SYSTEM_BUNDLES, terminalTrustVariables } from "./runtimeEnv";

/** What {@link TerminalTrustCache} remembers the result of: terminalTrustVariables's shape. */
export type TrustVariablesSource = (caDir: string, userNodeExtraCaCerts: string | undefined) => Record<string, string>;

interface Remembered {
  key: string;
  files: string[];
  signature: string;
  variables: Record<string, string>;
}

/** Tries of a source whose own write (the bundle refreshed from new system roots) changed its inputs. */
const TRIES = 3;

/** The last variables and the state of the files they were made from. */
export class TerminalTrustCache {
  private last: Remembered | undefined;

  /** `systemBundles`: the system bundles the source may read (all of them: which one exists can change). */
  constructor(
    private readonly source: TrustVariablesSource = terminalTrustVariables,
    private readonly systemBundles: readonly string[] = SYSTEM_BUNDLES,
  ) {}

  /** The variables for `caDir`; the same object as last time while none of the files changed. */
  variables(caDir: string, userNodeExtraCaCerts: string | undefined): Record<string, string> {
    const key = JSON.stringify([caDir, userNodeExtraCaCerts ?? null]);
    const last = this.last;
    if (last?.key === key && signature(last.files) === last.signature) return last.variables;
    this.last = undefined;
    const read = this.inputs(caDir, userNodeExtraCaCerts, {});
    let variables: Record<string, string> = {};
    for (let i = 0; i < TRIES; i++) {
      const before = signature(read);
      variables = this.source(caDir, userNodeExtraCaCerts);
      // Remembered only when nothing it read changed meanwhile (by another process, or by its own
      // refresh of the bundle): else the next try reads the files as they are now.
      if (signature(read) === before) {
        const files = this.inputs(caDir, userNodeExtraCaCerts, variables);
        this.last = { key, files, signature: signature(files), variables };
        break;
      }
    }
    return variables;
  }

  /** Every file the variables depend on, and the files they name (a deleted one is written again). */
  private inputs(caDir: string, userFile: string | undefined, variables: Record<string, string>): string[] {
    const files = [join(caDir, "root.pem"), join(caDir, RUNTIME_BUNDLE_FILE), ...this.systemBundles];
    if (userFile) files.push(userFile);
    return [...new Set([...files, ...Object.values(variables)])];
  }
}

function signature(files: string[]): string {
  return files
    .map((file) => {
      try {
        const s = statSync(file, { bigint: true });
        return `${s.mtimeNs}:${s.size}:${s.ino}`;
      } catch {
        return "-";
      }
    })
    .join("|");
}
