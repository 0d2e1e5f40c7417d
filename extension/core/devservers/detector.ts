/**
 * Notices dev servers as they start: watches the process trees of given roots (VS Code's terminal
 * shells and task processes) and reports each loopback port that starts or stops listening, with
 * the process that holds it. The scan is injectable so the rule is testable; the default reads
 * the OS (listeningPorts.ts). Polling is bounded: one scan per interval, only while roots exist.
 */
import { EventEmitter } from "node:events";
import { readFileSync } from "node:fs";
import {
  isReachableLocally,
  listeningSocketsOfTree,
  preferredSocket,
  upstreamUrlFor,
  type ListeningSocket,
} from "./treeSockets";

/** A dev server listening on a port reachable over loopback. */
export interface DetectedServer {
  /** The root it was found under (a terminal's shell, a task's process). */
  rootPid: number;
  pid: number;
  port: number;
  /**
   * The URL that reaches exactly its socket (http://127.0.0.1:PORT, http://[::1]:PORT): a route
   * to http://localhost:PORT could reach another user's server on the loopback address it left free.
   */
  upstream: string;
  /** What it is, for people: "Vite", "Next.js", "node server.js". */
  label: string;
  /** Its whole command line as typed, for people: "python3 -m http.server 5173" (empty when the OS does not say). */
  command: string;
}

const FRAMEWORKS: [RegExp, string][] = [
  [/switchyard(\.js)?\s+(serve|run)(\s|$)/, "Switchyard"],
  [/(^|[/\s])vite(\.js)?(\s|$)/, "Vite"],
  [/(^|[/\s])next(\s|$)|next\/dist/, "Next.js"],
  [/webpack(-dev-server)?(\.js)?(\s|$)|webpack serve/, "webpack-dev-server"],
  [/(^|[/\s])astro(\s|$)/, "Astro"],
  [/(^|[/\s])ng(\s|$)|@angular\/cli/, "Angular"],
  [/react-scripts/, "Create React App"],
];

/** A readable name for a command line (NUL-separated as in /proc/PID/cmdline, or spaces). */
export function labelForCommand(cmdline: string): string {
  const text = cmdline.replace(/\0/g, " ").trim();
  for (const [re, name] of FRAMEWORKS) if (re.test(text)) return name;
  const words = text.split(/\s+/).map((w) => w.replace(/^.*\//, ""));
  return words.slice(0, 2).join(" ") || "a process";
}

/** Longer command lines are cut here (with "…"), so a toast stays readable. */
const MAX_COMMAND = 200;

/**
 * The whole command line, as a person would type it: the program's name without its folder, then
 * every argument (quoted when it holds a space), e.g. "python3 -m http.server 5173".
 */
export function commandText(cmdline: string): string {
  const args = cmdline.includes("\0") ? cmdline.split("\0").filter((a) => a !== "") : cmdline.trim().split(/\s+/);
  if (args.length === 0 || args[0] === "") return "";
  const words = [args[0].replace(/^.*\//, ""), ...args.slice(1)].map((a) =>
    /\s/.test(a) ? `"${a.replace(/"/g, '\\"')}"` : a,
  );
  const text = words.join(" ");
  return text.length > MAX_COMMAND ? `${text.slice(0, MAX_COMMAND - 1)}…` : text;
}

function linuxCommand(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return "";
  }
}

export interface DetectorOptions {
  intervalMs?: number;
  /** The listening sockets of a tree (default: the OS's). */
  scan?: (rootPid: number) => Promise<ListeningSocket[]>;
  /** The command line of a pid (default: /proc on Linux, else empty). */
  command?: (pid: number) => string;
}

export class DevServerDetector extends EventEmitter<{ found: [DetectedServer]; gone: [DetectedServer] }> {
  private readonly roots = new Set<number>();
  private readonly known = new Map<string, DetectedServer>();
  private timer: NodeJS.Timeout | undefined;
  private scanning = false;

  constructor(private readonly options: DetectorOptions = {}) {
    super();
  }

  /** Watches the tree below `pid` until {@link unwatch}. */
  watch(pid: number): void {
    this.roots.add(pid);
    if (!this.timer) {
      this.timer = setInterval(() => void this.scanOnce(), this.options.intervalMs ?? 1000);
      this.timer.unref();
    }
  }

  unwatch(pid: number): void {
    this.roots.delete(pid);
    for (const [key, s] of this.known) {
      if (s.rootPid === pid) {
        this.known.delete(key);
        this.emit("gone", s);
      }
    }
    if (this.roots.size === 0) this.dispose();
  }

  /** The servers listening now. */
  servers(): DetectedServer[] {
    return [...this.known.values()];
  }

  /** One scan of every root: emits `found` and `gone`. Public for tests and for an explicit refresh. */
  async scanOnce(): Promise<void> {
    if (this.scanning) return;
    this.scanning = true;
    try {
      const scan = this.options.scan ?? ((pid: number) => listeningSocketsOfTree(pid));
      const command =
        this.options.command ?? ((pid: number) => (process.platform === "linux" ? linuxCommand(pid) : ""));
      const seen = new Set<string>();
      for (const root of this.roots) {
        const sockets = (await scan(root).catch(() => [])).filter((s) => isReachableLocally(s.address));
        for (const port of new Set(sockets.map((x) => x.port))) {
          const key = `${root}:${port}`;
          seen.add(key);
          // Of the sockets on one port, the exact loopback address rather than a wildcard.
          const s = preferredSocket(sockets.filter((x) => x.port === port));
          if (s && !this.known.has(key)) {
            const cmdline = command(s.pid);
            const server = {
              rootPid: root,
              pid: s.pid,
              port,
              upstream: upstreamUrlFor(s),
              label: labelForCommand(cmdline),
              command: commandText(cmdline),
            };
            this.known.set(key, server);
            this.emit("found", server);
          }
        }
      }
      for (const [key, s] of this.known) {
        if (!seen.has(key)) {
          this.known.delete(key);
          this.emit("gone", s);
        }
      }
    } finally {
      this.scanning = false;
    }
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** A name for the workspace's app: its package.json name (without scope), else the folder's name. */
export function suggestAppName(folderName: string, packageName?: string): string {
  const raw = (packageName?.replace(/^@[^/]+\//, "") || folderName).toLowerCase();
  const label = raw
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63)
    .replace(/-+$/, "");
  return label || "app";
}
