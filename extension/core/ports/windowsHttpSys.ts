/**
 * Windows has no privileged ports: any user's program may listen on 443 and 80, so nothing needs
 * administrator rights and nothing is redirected. What can stand in the way is http.sys, the
 * kernel HTTP server behind IIS, WinRM, SSRS and others: it holds 443 or 80 for the System process
 * (pid 4) and only `netsh http show servicestate` tells which URLs are registered. This file finds
 * and explains the holder; `enable` then says which two settings make the proxy listen there
 * itself. Not run here: tested against recorded command lines.
 */
import type { CommandRunner } from "../commandRunner";
import { parseNetstatListening } from "../devservers/osTables";
import type { PortsState } from "./state";
import type { SystemFiles } from "./systemFiles";
import type { EnableResult, MechanismStatus, PortsMechanism, PortsPlan } from "./types";

/** The URLs http.sys has registered on `port` (`netsh http show servicestate view=requestq`). Pure. */
export function parseHttpSysUrls(text: string, port: number): string[] {
  const urls = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    const url = /(https?:\/\/\S+)/i.exec(line)?.[1];
    if (!url) continue;
    const m = /^https?:\/\/[^/]*?:(\d+)/i.exec(url);
    const urlPort = m ? Number(m[1]) : /^https/i.test(url) ? 443 : 80;
    if (urlPort === port) urls.add(url);
  }
  return [...urls];
}

/** The image name `tasklist /FI "PID eq N" /FO CSV /NH` prints first. Pure. */
export function parseTasklistName(text: string): string | undefined {
  return /^"([^"]+)"/.exec(text.trim())?.[1];
}

/** Who holds `port` on Windows, in words ("System (pid 4): http.sys, registered https://+:443/"), or undefined. */
export async function windowsPortHolder(runner: CommandRunner, port: number): Promise<string | undefined> {
  const netstat = await runner.run("netstat", ["-ano", "-p", "tcp"]);
  const netstat6 = await runner.run("netstat", ["-ano", "-p", "tcpv6"]);
  const listener = parseNetstatListening(`${netstat.stdout}\n${netstat6.stdout}`).find(
    (l) => l.port === port && ["127.0.0.1", "0.0.0.0", "::", "::1"].includes(l.address),
  );
  if (!listener) return undefined;
  if (listener.pid === 4) {
    const state = await runner.run("netsh", ["http", "show", "servicestate", "view=requestq"]);
    const urls = parseHttpSysUrls(state.stdout, port);
    return (
      `System (pid 4) holds ${port} for http.sys, the kernel HTTP server of IIS and other Windows services` +
      (urls.length > 0 ? `; registered: ${urls.slice(0, 5).join(", ")}` : "") +
      `; see "netsh http show servicestate" (stop IIS with "iisreset /stop", or the service that registered it)`
    );
  }
  const task = await runner.run("tasklist", ["/FI", `PID eq ${listener.pid}`, "/FO", "CSV", "/NH"]);
  const name = parseTasklistName(task.stdout) ?? "a program";
  return `${name} (pid ${listener.pid}) listens on ${listener.address}:${port}`;
}

/** Windows: nothing to redirect; `enable` explains the two settings. */
export function windowsHttpSys(runner: CommandRunner): PortsMechanism {
  return {
    name: "windows",
    async unavailable() {
      return undefined;
    },
    async enable(plan: PortsPlan, _files: SystemFiles): Promise<EnableResult> {
      void _files;
      void plan;
      throw new Error(
        'Windows has no privileged ports, so nothing needs administrator rights: let the proxy listen on them itself with "switchyard.proxy.listen": ["localhost:443", "localhost:80"] (or switchyard serve --listen localhost:443 --listen localhost:80); nothing was changed',
      );
    },
    async disable(_state: PortsState): Promise<string[]> {
      void _state;
      return [];
    },
    async status(): Promise<MechanismStatus> {
      const held = [await windowsPortHolder(runner, 443), await windowsPortHolder(runner, 80)].filter(
        (h): h is string => h !== undefined,
      );
      return {
        persisted: false,
        loaded: undefined,
        details: ["Windows: the proxy listens on 443 and 80 itself when its settings say so", ...held],
      };
    },
  };
}
