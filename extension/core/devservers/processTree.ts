/**
 * A process and every process below it, from (pid, parent pid) pairs: what `ps -A -o pid=,ppid=`
 * prints on macOS, what /proc/PID/stat holds on Linux, what Win32_Process lists on Windows.
 */

/** One process and its parent. */
export interface ProcessLink {
  pid: number;
  ppid: number;
}

/** `root` and all its descendants, in breadth-first order (root first). */
export function descendantsOf(root: number, links: readonly ProcessLink[]): number[] {
  const children = new Map<number, number[]>();
  for (const { pid, ppid } of links) {
    if (pid === ppid) continue;
    const list = children.get(ppid) ?? [];
    list.push(pid);
    children.set(ppid, list);
  }
  const seen = new Set<number>([root]);
  const order = [root];
  for (let i = 0; i < order.length; i += 1) {
    for (const child of children.get(order[i] as number) ?? []) {
      if (!seen.has(child)) {
        seen.add(child);
        order.push(child);
      }
    }
  }
  return order;
}

/** The parent pid in the text of /proc/PID/stat (the process name may hold spaces and parentheses). */
export function parentFromProcStat(stat: string): number | undefined {
  const close = stat.lastIndexOf(")");
  if (close < 0) return undefined;
  const fields = stat.slice(close + 2).split(" ");
  const ppid = Number(fields[1]);
  return Number.isInteger(ppid) ? ppid : undefined;
}

/** `ps -A -o pid=,ppid=` output to links. */
export function parsePsLinks(text: string): ProcessLink[] {
  const links: ProcessLink[] = [];
  for (const line of text.split("\n")) {
    const m = /^\s*(\d+)\s+(\d+)\s*$/.exec(line);
    if (m) links.push({ pid: Number(m[1]), ppid: Number(m[2]) });
  }
  return links;
}
