/**
 * Puts a failed `listen()` into words a user can act on, instead of `Error: listen EACCES`.
 * {@link describeListenError} is pure; {@link explainListenError} also asks the OS who holds a
 * port that is in use.
 */
import { findPortHolder, type PortHolder, type PortHolderOptions } from "./portHolder";

/** The socket address that could not be bound. */
export interface ListenTarget {
  address: string;
  port: number;
}

/** A listen failure explained. */
export interface ListenErrorExplanation {
  /** The errno code (`EACCES`, `EADDRINUSE`, …) or `UNKNOWN`. */
  code: string;
  /** What happened, in words. */
  message: string;
  /** What to do about it. */
  fix: string;
  /** For EADDRINUSE, the listener already there, when the OS could tell. */
  holder?: PortHolder;
}

/** Options for {@link explainListenError}. */
export interface ExplainListenOptions extends PortHolderOptions {
  /** Replaces the OS lookup of who holds a port (tests, or callers that already know); gets the address too. */
  findHolder?: (port: number, address: string) => Promise<PortHolder | undefined>;
}

/** The first port a non-root user may bind on Linux unless the sysctl says otherwise. */
const PRIVILEGED_BELOW = 1024;

/** Explains a listen error, looking up the process holding the port for EADDRINUSE. Never throws. */
export async function explainListenError(
  error: unknown,
  target: ListenTarget,
  options: ExplainListenOptions = {},
): Promise<ListenErrorExplanation> {
  let holder: PortHolder | undefined;
  if (errorCode(error) === "EADDRINUSE") {
    // Matched on address and port: 127.0.0.1:8443 and [::1]:8443 may be held by different processes.
    const find =
      options.findHolder ?? ((port: number, address: string) => findPortHolder(port, { ...options, address }));
    holder = await find(target.port, target.address).catch(() => undefined);
  }
  return describeListenError(error, target, holder, options.platform ?? process.platform);
}

/** Explains a listen error from what is already known; pure. */
export function describeListenError(
  error: unknown,
  target: ListenTarget,
  holder?: PortHolder,
  platform: NodeJS.Platform = process.platform,
): ListenErrorExplanation {
  const code = errorCode(error) ?? "UNKNOWN";
  const where = formatSocketAddress(target.address, target.port);
  const port = target.port;
  switch (code) {
    case "EACCES":
    case "EPERM":
      if (port < PRIVILEGED_BELOW && platform === "linux") {
        return {
          code,
          message: `cannot listen on ${where}: ports below ${PRIVILEGED_BELOW} are reserved for root on Linux`,
          fix:
            `use a high port such as 8443, or allow unprivileged ports from ${port} with ` +
            `"sudo sysctl net.ipv4.ip_unprivileged_port_start=${port}" (persist it in /etc/sysctl.d/), ` +
            `or grant Node the capability: "sudo setcap cap_net_bind_service=+ep $(readlink -f $(which node))"`,
        };
      }
      if (platform === "win32") {
        return {
          code,
          message: `cannot listen on ${where}: Windows refused the port; it is probably in a range reserved by Hyper-V, WSL or Docker`,
          fix: `see the reserved ranges with "netsh interface ipv4 show excludedportrange protocol=tcp" and pick a port outside them`,
        };
      }
      return {
        code,
        message: `cannot listen on ${where}: permission denied`,
        fix:
          port < PRIVILEGED_BELOW
            ? "use a port above 1023 such as 8443, or run with the privilege to bind low ports"
            : "check for a firewall or security policy that blocks this port",
      };
    case "EADDRINUSE": {
      const by = holder ? describeHolder(holder, where) : undefined;
      return {
        code,
        message: by
          ? `port ${port} is already in use on ${where} by ${by}`
          : `port ${port} is already in use on ${where} (the OS did not say by which process)`,
        fix: by
          ? `stop ${holder?.command ?? "that process"} or choose another port in switchyard.proxy.listen`
          : `find the process with "ss -ltnp 'sport = :${port}'" (Linux) or "lsof -nP -iTCP:${port} -sTCP:LISTEN" (macOS), stop it, or choose another port`,
        ...(holder ? { holder } : {}),
      };
    }
    case "EADDRNOTAVAIL":
      return {
        code,
        message: `cannot listen on ${where}: ${target.address} is not an address of this machine`,
        fix: "use an address that one of this machine's interfaces has (see the interfaces table), an interface name such as lo:8443, or check the hosts file entry that produced this address",
      };
    case "EAFNOSUPPORT":
      return {
        code,
        message: `cannot listen on ${where}: this machine has IPv6 turned off`,
        fix: "use an IPv4 address such as 127.0.0.1, or enable IPv6",
      };
    case "EINVAL":
      return {
        code,
        message: `cannot listen on ${where}: the OS rejected the address`,
        fix: "an IPv6 link-local address (fe80::) needs its interface, e.g. [fe80::1%eth0]:8443",
      };
    default:
      return {
        code,
        message: `cannot listen on ${where}: ${error instanceof Error ? error.message : String(error)}`,
        fix: "check the listen spec in switchyard.proxy.listen",
      };
  }
}

/** `127.0.0.1:8443` or `[::1]:8443`. */
export function formatSocketAddress(address: string, port: number): string {
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}

/** The holder; where it listens only when that is not `where` (a wildcard, say), so the message does not say it twice. */
function describeHolder(holder: PortHolder, where: string): string {
  const what = holder.command ? `"${holder.command}"` : "a process";
  const pid = holder.pid !== undefined ? ` (pid ${holder.pid})` : "";
  const at = formatSocketAddress(holder.address, holder.port);
  return `${what}${pid}${at === where ? "" : ` listening on ${at}`}`;
}

function errorCode(error: unknown): string | undefined {
  if (typeof error === "object" && error !== null && "code" in error && typeof error.code === "string")
    return error.code;
  return undefined;
}
