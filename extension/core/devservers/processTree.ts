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

/** What /proc/PID/stat says of a process that matters for ending its tree. */
export interface ProcStat {
  /** R, S, D, Z (a zombie: exited, not yet reaped), T … */
  state: string;
  ppid: number;
  /** The process group and session it belongs to. */
  pgid: number;
  sid: number;
  /** Clock ticks after boot at which it started: with the pid, names one process across pid reuse. */
  startTime: number;
}

/** Parses the text of /proc/PID/stat (the process name may hold spaces and parentheses). */
export function parseProcStat(stat: string): ProcStat | undefined {
  const close = stat.lastIndexOf(")");
  if (close < 0) return undefined;
  const fields = stat.slice(close + 2).split(" ");
  const [ppid, pgid, sid, startTime] = [fields[1], fields[2], fields[3], fields[19]].map(Number);
  if (![ppid, pgid, sid, startTime].every((n) => Number.isInteger(n))) return undefined;
  return {
    state: fields[0] ?? "",
    ppid: ppid as number,
    pgid: pgid as number,
    sid: sid as number,
    startTime: startTime as number,
  };
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
