/**
 * A connection record as a row of the panel's Handshakes view: its current state in a few words,
 * the client the ClientHello names, the fixes for that client when it does not trust the root, and
 * the failures it recovered from. Pure (no vscode API), so it is unit-tested without an extension host.
 */
import type { ConnectionRecord } from "../core/proxy/records/records";
import { clientTrustAdvice, rejectsTheRoot } from "../core/proxy/records/explain";
import type { FixAction, HistoryStep, RecordFix, RecordView } from "../../webview/protocol";
import { shQuote } from "../core/shellQuote";

/** What the row needs beyond the record: the root's file (for commands to copy) and which addresses are this machine's. */
export interface RecordViewContext {
  rootFile?: string;
  isThisMachine?(address: string): boolean;
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

/** The fixes for a client that does not trust the root, with the root's file filled in. */
function trustFixes(r: ConnectionRecord, context: RecordViewContext): RecordFix[] {
  const address = r.client.address;
  const remote = context.isThisMachine ? !context.isThisMachine(address) : false;
  const client = r.clientHello?.client;
  const advice = clientTrustAdvice({ ...(client ? { client } : {}), remote, address });
  const root = context.rootFile ? shQuote(context.rootFile) : "ROOT.pem";
  return advice.fixes.map((f) => ({
    label: f.label,
    ...(f.action ? { action: f.action } : {}),
    ...(f.copy ? { copy: f.copy.replaceAll("{root}", root) } : {}),
    ...(f.whenStoreUntrusted ? { whenStoreUntrusted: true } : {}),
  }));
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
  const fixes = untrusted ? trustFixes(r, context) : undefined;
  const steps = history(r);
  return {
    id: r.id,
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
    explanation: outcome.explanation,
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
