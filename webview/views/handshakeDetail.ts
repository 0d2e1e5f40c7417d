/**
 * The details pane of one connection record: what the client asked for (ClientHello) and which
 * program that makes it, what it got (certificate, ALPN, TLS version), when each step happened,
 * the failures it recovered from, and for a failure what went wrong in plain words with the fixes
 * for that client.
 *
 * `RecordView.detail` is the whole record (for Copy as JSON); its `clientHello`, `tls.certificate`
 * and a few more fields are shown as readable facts. The timeline comes from `RecordView.timeline`
 * (or `detail.timeline` for older extensions).
 */
import { badge, button, facts, h, mono } from "../dom";
import type { FixAction, RecordFix, RecordView, TimelineStep } from "../protocol";
import { dateTime } from "../time";

export interface DetailActions {
  onAction(action: FixAction): void;
  /** Puts text on the clipboard (through the extension). */
  onCopy(text: string): void;
  /** Every trust store on this machine trusts the root: Trust Local CA would change nothing. */
  everyStoreTrusts(): boolean;
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
  exportRoot: "Export Root…",
  openDeviceOnboarding: "Open the device page",
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

/** The program a ClientHello names, as the record carries it. */
function clientText(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const c = value as Record<string, unknown>;
  if (typeof c.name !== "string") return undefined;
  return typeof c.evidence === "string" ? `${c.name} (${c.evidence})` : c.name;
}

function objectFacts(obj: unknown, testId: string): HTMLElement | undefined {
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) return undefined;
  const entries = Object.entries(obj as Record<string, unknown>).map(([k, v]): [string, unknown] =>
    k === "client" ? ["program", clientText(v)] : [k, v],
  );
  if (entries.length === 0) return undefined;
  return facts(
    entries.filter(([, v]) => v !== undefined).map(([k, v]) => [label(k), show(v)]),
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
          // The status alone; a failed request's words are its tooltip (and in History).
          h(
            "td",
            { title: q.error ? String(q.error) : undefined },
            q.error ? String(q.status ?? "failed") : String(q.status ?? "—"),
          ),
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

/** A fix: a button for a Switchyard action, or the command with a Copy button. */
function fixControl(fix: RecordFix, primary: boolean, actions: DetailActions): HTMLElement {
  if (fix.action) {
    const action = fix.action;
    return button(
      fix.label || FIX_LABELS[action],
      () => actions.onAction(action),
      {
        "data-testid": "handshake-fix",
        "data-action": action,
      },
      !primary,
    );
  }
  const text = fix.copy ?? "";
  return h(
    "span",
    { class: "fix-copy" },
    mono(text),
    button(fix.label, () => actions.onCopy(text), { "data-testid": "handshake-fix", "data-copy": text }, !primary),
  );
}

/** The fixes worth offering now: Trust Local CA only while some store does not trust the root. */
function fixesFor(rec: RecordView, actions: DetailActions): RecordFix[] {
  if (rec.fixes && rec.fixes.length > 0)
    return rec.fixes.filter((f) => !(f.whenStoreUntrusted && actions.everyStoreTrusts()));
  if (rec.fix && !(rec.fix === "trustCa" && actions.everyStoreTrusts()))
    return [{ label: FIX_LABELS[rec.fix] ?? rec.fix, action: rec.fix }];
  return [];
}

/** Failures the connection recovered from, then where it is now. */
function historyList(rec: RecordView): HTMLElement | undefined {
  if (!rec.history || rec.history.length === 0) return undefined;
  const at = (ms: number): string => `+${ms < 10 ? ms.toFixed(2) : ms.toFixed(1)} ms`;
  return h(
    "ol",
    { class: "history", "data-testid": "handshake-history" },
    ...rec.history.map((step) =>
      h(
        "li",
        { class: "history-step history-failed" },
        h("span", { class: "timeline-at" }, at(step.at)),
        h("span", {}, h("strong", {}, step.text), h("div", { class: "muted small" }, step.explanation)),
      ),
    ),
    h(
      "li",
      { class: `history-step ${rec.ok ? "history-ok" : "history-failed"}` },
      h("span", { class: "timeline-at" }, "now"),
      h("strong", {}, rec.outcome),
    ),
  );
}

/** What the record says beyond the cards above, as facts (the whole record: Copy as JSON). */
function moreFacts(rec: RecordView): HTMLElement | undefined {
  const d = rec.detail;
  const num = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);
  const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
  const tls = (typeof d.tls === "object" && d.tls !== null ? d.tls : {}) as Record<string, unknown>;
  const close = (typeof d.closeReason === "object" && d.closeReason !== null ? d.closeReason : {}) as Record<
    string,
    unknown
  >;
  const duration = num(d.durationMs);
  const bytesIn = num(d.bytesIn);
  const bytesOut = num(d.bytesOut);
  const outcome = (typeof d.outcome === "object" && d.outcome !== null ? d.outcome : {}) as Record<string, unknown>;
  const pairs: [string, string | undefined][] = [
    ["Error code", str(outcome.error)],
    ["Duration", duration !== undefined ? `${duration.toFixed(1)} ms` : undefined],
    ["Bytes", bytesIn !== undefined && bytesOut !== undefined ? `${bytesIn} in, ${bytesOut} out` : undefined],
    ["Closed by Switchyard", str(close.explanation)],
    ["Certificate note", str(tls.certificateNote)],
    ["Certificate problem", str(tls.certificateProblem)],
    ["First bytes", str(d.firstBytesHex)],
  ];
  if (!pairs.some(([, v]) => v !== undefined)) return undefined;
  return facts(pairs, "handshake-more");
}

export function renderDetail(rec: RecordView | undefined, actions: DetailActions): HTMLElement {
  if (!rec) {
    return h(
      "p",
      { class: "detail-placeholder" },
      "Select a connection to see its ClientHello, the certificate served and the timeline. Use ↑ and ↓ to move through the list.",
    );
  }
  const { clientHello, tls } = rec.detail as Record<string, unknown>;
  const certificate =
    typeof tls === "object" && tls !== null ? (tls as Record<string, unknown>).certificate : undefined;
  const title = h(
    "div",
    { class: "detail-head" },
    h("h3", { class: "detail-title" }, rec.sni ?? rec.client),
    badge(rec.outcome || (rec.ok ? "ok" : "failed"), rec.ok ? "ok" : "error"),
    h(
      "span",
      { class: "muted" },
      `${rec.protocol} · #${rec.seq} · `,
      h("time", { "data-testid": "handshake-time" }, dateTime(rec.time)),
    ),
    h("span", { class: "spacer" }),
    button(
      "Copy as JSON",
      () => actions.onCopy(JSON.stringify(rec.detail, null, 2)),
      { "data-testid": "handshake-copy-json" },
      true,
    ),
  );
  const fixes = rec.ok ? [] : fixesFor(rec, actions);
  const failure =
    !rec.ok && (rec.explanation || fixes.length > 0)
      ? h(
          "div",
          { class: "callout callout-error", role: "alert", "data-testid": "handshake-explanation" },
          h("p", {}, rec.explanation ?? rec.outcome),
          fixes.length > 0
            ? h(
                "div",
                { class: "fixes", "data-testid": "handshake-fixes" },
                ...fixes.map((f, i) => fixControl(f, i === 0, actions)),
              )
            : null,
        )
      : undefined;
  const connection = facts([
    ["Client", mono(rec.client)],
    ["Program", rec.clientName],
    ["Local", mono(rec.local)],
    ["Interface", rec.interfaceName],
    ["Protocol", rec.protocol],
    ["Route", rec.route],
    ["Now", rec.outcome],
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
    objectFacts(certificate ?? (rec.detail as Record<string, unknown>).certificate, "handshake-certificate") ??
    (rec.certificate
      ? facts([["Certificate", rec.certificate]], "handshake-certificate")
      : h(
          "p",
          { class: "muted" },
          rec.fixes?.length
            ? "The client refused the certificate during the handshake, so it is not described here: the Certificates tab shows the root it chains to."
            : "No certificate was served (not a TLS connection, or it failed before).",
        ));
  const past = historyList(rec);
  const extra = moreFacts(rec);
  return h(
    "div",
    { class: "detail" },
    title,
    failure,
    h(
      "div",
      { class: "cards" },
      card("Connection", connection),
      past ? card("History", past) : undefined,
      card("Negotiated", negotiated),
      card(
        `Requests${rec.requestCount ? ` (${rec.requestCount})` : ""}`,
        requestTable((rec.detail as Record<string, unknown>).requests, rec.requestCount),
      ),
      card("Timeline", timeline(rec)),
      card("ClientHello", hello),
      card(rec.resumed ? "Certificate (sent on the earlier connection)" : "Certificate served", cert),
      extra ? card("More", extra) : undefined,
    ),
  );
}
