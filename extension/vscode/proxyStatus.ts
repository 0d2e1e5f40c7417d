/**
 * The one model of the proxy's state that the status bar, the panel header and the tree views
 * all render: off, starting, on, partly listening (some addresses failed) or failed, with the
 * ports and the reasons. A pure function of what the session knows, so it is unit-tested.
 */
import type { BindingRecord } from "../core/proxy/records/records";
import type { ProxyState } from "../../webview/protocol";

/** What the session knows about its proxy. */
export interface ProxyFacts {
  starting: boolean;
  running: boolean;
  /** Why the last start failed as a whole (e.g. the CA could not be opened). */
  startError?: string;
  bindings: BindingRecord[];
}

/** The proxy's state as every view shows it. */
export interface ProxyStatus {
  state: ProxyState;
  /** Ports the proxy listens on for TLS (and plain HTTP redirects), in order. */
  ports: number[];
  /** Failed addresses, as `address:port: reason` (or the start error). */
  problems: string[];
  /** One short phrase: "on at :8443", "partly listening at :8443 (1 address failed)", "failed", "off". */
  summary: string;
}

/** `127.0.0.1:8443`, `[::1]:8443`, or the spec for a spec that resolved to nothing. */
export function bindingAddress(b: BindingRecord): string {
  if (!b.address) return b.spec;
  return `${b.family === 6 ? `[${b.address}]` : b.address}:${b.port}`;
}

/**
 * One line per distinct failure: the address is named once (not prefixed to a reason that already
 * names it), and addresses that failed for the same reason share a line ("port 8443 is already in
 * use on 127.0.0.1:8443 and [::1]:8443 by node"), so a port conflict is not said twice.
 */
export function failureLines(failed: readonly BindingRecord[]): string[] {
  const groups = new Map<string, string[]>();
  for (const b of failed) {
    const where = bindingAddress(b);
    const reason = b.reason ?? "failed";
    const key = reason.includes(where) ? reason.split(where).join("\u0000") : `\u0000: ${reason}`;
    groups.set(key, [...(groups.get(key) ?? []), where]);
  }
  return [...groups].map(([key, wheres]) => key.split("\u0000").join(wheres.join(" and ")));
}

export function proxyStatus(facts: ProxyFacts): ProxyStatus {
  if (facts.starting) return { state: "starting", ports: [], problems: [], summary: "starting" };
  if (!facts.running) {
    const problems = facts.startError ? [facts.startError] : [];
    return {
      state: problems.length ? "error" : "off",
      ports: [],
      problems,
      summary: problems.length ? "failed" : "off",
    };
  }
  const current = facts.bindings.filter((b) => b.state !== "closed");
  const listening = current.filter((b) => b.state === "listening");
  const failed = current.filter((b) => b.state === "failed");
  const ports = [...new Set(listening.filter((b) => b.role === "tls+http").map((b) => b.port))];
  const problems = failureLines(failed);
  if (facts.startError) problems.unshift(facts.startError);
  const at = ports.length ? ` at :${ports.join(", :")}` : "";
  if (listening.length === 0) return { state: "error", ports, problems, summary: "failed" };
  if (failed.length > 0)
    return {
      state: "partial",
      ports,
      problems,
      summary: `partly listening${at} (${failed.length} address${failed.length === 1 ? "" : "es"} failed)`,
    };
  return { state: "on", ports, problems, summary: `on${at}` };
}
