/**
 * Certificates: the local CA (subject, fingerprint, name constraints, expiry), whether each trust
 * store on this machine trusts it, with Trust / Untrust and Check again, Check clients (a real
 * handshake from each client, as `switchyard ca check` makes), and the leaf certificates it issued.
 */
import { badge, button, emptyState, facts, h, mono, section, table } from "../dom";
import type { CaView, ClientCheckView, FixAction } from "../protocol";

/** What Check clients has to show: nothing yet, running, or its verdicts. */
export interface ClientChecksState {
  running: boolean;
  checks: ClientCheckView[];
  error?: string;
}

const DAY = 86_400_000;

/** 1 day, 20 days, 13 months, 3 years: precise when it is close, round when it is far. */
function span(days: number): string {
  const [n, unit] =
    days >= 730 ? [Math.round(days / 365), "year"] : days >= 60 ? [Math.round(days / 30), "month"] : [days, "day"];
  return `${n} ${unit}${n === 1 ? "" : "s"}`;
}

/** "in 3 years" / "expired 3 days ago", with a badge colour to match. */
function expiry(notAfter: string | undefined): HTMLElement | undefined {
  if (!notAfter) return undefined;
  const when = Date.parse(notAfter);
  if (Number.isNaN(when)) return h("span", {}, notAfter);
  const days = Math.round((when - Date.now()) / DAY);
  const date = new Date(when).toISOString().slice(0, 10);
  const kind = days < 0 ? "error" : days < 30 ? "warn" : "ok";
  const words = days < 0 ? `expired ${span(-days)} ago` : `in ${span(days)}`;
  return h("span", { class: "state-cell" }, date, badge(words, kind));
}

export class CertificatesView {
  readonly element = h("div", { class: "view" });
  private ca: CaView | undefined;
  private clientChecks: ClientChecksState | undefined;

  constructor(
    private readonly onAction: (action: FixAction) => void,
    /** Asks the extension to read every trust store again (after a change made in a terminal). */
    private readonly onRecheck: () => void,
    /** Asks the extension for a real handshake from each client on the machine. */
    private readonly onCheckClients: () => void = () => undefined,
  ) {}

  /** Check clients reported (running, or done with its verdicts). */
  showClientChecks(state: ClientChecksState): void {
    this.clientChecks = state;
    this.update(this.ca);
  }

  private clientsSection(): HTMLElement {
    const state = this.clientChecks;
    const run = button(
      state?.running ? "Checking…" : state ? "Check clients again" : "Check clients",
      () => this.onCheckClients(),
      { "data-testid": "ca-check-clients", ...(state?.running ? { disabled: "" } : {}) },
      true,
    );
    const intro = h(
      "p",
      { class: "muted" },
      "A real TLS handshake from each client installed here (curl, Node, Python, Java, Chromium, Firefox) to a throwaway loopback listener with a fresh certificate, as ",
      mono("switchyard ca check"),
      " makes.",
    );
    if (!state) return section("Clients", "ca-clients", intro, run);
    if (state.running)
      return section("Clients", "ca-clients", intro, h("p", { role: "status" }, "Checking each client…"), run);
    const verdict = (c: ClientCheckView): HTMLElement =>
      c.state === "pass"
        ? badge("trusts the CA", "ok")
        : c.state === "skipped"
          ? badge(c.reason ?? "skipped", "muted")
          : h("span", {}, badge("fails", "error"), h("div", { class: "small" }, c.reason ?? ""));
    const rows = table(
      ["Client", "Result", "Fix"],
      state.checks.map((c) => [c.client, verdict(c), c.state === "fail" && c.fix ? mono(c.fix) : ""]),
      "No client could be checked.",
      "clients-table",
    );
    return section(
      "Clients",
      "ca-clients",
      intro,
      state.error ? h("div", { class: "callout callout-error", role: "alert" }, state.error) : rows,
      run,
    );
  }

  update(ca: CaView | undefined): void {
    this.ca = ca;
    if (!ca) {
      this.element.replaceChildren(
        emptyState("Loading the CA…", "The extension has not reported the certificate authority yet."),
      );
      return;
    }
    if (!ca.exists) {
      this.element.replaceChildren(
        section(
          "Certificate authority",
          "ca",
          emptyState(
            "No local CA yet",
            `Switchyard issues certificates for your .test names from a CA of its own, kept in ${ca.directory || "its storage folder"}. Create it, then trust it so browsers accept the certificates.`,
            button("Create CA", () => this.onAction("createCa"), { "data-testid": "ca-create" }),
          ),
          ca.error ? h("div", { class: "callout callout-error" }, ca.error) : null,
        ),
      );
      return;
    }
    const trustedSomewhere = ca.trust.some((t) => t.trusted);
    const summary = facts(
      [
        ["Subject", ca.subject && mono(ca.subject)],
        ["SHA-256", ca.fingerprint && h("code", { class: "mono fingerprint" }, ca.fingerprint)],
        ["Expires", expiry(ca.notAfter)],
        [
          "Name constraints",
          ca.constrained
            ? h("span", { class: "chips" }, ...(ca.permitted ?? []).map((p) => h("span", { class: "chip" }, p)))
            : badge("unconstrained: can sign for any name", "warn"),
        ],
        ["Folder", mono(ca.directory)],
      ],
      "ca-facts",
    );
    const trust = table(
      ["Trust store", "State", ""],
      ca.trust.map((t) => [
        h(
          "span",
          {},
          t.store,
          t.detail ? h("div", { class: "muted small" }, t.detail) : null,
          t.checkedBy
            ? h("div", { class: "muted small", "data-testid": "trust-checked-by" }, `checked: ${t.checkedBy}`)
            : null,
        ),
        !t.available
          ? badge("not available", "muted")
          : t.trusted
            ? badge("trusted", "ok")
            : badge("not trusted", "warn"),
        t.available
          ? t.trusted
            ? button(
                "Untrust",
                () => this.onAction("untrustCa"),
                { "data-testid": "ca-untrust", "data-store": t.store },
                true,
              )
            : button("Trust", () => this.onAction("trustCa"), { "data-testid": "ca-trust", "data-store": t.store })
          : "",
      ]),
      "No trust stores found on this machine.",
      "trust-table",
    );
    const leaves = table(
      ["Names", "Expires", "SHA-256"],
      ca.leaves.map((l) => [
        h("span", { class: "chips" }, ...l.names.map((n) => h("span", { class: "chip" }, n))),
        expiry(l.notAfter) ?? "",
        h("code", { class: "mono fingerprint small" }, l.fingerprint),
      ]),
      "No certificates issued yet. They are issued on demand when a route is first requested.",
      "leaves-table",
    );
    this.element.replaceChildren(
      ca.error ? h("div", { class: "callout callout-error", role: "alert" }, ca.error) : "",
      !trustedSomewhere
        ? h(
            "div",
            { class: "callout callout-warn callout-row", "data-testid": "ca-untrusted" },
            h("p", {}, "No trust store trusts the CA yet: browsers and curl will reject Switchyard's certificates."),
            button("Trust the CA", () => this.onAction("trustCa"), { "data-testid": "ca-trust-all" }),
          )
        : "",
      section("Certificate authority", "ca", summary),
      section(
        "Trust",
        "ca-trust-section",
        trust,
        button("Check again", () => this.onRecheck(), { "data-testid": "ca-recheck" }, true),
      ),
      this.clientsSection(),
      section(`Issued certificates (${ca.leaves.length})`, "leaves", leaves),
    );
  }
}
