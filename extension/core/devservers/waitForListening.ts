/**
 * Waits until a process tree listens on a port a local client can reach, and says which: the port
 * it was given when it uses it, else the one it chose. Ends early (undefined) when the process exits.
 */
import { isReachableLocally, listeningSocketsOfTree, pickServedPort } from "./treeSockets";

export async function waitForListeningPort(options: {
  pid: number;
  givenPort?: number;
  /** Settles when the process exits. */
  exited: Promise<unknown>;
  /** Called once when the wait has taken longer than `slowAfterMs` (default 30 s). */
  onSlow?: () => void;
  slowAfterMs?: number;
  pollMs?: number;
}): Promise<number | undefined> {
  let done = false;
  void options.exited.then(() => (done = true));
  const started = Date.now();
  let warned = false;
  while (!done) {
    const sockets = (await listeningSocketsOfTree(options.pid).catch(() => [])).filter((s) =>
      isReachableLocally(s.address),
    );
    const port = pickServedPort(sockets, options.givenPort);
    if (port !== undefined) return port;
    if (!warned && Date.now() - started > (options.slowAfterMs ?? 30_000)) {
      warned = true;
      options.onSlow?.();
    }
    await Promise.race([new Promise((r) => setTimeout(r, options.pollMs ?? 100)), options.exited]);
  }
  return undefined;
}
