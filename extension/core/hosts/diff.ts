/**
 * What an edit changes, in lines a user can read before confirming. Edits only ever touch the
 * managed block, so the diff is between the block's lines before and after.
 */

/** Lines an edit adds and removes. */
export interface HostsDiff {
  added: string[];
  removed: string[];
}

/** The lines of `after` not in `before` and the other way round, each in file order (a multiset difference). */
export function diffLines(before: readonly string[], after: readonly string[]): HostsDiff {
  return { added: minus(after, before), removed: minus(before, after) };
}

/** True when the diff changes nothing. */
export function isEmptyDiff(diff: HostsDiff): boolean {
  return diff.added.length === 0 && diff.removed.length === 0;
}

/** `- line` / `+ line` text for a terminal or a confirmation dialog, one line each, ending in a newline. */
export function formatDiff(diff: HostsDiff): string {
  return [...diff.removed.map((l) => `- ${l}\n`), ...diff.added.map((l) => `+ ${l}\n`)].join("");
}

function minus(from: readonly string[], take: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const line of take) counts.set(line, (counts.get(line) ?? 0) + 1);
  const out: string[] = [];
  for (const line of from) {
    const n = counts.get(line) ?? 0;
    if (n > 0) counts.set(line, n - 1);
    else out.push(line);
  }
  return out;
}
