/**
 * Where a control server listens: a Unix socket in the user's private state folder (0600), a
 * leftover socket file of a proxy that is gone replaced; or, on Windows, a fresh randomly named
 * pipe published in the pointer file (pipeAddress.ts) and withdrawn when it closes.
 */
import { chmodSync, unlinkSync } from "node:fs";
import net from "node:net";
import { dirname } from "node:path";
import { isPipePointer, newPipeName, publishPipePointer, readPipePointer, withdrawPipePointer } from "./pipeAddress";
import { ensurePrivateDir } from "./stateDir";

/** Another proxy of this user already answers on the control socket. */
export class ControlSocketInUseError extends Error {
  constructor(readonly socketPath: string) {
    super(
      `another Switchyard proxy of yours is already running (its control socket ${socketPath} answers); ` +
        "stop it first, or let `switchyard run` register with it",
    );
    this.name = "ControlSocketInUseError";
  }
}

/** Whether something answers on the socket (a live proxy) or it is a leftover file. */
function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(socketPath);
    c.once("connect", () => {
      c.destroy();
      resolve(true);
    });
    c.once("error", () => resolve(false));
  });
}

/** Listens on `socketPath` (a socket, or a pointer file with `newEndpoint` naming the pipe). */
export async function listenControlEndpoint(socketPath: string, newEndpoint?: () => string): Promise<net.Server> {
  ensurePrivateDir(dirname(socketPath));
  if (isPipePointer(socketPath)) {
    const current = readPipePointer(socketPath);
    if (current && (await answers(current))) throw new ControlSocketInUseError(socketPath);
    const endpoint = (newEndpoint ?? newPipeName)();
    const server = await bindEndpoint(endpoint);
    publishPipePointer(socketPath, endpoint);
    server.once("close", () => withdrawPipePointer(socketPath, endpoint));
    return server;
  }
  const server = await bindEndpoint(socketPath);
  chmodSync(socketPath, 0o600);
  return server;
}

async function bindEndpoint(socketPath: string): Promise<net.Server> {
  const isPipe = socketPath.startsWith("\\\\.\\pipe\\");
  const server = net.createServer();
  const bind = (): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(socketPath, () => {
        server.removeListener("error", reject);
        resolve();
      });
    });
  try {
    await bind();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EADDRINUSE" || isPipe) throw e;
    if (await answers(socketPath)) throw new ControlSocketInUseError(socketPath);
    unlinkSync(socketPath);
    await bind();
  }
  return server;
}
