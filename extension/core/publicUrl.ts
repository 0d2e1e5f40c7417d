/**
 * The one place that builds the URL Switchyard prints or shows for a route: `https://NAME/` when
 * loopback 443 reaches the proxy (standard ports enabled for this user, or the proxy listening on
 * 443 itself), `https://NAME:8443/` otherwise. Every printed or shown URL goes through here, so
 * the CLI, the views and the panel never disagree about the port.
 */
import { probeTls } from "./ports/reach";
import { currentUid, standardPortsTarget } from "./ports/state";
import { STANDARD_PORTS } from "./ports/types";

/** How the proxy is reached: the port it listens on, and whether 443 leads there. */
export interface PublicPorts {
  /** The proxy's TLS port; undefined when it does not run (the URL then has no port). */
  tlsPort: number | undefined;
  /** Loopback 443 reaches this proxy (standard ports are in place). */
  standardPorts: boolean;
}

/** `https://NAME/path` with the port a browser needs, none when 443 reaches the proxy. Pure. */
export function publicUrl(host: string, ports: PublicPorts, path = "/"): string {
  const { tlsPort } = ports;
  const port = ports.standardPorts || tlsPort === undefined || tlsPort === STANDARD_PORTS.https ? "" : `:${tlsPort}`;
  return `https://${host}${port}${path.startsWith("/") ? path : `/${path}`}`;
}

/**
 * Whether standard ports are set up to reach a proxy on `tlsPort` for this user, from the state
 * file `switchyard ports enable` wrote (root-owned, world-readable; re-read at most once a second).
 * No connection: for code that runs often (the proxy's plain-HTTP redirect, the views).
 */
export function standardPortsConfigured(tlsPort: number | undefined, uid = currentUid()): boolean {
  return tlsPort !== undefined && standardPortsTarget(uid) === tlsPort;
}

/**
 * {@link standardPortsConfigured}, confirmed by a TLS handshake through 127.0.0.1:443 that only a
 * proxy holding this user's CA (`rootPem`) can complete: the redirect may be gone after a reboot
 * without its boot unit. For what `run` prints and the extension shows.
 */
export async function standardPortsReachProxy(
  tlsPort: number | undefined,
  rootPem: string | undefined,
): Promise<PublicPorts> {
  if (!standardPortsConfigured(tlsPort) || rootPem === undefined) return { tlsPort, standardPorts: false };
  const verdict = await probeTls("127.0.0.1", rootPem, STANDARD_PORTS.https, 2000);
  return { tlsPort, standardPorts: verdict.outcome === "proxy" };
}
