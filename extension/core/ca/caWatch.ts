/**
 * Noticing that the CA on disk was replaced (`switchyard ca create --force` in a terminal, another
 * window's "Create Local CA") while a proxy issues from the one it loaded. A create writes a whole
 * new directory and renames it into place (atomicDir.ts), so the folder itself is watched from its
 * parent (a watch on the folder alone would follow the old one aside), and the folder's files too,
 * for a CA edited in place. Every event only schedules a re-check: the CA's identity (its root and
 * intermediate) is read again once events stop for a moment, and only a complete CA that differs
 * from the last one seen is reported.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, watch, type FSWatcher } from "node:fs";
import { basename, dirname, join } from "node:path";
import { CA_FILES } from "./paths";
import { inspectCaDir } from "./store";

/** How long the CA folder must stay quiet before it is read again: a create writes several files and two renames. */
export const CA_WATCH_DEBOUNCE_MS = 250;

/**
 * What makes a CA this one: a hash of its root and intermediate certificates, or undefined while
 * the folder holds no complete CA (missing, half-written, being replaced).
 */
export function caIdentity(dir: string): string | undefined {
  try {
    if (inspectCaDir(dir) !== "complete") return undefined;
    const hash = createHash("sha256");
    hash.update(readFileSync(join(dir, CA_FILES.root)));
    // An adopted mkcert root signs leaves itself and has no intermediate.
    if (existsSync(join(dir, CA_FILES.intermediate))) hash.update(readFileSync(join(dir, CA_FILES.intermediate)));
    return hash.digest("hex");
  } catch {
    return undefined;
  }
}

/** What {@link watchCaDir} needs. */
export interface CaWatchOptions {
  /** The CA's identity when watching starts (the one being served); default: read now. */
  identity?: string;
  /** Quiet time before a re-check; default {@link CA_WATCH_DEBOUNCE_MS}. */
  debounceMs?: number;
  /** The folder could not be watched (its parent is gone, no inotify watches left): why. */
  onWatchError?(error: Error): void;
}

/** A running watch; close() stops it. */
export interface CaWatch {
  close(): void;
}

/**
 * Calls `onChange` each time the folder `dir` settles holding a complete CA other than the last
 * one seen (the one at start, then each reported one).
 */
export function watchCaDir(dir: string, onChange: () => void, options: CaWatchOptions = {}): CaWatch {
  const name = basename(dir);
  const debounceMs = options.debounceMs ?? CA_WATCH_DEBOUNCE_MS;
  let known = options.identity ?? caIdentity(dir);
  let timer: NodeJS.Timeout | undefined;
  let inner: FSWatcher | undefined;
  let closed = false;

  const schedule = (): void => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(check, debounceMs);
    timer.unref();
  };
  // The folder's own files: watched again after every check, since the folder may be a new one.
  const watchInside = (): void => {
    inner?.close();
    inner = undefined;
    try {
      inner = watch(dir, { persistent: false }, schedule);
      inner.on("error", () => schedule());
    } catch {
      // No folder right now (mid-replace): the parent's watch sees it come back.
    }
  };
  const check = (): void => {
    if (closed) return;
    watchInside();
    const now = caIdentity(dir);
    if (now === undefined || now === known) return;
    known = now;
    onChange();
  };

  let outer: FSWatcher | undefined;
  try {
    outer = watch(dirname(dir), { persistent: false }, (_event, file) => {
      // Renames of the folder itself, and of its temp and moved-aside siblings (ca.tmp-…, ca.replaced-…).
      if (file === null || file === name || String(file).startsWith(`${name}.`)) schedule();
    });
    outer.on("error", (e) => options.onWatchError?.(e));
  } catch (e) {
    options.onWatchError?.(e as Error);
  }
  watchInside();

  return {
    close: () => {
      closed = true;
      clearTimeout(timer);
      outer?.close();
      inner?.close();
    },
  };
}
