/**
 * The details pane of one connection record: what the client asked for (ClientHello), what it got
 * (certificate, ALPN, TLS version), when each step happened, and for failures what went wrong in
 * plain words with a button for the fix.
 *
 * `RecordView.detail` is free-form; by convention it may carry `clientHello` and `certificate`
 * objects (shown field by field) and the rest is listed under "More". The timeline comes from
 * `RecordView.timeline` (or `detail.timeline` for older extensions).
 */
import { badge, button, facts, h, mono } from "../dom";
import type { FixAction, RecordView, TimelineStep } from "../protocol";

export interface DetailActions {
  onAction(action: FixAction): void;
}

/** The words on a fix button, so the user knows what clicking it will do. */
export const FIX_LABELS: Record<FixAction, string> = {
  trustCa: "Trust the Switchyard CA",
  untrustCa: "Untrust the Switchyard CA",
  createCa: "Create the CA",
  startProxy: "Start the proxy",
  stopProxy: "Stop the proxy",
  openSettings: "Open Switchyard settings",
  syncHosts: "Add the hosts mapping",
};

const ACRONYMS: Record<string, string> = {
  sni: "SNI",
  alpn: "ALPN",
  tls: "TLS",
  ip: "IP",
  id: "ID",
  sha256: "SHA-256",
  ja3: "JA3",
  ja4: "JA4",
};

/** `cipherSuites` -> "Cipher suites", `sni` -> "SNI". */
function label(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/[_-]+/g, " ")
    .toLowerCase()
    .split(" ")
    .map((w) => ACRONYMS[w] ?? w)
    .join(" ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Lists become chips (cipher suites, groups…) so long names wrap between items, not inside them. */
function show(value: unknown): Node | string {
  if (value === undefined || value === null) return "—";
  if (Array.isArray(value)) {
    if (value.length === 0) return "none";
    return h(
      "span",
      { class: "chips" },
      ...value.map((v) => h("span", { class: "chip" }, typeof v === "object" ? JSON.stringify(v) : String(v))),
    );
  }
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function objectFacts(obj: unknown, testId: string): HTMLElement | undefined {
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) return undefined;
  const entries = Object.entries(obj as Record<string, unknown>);
  if (entries.length === 0) return undefined;
  return facts(
    entries.map(([k, v]) => [label(k), show(v)]),
    testId,
  );
}

/** Accepts `[{ step, at }]` or `{ step: at }`; `at` is milliseconds since the connection opened. */
export function timelineOf(rec: RecordView): TimelineStep[] {
  const raw: unknown = rec.timeline ?? rec.detail.timeline;
  const steps: TimelineStep[] = [];
  if (Array.isArray(raw)) {
    for (const s of raw) {
      if (typeof s !== "object" || s === null) continue;
      const o = s as Record<string, unknown>;
      const name = o.step ?? o.label ?? o.name ?? o.event;
      const at = o.at ?? o.ms ?? o.t;
      if (typeof name === "string" && typeof at === "number") steps.push({ step: name, at });
    }
  } else if (typeof raw === "object" && raw !== null) {
    for (const [k, v] of Object.entries(raw)) if (typeof v === "number") steps.push({ step: label(k), at: v });
  }
  return steps.sort((a, b) => a.at - b.at);
}

function timeline(rec: RecordView): HTMLElement {
  const steps = timelineOf(rec);
  if (steps.length === 0) return h("p", { class: "muted" }, "No timing recorded for this connection.");
  const end = Math.max(steps[steps.length - 1]!.at, 0.001);
  const list = h("ol", { class: "timeline", "data-testid": "handshake-timeline" });
  for (const s of steps) {
    const bar = h("span", { class: "timeline-bar" });
    bar.style.width = `${Math.max(1, (s.at / end) * 100)}%`;
    list.append(
      h(
        "li",
        { class: "timeline-step" },
        h("span", { class: "timeline-label" }, s.step),
        h("span", { class: "timeline-track" }, bar),
        h("span", { class: "timeline-at" }, `+${s.at < 10 ? s.at.toFixed(2) : s.at.toFixed(1)} ms`),
      ),
    );
  }
  return list;
}

/** One row per request the connection carried: method, path, status, bytes and time. */
function requestTable(raw: unknown, total: number | undefined): HTMLElement {
  const rows = Array.isArray(raw)
    ? raw.filter((q): q is Record<string, unknown> => typeof q === "object" && q !== null)
    : [];
  if (rows.length === 0) return h("p", { class: "muted" }, "No request on this connection (yet).");
  const cell = (v: unknown): HTMLElement => h("td", {}, v === undefined || v === null ? "—" : String(v));
  const table = h(
    "table",
    { class: "requests", "data-testid": "handshake-requests" },
    h("thead", {}, h("tr", {}, ...["Method", "Host", "Path", "Status", "Bytes", "Time"].map((t) => h("th", {}, t)))),
    h(
      "tbody",
      {},
      ...rows.map((q) =>
        h(
          "tr",
          { "data-testid": "handshake-request", class: q.error ? "failed" : "" },
          cell(q.method),
          cell(q.host),
          h("td", { class: "mono" }, String(q.path ?? "")),
          cell(q.error ? `${String(q.status ?? "failed")}: ${String(q.error)}` : q.status),
          cell(q.bytes),
          cell(typeof q.durationMs === "number" ? `${q.durationMs.toFixed(1)} ms` : undefined),
        ),
      ),
    ),
  );
  if (total !== undefined && total > rows.length)
    return h("div", {}, table, h("p", { class: "muted" }, `The first ${rows.length} of ${total} requests are listed.`));
  return table;
}

function card(title: string, ...body: (Node | undefined)[]): HTMLElement {
  return h("div", { class: "card" }, h("h3", { class: "card-title" }, title), ...body);
}

export function renderDetail(rec: RecordView | undefined, actions: DetailActions): HTMLElement {
  if (!rec) {
    return h(
      "p",
      { class: "detail-placeholder" },
      "Select a connection to see its ClientHello, the certificate served and the timeline. Use ↑ and ↓ to move through the list.",
    );
  }
  const { clientHello, certificate, timeline: _t, requests, ...more } = rec.detail as Record<string, unknown>;
  const title = h(
    "div",
    { class: "detail-head" },
    h("h3", { class: "detail-title" }, rec.sni ?? rec.client),
    badge(rec.outcome || (rec.ok ? "ok" : "failed"), rec.ok ? "ok" : "error"),
    h("span", { class: "muted" }, `${rec.protocol} · #${rec.id} · ${new Date(rec.time).toLocaleString()}`),
  );
  const failure =
    !rec.ok && (rec.explanation || rec.fix)
      ? h(
          "div",
          { class: "callout callout-error", role: "alert", "data-testid": "handshake-explanation" },
          h("p", {}, rec.explanation ?? rec.outcome),
          rec.fix
            ? button(FIX_LABELS[rec.fix] ?? rec.fix, () => actions.onAction(rec.fix!), {
                "data-testid": "handshake-fix",
              })
            : null,
        )
      : undefined;
  const connection = facts([
    ["Client", mono(rec.client)],
    ["Local", mono(rec.local)],
    ["Interface", rec.interfaceName],
    ["Protocol", rec.protocol],
    ["Route", rec.route],
    ["Outcome", rec.outcome],
  ]);
  const hello =
    objectFacts(clientHello, "handshake-clienthello") ??
    facts(
      [
        ["SNI", rec.sni ?? "none sent"],
        ["ALPN offered", rec.alpnOffered.join(", ") || "none"],
      ],
      "handshake-clienthello",
    );
  const negotiated = facts([
    ["ALPN chosen", rec.alpn ?? "none"],
    ["TLS version", rec.tlsVersion],
    ["Cipher", rec.cipher],
    ["Session", rec.tlsVersion ? (rec.resumed ? "resumed from an earlier connection" : "full handshake") : undefined],
  ]);
  const cert =
    objectFacts(certificate, "handshake-certificate") ??
    (rec.certificate
      ? facts([["Certificate", rec.certificate]], "handshake-certificate")
      : h("p", { class: "muted" }, "No certificate was served (not a TLS connection, or it failed before)."));
  const extra = objectFacts(more, "handshake-more");
  return h(
    "div",
    { class: "detail" },
    title,
    failure,
    h(
      "div",
      { class: "cards" },
      card("Connection", connection),
      card("Negotiated", negotiated),
      card(`Requests${rec.requestCount ? ` (${rec.requestCount})` : ""}`, requestTable(requests, rec.requestCount)),
      card("Timeline", timeline(rec)),
      card("ClientHello", hello),
      card(rec.resumed ? "Certificate (sent on the earlier connection)" : "Certificate served", cert),
      extra ? card("More", extra) : undefined,
    ),
  );
}
