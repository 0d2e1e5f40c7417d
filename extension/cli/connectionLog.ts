/**
 * `switchyard serve`'s connection log: a line when a connection is seen open (its handshake done
 * or failed), one per request as it finishes, and one when the connection closes, as text or as
 * one JSON object per line, so `serve --log ndjson | …` follows a browser session live.
 */
import type { ConnectionRecord, RequestSummary } from "../core/proxy/records/records";

function who(r: ConnectionRecord): string {
  return `${r.client.address}:${r.client.port}`;
}

function nameOf(r: ConnectionRecord): string {
  return r.clientHello?.serverName ?? r.requests[0]?.host ?? "-";
}

function tlsOf(r: ConnectionRecord): string {
  return r.tls?.version
    ? ` ${r.tls.version}${r.tls.alpn ? `/${r.tls.alpn}` : ""}${r.tls.resumed ? " (resumed)" : ""}`
    : "";
}

/** The line of a connection that is open: handshake done (or failed, for a connection not yet closed). */
export function formatOpen(r: ConnectionRecord, ndjson: boolean): string {
  if (ndjson) return `${JSON.stringify({ type: "connection", event: "open", ...r })}\n`;
  const o = r.outcome;
  const what = o.kind === "failed" ? `failed (${o.stage}, ${o.error}): ${o.explanation}` : "open";
  return `${r.time} ${who(r)} ${r.protocol}${tlsOf(r)} ${nameOf(r)}: ${what}\n`;
}

/** The line of one finished request on connection `r`. */
export function formatRequest(r: ConnectionRecord, q: RequestSummary, ndjson: boolean): string {
  if (ndjson) return `${JSON.stringify({ type: "request", connection: r.id, client: r.client, ...q })}\n`;
  const result = q.error ? `${q.status ?? "failed"}: ${q.error}` : String(q.status ?? "-");
  return `${new Date().toISOString()} ${who(r)}   ${q.method} ${q.host ?? nameOf(r)}${q.path} -> ${result} (${q.bytes} B, ${q.durationMs.toFixed(1)} ms)\n`;
}

/** The line of a connection that closed: how it ended, with its request count and duration. */
export function formatRecord(r: ConnectionRecord, ndjson: boolean): string {
  if (ndjson) return `${JSON.stringify({ type: "connection", event: "close", ...r })}\n`;
  const o = r.outcome;
  const what =
    o.kind === "failed"
      ? `failed (${o.stage}, ${o.error}): ${o.explanation}`
      : o.kind === "redirected"
        ? `${o.status} -> ${o.location}`
        : o.kind === "passed-through"
          ? `passed through to ${o.upstream}`
          : o.kind === "no-route"
            ? `no route for ${o.host ?? nameOf(r)}`
            : `${o.requests} request(s), last ${o.status ?? "-"}`;
  return `${r.time} ${who(r)} ${r.protocol}${tlsOf(r)} ${nameOf(r)}: ${what} (${r.durationMs.toFixed(1)} ms)${notesOf(r)}\n`;
}

/** What the record says beyond its outcome: why Switchyard closed it, a certificate it could not describe. */
function notesOf(r: ConnectionRecord): string {
  const notes: string[] = [];
  if (r.closeReason) notes.push(`closed by Switchyard (${r.closeReason.code}): ${r.closeReason.explanation}`);
  if (r.tls?.certificateProblem) notes.push(r.tls.certificateProblem);
  return notes.map((n) => `\n  ${n}`).join("");
}

/**
 * Turns the proxy's record stream ('live' while open, 'record' at close; each the whole record)
 * into log lines, printing each request once. A connection that closed before it was ever seen
 * open (curl, a refused handshake) gets its requests and its close line only.
 */
export class ConnectionLog {
  /** Open connections already announced, with how many of their requests were printed. */
  private readonly printed = new Map<number, number>();

  constructor(
    private readonly write: (text: string) => void,
    private readonly ndjson: boolean,
  ) {}

  /** An open connection's record changed. */
  live(r: ConnectionRecord): void {
    if (!this.printed.has(r.id)) {
      this.printed.set(r.id, 0);
      this.write(formatOpen(r, this.ndjson));
    }
    this.requests(r);
  }

  /** A connection closed. */
  closed(r: ConnectionRecord): void {
    this.requests(r);
    this.printed.delete(r.id);
    this.write(formatRecord(r, this.ndjson));
  }

  private requests(r: ConnectionRecord): void {
    const done = this.printed.get(r.id) ?? 0;
    for (const q of r.requests.slice(done)) this.write(formatRequest(r, q, this.ndjson));
    if (this.printed.has(r.id) || r.open) this.printed.set(r.id, r.requests.length);
  }
}
