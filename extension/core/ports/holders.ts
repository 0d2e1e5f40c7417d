/**
 * Which programs listen on 443 or 80 where a loopback connection would reach them (127.0.0.1,
 * ::1, or a wildcard covering them), in words that name them: `enable` refuses when there is one,
 * and `status` says when one appeared later. Linux and macOS through net/portHolder.ts (ss, /proc,
 * lsof); Windows through netstat and http.sys (windowsHttpSys.ts).
 */
import type { CommandRunner } from "../commandRunner";
import { findPortHolder, type PortHolder } from "../net/portHolder";
import { STANDARD_PORTS } from "./types";
import { windowsPortHolder } from "./windowsHttpSys";

/** One program on a standard port. */
export interface StandardPortHolder {
  port: number;
  /** "nginx (pid 812) listens on 0.0.0.0:443". */
  description: string;
  pid?: number;
  command?: string;
}

const describe = (h: PortHolder, port: number): string =>
  `${h.command ?? "a program"}${h.pid !== undefined ? ` (pid ${h.pid})` : " (pid not visible to this user)"} listens on ${
    h.address.includes(":") ? `[${h.address}]` : h.address
  }:${port}`;

/** The programs holding 443 and 80 for loopback clients, at most one line per port and program. */
export async function standardPortHolders(
  platform: NodeJS.Platform = process.platform,
  runner?: CommandRunner,
): Promise<StandardPortHolder[]> {
  const out: StandardPortHolder[] = [];
  for (const port of [STANDARD_PORTS.https, STANDARD_PORTS.http]) {
    if (platform === "win32") {
      if (!runner) continue;
      const description = await windowsPortHolder(runner, port);
      if (description) out.push({ port, description });
      continue;
    }
    const seen = new Set<string>();
    for (const address of ["127.0.0.1", "::1"]) {
      const holder = await findPortHolder(port, {
        address,
        platform,
        timeoutMs: 3000,
        ...(runner ? { runner } : {}),
      });
      if (!holder) continue;
      const key = `${holder.pid ?? "?"}/${holder.address}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({
        port,
        description: describe(holder, port),
        ...(holder.pid !== undefined ? { pid: holder.pid } : {}),
        ...(holder.command !== undefined ? { command: holder.command } : {}),
      });
    }
  }
  return out;
}
