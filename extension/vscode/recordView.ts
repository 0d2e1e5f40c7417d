/**
 * A connection record as a row of the panel's Handshakes view: its current state in a few words,
 * the client the ClientHello names, the fixes for that client when it does not trust the root, and
 * the failures it recovered from. Pure (no vscode API), so it is unit-tested without an extension host.
 */
import { basename } from "node:path";
import type { ConnectionRecord } from "../core/proxy/records/records";
import { clientTrustAdvice, noFirefoxProfileAdvice, rejectsTheRoot } from "../core/proxy/records/explain";
import type { FixAction, HistoryStep, RecordFix, RecordView } from "../../webview/protocol";
import { powerShellQuote, shQuote } from "../core/shellQuote";

/** This user's Firefox profile folders, and the roots that were searched for them. */
export interface FirefoxProfiles {
  dirs: string[];
  roots: string[];
}

/**
 * What the row needs beyond the record: the root's file (for commands to copy), which addresses are
 * this machine's, the user's Firefox profiles (asked only for a Firefox that rejected the root) and
 * the platform, whose shell the copied commands are quoted for (PowerShell on Windows).
 */
export interface RecordViewContext {
  rootFile?: string;
  isThisMachine?(address: string): boolean;
  firefoxProfiles?(): FirefoxProfiles;
  platform?: NodeJS.Platform;
}

/** What the user can click to fix a failure that is not about trust, from its plain-words explanation. */
function fixFor(explanation: string): FixAction | undefined {
  if (/settings|route/i.test(explanation)) return "openSettings";
  return undefined;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function outcomeText(r: ConnectionRecord): { text: string; ok: boolean; explanation?: string } {
  const o = r.outcome;
  // The row stays short ("recovered"); the details list each failure it recovered from.
  const earlier = r.pastFailures?.length ? " · recovered" : "";
  switch (o.kind) {
    case "proxied": {
      const requests = plural(o.requests, "request");
      if (r.open) return { text: `open · ${requests}${o.status ? `, last ${o.status}` : ""}${earlier}`, ok: true };
      return { text: `proxied${o.status ? ` ${o.status}` : ""} (${requests})${earlier}`, ok: true };
    }
    case "redirected":
      return { text: `redirected ${o.status} → ${o.location}`, ok: true };
    case "passed-through":
      return { text: `passed through to ${o.upstream}`, ok: true };
    case "no-route":
      return {
        text: `no route${o.host ? ` for ${o.host}` : ""}`,
        ok: false,
        explanation: "No route matches this host: add one under switchyard.proxy.routes in the settings.",
      };
    case "failed": {
      // A client that does not trust the root says so in the row; the code is in the details.
      const who = r.clientHello?.client.short ?? "the client";
      const text = rejectsTheRoot(o.explanation)
        ? `failed: ${who} does not trust the root`
        : `failed at ${o.stage}: ${o.error}`;
      return { text: `${text}${earlier}`, ok: false, explanation: o.explanation };
    }
  }
}

/**
 * The fixes for a client that does not trust the root, with the root's file filled in; a fix per
 * Firefox profile gets one copy per profile found, or none and a note saying what to do instead.
 */
function trustFixes(r: ConnectionRecord, context: RecordViewContext): { fixes: RecordFix[]; note?: string } {
  const address = r.client.address;
  const remote = context.isThisMachine ? !context.isThisMachine(address) : false;
  const client = r.clientHello?.client;
  const advice = clientTrustAdvice({ ...(client ? { client } : {}), remote, address });
  const quote = context.platform === "win32" ? powerShellQuote : shQuote;
  const root = context.rootFile ? quote(context.rootFile) : "ROOT.pem";
  const fixes: RecordFix[] = [];
  let note: string | undefined;
  for (const f of advice.fixes) {
    const fix: RecordFix = {
      label: f.label,
      ...(f.action ? { action: f.action } : {}),
      ...(f.whenStoreUntrusted ? { whenStoreUntrusted: true } : {}),
    };
    const copy = f.copy?.replaceAll("{root}", root);
    if (!copy || !f.perFirefoxProfile) {
      fixes.push(copy ? { ...fix, copy } : fix);
      continue;
    }
    const profiles = context.firefoxProfiles?.() ?? { dirs: [], roots: [] };
    if (profiles.dirs.length === 0) note = noFirefoxProfileAdvice(profiles.roots);
    for (const dir of profiles.dirs) {
      const label = profiles.dirs.length > 1 ? `${f.label} (profile ${basename(dir)})` : f.label;
      // The whole `sql:FOLDER` is one quoted word, so a folder with spaces or quotes stays one argument.
      fixes.push({ ...fix, label, copy: copy.replaceAll("{nssdb}", quote(`sql:${dir}`)) });
    }
  }
  return note ? { fixes, note } : { fixes };
}

function history(r: ConnectionRecord): HistoryStep[] | undefined {
  if (!r.pastFailures?.length) return undefined;
  return r.pastFailures.map((f) => ({
    at: f.at,
    text: `${f.request !== undefined ? `request ${f.request}` : "the connection"} failed at ${f.stage}: ${f.error}`,
    explanation: f.explanation,
  }));
}

/** A connection record as a row of the Handshakes view (the full record rides along for Copy as JSON). */
export function recordView(r: ConnectionRecord, context: RecordViewContext = {}): RecordView {
  const outcome = outcomeText(r);
  const cert = r.tls?.certificate;
  const client = r.clientHello?.client;
  const untrusted = outcome.explanation !== undefined && rejectsTheRoot(outcome.explanation);
  const trust = untrusted ? trustFixes(r, context) : undefined;
  const fixes = trust?.fixes;
  const steps = history(r);
  return {
    id: r.id,
    seq: r.seq,
    ...(r.open ? { open: true } : {}),
    requestCount: r.requestCount,
    time: Date.parse(r.time),
    client: `${r.client.address}:${r.client.port}`,
    local: `${r.local.address}:${r.local.port}`,
    interfaceName: r.local.interfaceName,
    protocol: r.protocol,
    sni: r.clientHello?.serverName,
    alpnOffered: r.clientHello?.alpn ?? [],
    alpn: r.tls?.alpn,
    tlsVersion: r.tls?.version,
    cipher: r.tls?.cipher,
    ...(r.tls?.resumed ? { resumed: true } : {}),
    certificate: cert ? cert.sans.join(", ") || cert.subject : undefined,
    route: r.route ? `${r.route.host} → ${r.route.upstream}` : undefined,
    outcome: outcome.text,
    ok: outcome.ok,
    explanation: trust?.note ? `${outcome.explanation}. ${trust.note}` : outcome.explanation,
    fix: untrusted
      ? fixes?.find((f) => f.action)?.action
      : outcome.explanation
        ? fixFor(outcome.explanation)
        : undefined,
    ...(client && client.kind !== "unknown" ? { clientName: client.name } : {}),
    ...(fixes ? { fixes } : {}),
    ...(steps ? { history: steps } : {}),
    detail: r as unknown as Record<string, unknown>,
  };
}
