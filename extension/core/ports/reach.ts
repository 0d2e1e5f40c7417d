/**
 * Whether loopback 443 and 80 really reach THIS user's proxy, by connecting as a browser would,
 * not by reading configuration. On 443 a TLS handshake must present a certificate that chains to
 * this user's own root (only their proxy holds its key, so no other program can pass). On 80 the
 * answer must be the proxy's redirect to `https://localhost/...` with no port (the proxy says so
 * only when it knows standard ports are in place). On Linux the owner of the proxy port is checked
 * too: if another user bound it while this proxy was down, plain HTTP on 80 would reach them.
 * Must run as the user: the Linux redirect applies to that user's own connections only.
 */
import net from "node:net";
import tls from "node:tls";
import { acceptingListeners, listenersOnPort } from "../net/listenerOwners";
import { STANDARD_PORTS } from "./types";

/** What one connection found. */
export interface ReachVerdict {
  port: number;
  address: string;
  /** `proxy`: this user's proxy answered; `other`: something else did; `nothing`: refused or silent. */
  outcome: "proxy" | "other" | "nothing";
  detail: string;
}

const PROBE_PATH = "/switchyard-ports-probe";
const shown = (address: string, port: number): string => `${address.includes(":") ? `[${address}]` : address}:${port}`;

/** TLS to address:443 verified against `rootPem` only. */
export function probeTls(
  address: string,
  rootPem: string,
  port: number = STANDARD_PORTS.https,
  timeoutMs = 3000,
): Promise<ReachVerdict> {
  return new Promise((resolve) => {
    const done = (outcome: ReachVerdict["outcome"], detail: string): void => {
      socket.destroy();
      resolve({ port, address, outcome, detail });
    };
    // No SNI (an address): the proxy presents its leaf for the dialled address or localhost.
    const socket = tls.connect({
      host: address,
      port,
      ca: rootPem,
      checkServerIdentity: () => undefined,
      ALPNProtocols: ["http/1.1"],
    });
    socket.setTimeout(timeoutMs, () =>
      done("nothing", `${shown(address, port)}: no TLS answer within ${timeoutMs} ms`),
    );
    socket.once("secureConnect", () =>
      done("proxy", `${shown(address, port)} reaches your proxy (its certificate is issued by your Switchyard CA)`),
    );
    socket.once("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "ECONNREFUSED") done("nothing", `${shown(address, port)}: nothing listens (connection refused)`);
      else if (/CERT|SELF_SIGNED|VERIFY|SIGNATURE/i.test(e.code ?? e.message))
        done(
          "other",
          `${shown(address, port)} answers TLS with a certificate not issued by your Switchyard CA (${e.code}): another server, not your proxy`,
        );
      else done("nothing", `${shown(address, port)}: ${e.code ?? e.message}`);
    });
  });
}

/** Plain HTTP to address:80: the proxy's port-less redirect, or what answered instead. */
export function probeHttp(
  address: string,
  port: number = STANDARD_PORTS.http,
  timeoutMs = 3000,
): Promise<ReachVerdict> {
  return new Promise((resolve) => {
    let head = "";
    const done = (outcome: ReachVerdict["outcome"], detail: string): void => {
      socket.destroy();
      resolve({ port, address, outcome, detail });
    };
    const socket = net.connect({ host: address, port });
    socket.setTimeout(timeoutMs, () =>
      done("nothing", `${shown(address, port)}: no HTTP answer within ${timeoutMs} ms`),
    );
    socket.once("connect", () =>
      socket.write(`GET ${PROBE_PATH} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`),
    );
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      head += chunk;
      if (!head.includes("\r\n\r\n") && head.length < 16 * 1024) return;
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1];
      const location = /\r\nlocation:\s*([^\r\n]*)/i.exec(head)?.[1]?.trim();
      if (status?.startsWith("3") && location === `https://localhost${PROBE_PATH}`)
        done(
          "proxy",
          `${shown(address, port)} reaches your proxy (it redirects plain HTTP to https://NAME/ with no port)`,
        );
      else if (status?.startsWith("3") && location?.startsWith(`https://localhost:`))
        done(
          "proxy",
          `${shown(address, port)} reaches a Switchyard proxy that redirects to ${location}: it does not know standard ports are in place`,
        );
      else
        done(
          "other",
          `${shown(address, port)} answers ${status ?? "something that is not HTTP"}${location ? ` -> ${location}` : ""}: not your proxy`,
        );
    });
    socket.once("end", () => done("other", `${shown(address, port)} closed the connection without an HTTP answer`));
    socket.once("error", (e: NodeJS.ErrnoException) =>
      done(
        "nothing",
        `${shown(address, port)}: ${e.code === "ECONNREFUSED" ? "nothing listens (connection refused)" : (e.code ?? e.message)}`,
      ),
    );
  });
}

/** Every probe, IPv4 and IPv6 loopback; `rootPem` undefined skips the TLS ones (said in `skipped`). */
export async function probeStandardPorts(rootPem: string | undefined): Promise<ReachVerdict[]> {
  const verdicts: ReachVerdict[] = [];
  for (const address of ["127.0.0.1", "::1"]) {
    if (rootPem !== undefined) verdicts.push(await probeTls(address, rootPem));
    verdicts.push(await probeHttp(address));
  }
  return verdicts;
}

/**
 * Users other than `uid` who own a socket a loopback connection to `targetPort` would reach:
 * while this user's proxy is down another user may bind its port and receive the redirected
 * plain HTTP (TLS they cannot answer for this user's CA). Empty when none, undefined off Linux.
 */
export async function foreignOwnersOf(targetPort: number, uid: number): Promise<number[] | undefined> {
  const listeners = await listenersOnPort(targetPort);
  if (!listeners) return undefined;
  const owners = new Set<number>();
  for (const address of ["127.0.0.1", "::1"])
    for (const l of acceptingListeners(listeners, address)) if (l.uid !== uid) owners.add(l.uid);
  return [...owners];
}
