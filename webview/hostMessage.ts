/**
 * Checks messages from the extension before the views see them. The extension is trusted, but a
 * version skew or a bug there must not blank the panel: anything malformed is dropped (with a
 * console warning) and partial snapshots are filled with empty lists.
 */
import {
  FIX_ACTIONS,
  type ClientCheckView,
  type FixAction,
  type HistoryStep,
  type HostMessage,
  type PanelSnapshot,
  type ProxyState,
  type RecordFix,
  type RecordView,
} from "./protocol";

const PROXY_STATES: readonly ProxyState[] = ["off", "starting", "on", "partial", "error"];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function list<T>(v: unknown, keep: (x: unknown) => boolean = isObject): T[] {
  return Array.isArray(v) ? (v.filter(keep) as T[]) : [];
}

function text(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

/** A record with the fields the table needs, or undefined. */
export function parseRecord(raw: unknown): RecordView | undefined {
  if (!isObject(raw) || typeof raw.id !== "number" || !Number.isFinite(raw.id)) return undefined;
  const r = raw as Partial<RecordView> & Record<string, unknown>;
  return {
    ...(r as RecordView),
    seq: typeof r.seq === "number" && Number.isFinite(r.seq) ? r.seq : (raw.id as number),
    time: typeof r.time === "number" ? r.time : Date.now(),
    client: text(r.client) ?? "",
    local: text(r.local) ?? "",
    protocol: text(r.protocol) ?? "unknown",
    outcome: text(r.outcome) ?? "",
    ok: r.ok === true,
    sni: text(r.sni),
    alpnOffered: list<string>(r.alpnOffered, (x) => typeof x === "string"),
    clientName: text(r.clientName),
    fixes: list<Record<string, unknown>>(r.fixes, (f) => isObject(f) && typeof f.label === "string").map(
      (f): RecordFix => ({
        label: f.label as string,
        action: (FIX_ACTIONS as readonly unknown[]).includes(f.action) ? (f.action as FixAction) : undefined,
        copy: text(f.copy),
        whenStoreUntrusted: f.whenStoreUntrusted === true,
      }),
    ),
    history: list<HistoryStep>(
      r.history,
      (s) => isObject(s) && typeof s.at === "number" && typeof s.text === "string" && typeof s.explanation === "string",
    ),
    detail: isObject(r.detail) ? r.detail : {},
  };
}

/** The proxy part of a snapshot (also sent alone, and embedded in the page for its first paint). */
export function parseProxy(raw: unknown): PanelSnapshot["proxy"] {
  const proxy = isObject(raw) ? raw : {};
  return {
    state: PROXY_STATES.includes(proxy.state as ProxyState) ? (proxy.state as ProxyState) : "off",
    summary: text(proxy.summary),
    error: text(proxy.error),
    bindings: list(proxy.bindings),
    routes: list(proxy.routes),
  };
}

function parseSnapshot(raw: unknown): PanelSnapshot | undefined {
  if (!isObject(raw)) return undefined;
  return {
    proxy: parseProxy(raw.proxy),
    settingsProblems: list(
      raw.settingsProblems,
      (p) => isObject(p) && typeof p.key === "string" && typeof p.message === "string",
    ),
    resolutions: list(raw.resolutions),
    mismatches: list(raw.mismatches),
    interfaces: list(raw.interfaces),
    ca: isObject(raw.ca)
      ? ({
          ...raw.ca,
          exists: raw.ca.exists === true,
          directory: text(raw.ca.directory) ?? "",
          trust: list(raw.ca.trust),
          leaves: list(raw.ca.leaves),
        } as PanelSnapshot["ca"])
      : undefined,
    hosts: isObject(raw.hosts)
      ? ({
          ...raw.hosts,
          file: text(raw.hosts.file) ?? "",
          mappings: list(raw.hosts.mappings),
          conflicts: list(raw.hosts.conflicts),
          warnings: list(raw.hosts.warnings, (w) => typeof w === "string"),
        } as PanelSnapshot["hosts"])
      : undefined,
  };
}

/** Returns a well-formed HostMessage or undefined; never throws. */
export function parseHostMessage(raw: unknown): HostMessage | undefined {
  if (!isObject(raw)) return undefined;
  switch (raw.type) {
    case "snapshot": {
      const snapshot = parseSnapshot(raw.snapshot);
      return snapshot && { type: "snapshot", snapshot };
    }
    case "proxy":
      return isObject(raw.proxy) ? { type: "proxy", proxy: parseProxy(raw.proxy) } : undefined;
    case "records": {
      if (!Array.isArray(raw.records)) return undefined;
      const records = raw.records.map(parseRecord).filter((r): r is RecordView => r !== undefined);
      return { type: "records", records, reset: raw.reset === true };
    }
    case "probeResult":
      return typeof raw.text === "string"
        ? { type: "probeResult", url: text(raw.url) ?? "", text: raw.text, ok: raw.ok === true }
        : undefined;
    case "notice":
      return typeof raw.text === "string"
        ? { type: "notice", level: raw.level === "error" ? "error" : "info", text: raw.text }
        : undefined;
    case "clientChecks": {
      const checks = list<Record<string, unknown>>(raw.checks, (c) => isObject(c) && typeof c.client === "string").map(
        (c): ClientCheckView => ({
          client: c.client as string,
          state: c.state === "pass" || c.state === "skipped" ? c.state : "fail",
          reason: text(c.reason),
          fix: text(c.fix),
        }),
      );
      return { type: "clientChecks", running: raw.running === true, checks, error: text(raw.error) };
    }
    default:
      return undefined;
  }
}
