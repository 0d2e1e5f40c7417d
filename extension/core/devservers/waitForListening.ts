/**
 * Waits until a process tree listens on a port a local client can reach, and says which socket:
 * the port it was given when it uses it, else the one it chose, with the address it is bound to
 * (so the route dials exactly that). Ends early (undefined) when the process exits.
 */
import { isReachableLocally, listeningSocketsOfTree, pickServedSocket, type ListeningSocket } from "./treeSockets";

export async function waitForListeningSocket(options: {
  pid: number;
  givenPort?: number;
  /** Settles when the process exits. */
  exited: Promise<unknown>;
  /** Called once when the wait has taken longer than `slowAfterMs` (default 30 s). */
  onSlow?: () => void;
  slowAfterMs?: number;
  pollMs?: number;
}): Promise<ListeningSocket | undefined> {
  let done = false;
  void options.exited.then(() => (done = true));
  const started = Date.now();
  let warned = false;
  while (!done) {
    const sockets = (await listeningSocketsOfTree(options.pid).catch(() => [])).filter((s) =>
      isReachableLocally(s.address),
    );
    const socket = pickServedSocket(sockets, options.givenPort);
    if (socket) return socket;
    if (!warned && Date.now() - started > (options.slowAfterMs ?? 30_000)) {
      warned = true;
      options.onSlow?.();
    }
    await Promise.race([new Promise((r) => setTimeout(r, options.pollMs ?? 100)), options.exited]);
  }
  return undefined;
}
