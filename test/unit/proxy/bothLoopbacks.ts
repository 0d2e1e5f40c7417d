/**
 * One TCP port on both loopback addresses, for a client that is given `localhost`: it may dial
 * 127.0.0.1 or ::1 first, and whichever it picks must reach this listener, not another program
 * that holds the same port on the other address. Port 0 would pick a different port for each
 * address, so the first bind picks the port and the second takes the same one; when the second is
 * taken, both close and the pair is tried again (bounded).
 */
import net from "node:net";

export interface LoopbackPair {
  port: number;
  /** The addresses actually bound: both, or 127.0.0.1 alone on a machine with no ::1. */
  addresses: string[];
  close(): Promise<void>;
}

function listen(server: net.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (e: Error): void => reject(e);
    server.once("error", failed);
    server.listen({ port, host, exclusive: true }, () => {
      server.off("error", failed);
      resolve();
    });
  });
}

const closed = (server: net.Server): Promise<void> => new Promise((r) => server.close(() => r()));

/** Listens with `onConnection` on 127.0.0.1 and ::1 at one port; `attempts` bounds the retries. */
export async function listenOnBothLoopbacks(
  onConnection: (socket: net.Socket) => void,
  attempts = 20,
): Promise<LoopbackPair> {
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const v4 = net.createServer(onConnection);
    await listen(v4, 0, "127.0.0.1");
    const port = (v4.address() as net.AddressInfo).port;
    const v6 = net.createServer(onConnection);
    try {
      await listen(v6, port, "::1");
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EADDRINUSE") {
        await closed(v4);
        continue;
      }
      // No ::1 on this machine: `localhost` can only mean 127.0.0.1 here.
      if (code === "EADDRNOTAVAIL" || code === "EAFNOSUPPORT") {
        return { port, addresses: ["127.0.0.1"], close: () => closed(v4) };
      }
      await closed(v4);
      throw e;
    }
    return {
      port,
      addresses: ["127.0.0.1", "::1"],
      close: async () => {
        await Promise.all([closed(v4), closed(v6)]);
      },
    };
  }
  throw new Error(`no port was free on both 127.0.0.1 and ::1 in ${attempts} attempts`);
}
