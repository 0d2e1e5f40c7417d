/**
 * Bindings: where the proxy listens, what each route's name resolves to (and from where), the
 * mismatches between the two, the machine's interfaces, and a probe for any URL.
 */
import { badge, button, emptyState, h, mono, section, table } from "../dom";
import { FIX_ACTIONS, type FixAction, type PanelSnapshot, type ResolutionView } from "../protocol";
import { FIX_LABELS } from "./handshakeDetail";

export interface BindingsActions {
  onAction(action: FixAction): void;
  onProbe(url: string): void;
  probeUrl: string;
}

function isFix(v: string | undefined): v is FixAction {
  return v !== undefined && (FIX_ACTIONS as readonly string[]).includes(v);
}

const isV6 = (a: string): boolean => a.includes(":");

/** Addresses as chips, v4 and v6 told apart, so "::1 first" is visible at a glance. */
function addresses(list: string[] | undefined, none = "—"): HTMLElement {
  if (!list || list.length === 0) return h("span", { class: "muted" }, none);
  return h(
    "span",
    { class: "chips" },
    ...list.map((a) =>
      h("span", { class: `chip ${isV6(a) ? "chip-v6" : "chip-v4"}`, title: isV6(a) ? "IPv6" : "IPv4" }, a),
    ),
  );
}

function resolutionRow(r: ResolutionView, upstream: string | undefined): HTMLElement[] {
  return [
    h("span", {}, mono(r.host), upstream ? h("div", { class: "muted small" }, `→ ${upstream}`) : null),
    addresses(r.hostsFile, "no entry"),
    addresses(r.system),
    r.error ? h("span", { class: "text-error" }, r.error) : addresses(r.dns, "no answer"),
  ];
}

export class BindingsView {
  readonly element: HTMLElement;
  private readonly content = h("div", { class: "view-content" });
  private readonly probeResult = h("div", {
    class: "probe-result",
    "data-testid": "probe-result",
    "aria-live": "polite",
  });
  private readonly probeInput: HTMLInputElement;

  constructor(private readonly actions: BindingsActions) {
    this.probeInput = h("input", {
      type: "url",
      class: "input",
      placeholder: "https://my-awesome-service.test",
      "aria-label": "URL to probe",
      "data-testid": "probe-input",
      spellcheck: "false",
    });
    this.probeInput.value = actions.probeUrl;
    const form = h(
      "form",
      { class: "probe-form", "data-testid": "probe-form" },
      this.probeInput,
      h("button", { type: "submit", class: "btn", "data-testid": "probe-button" }, "Probe"),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const url = this.probeInput.value.trim();
      if (!url) return this.probeInput.focus();
      this.probeResult.replaceChildren(h("p", { class: "muted" }, `Probing ${url}…`));
      this.actions.onProbe(url);
    });
    const probe = section(
      "Probe a URL",
      "probe",
      h(
        "p",
        { class: "section-help" },
        "Resolves the name, connects to every address, and says in words what the port speaks and what is wrong.",
      ),
      form,
      this.probeResult,
    );
    this.element = h("div", { class: "view" }, this.content, probe);
  }

  get probeUrl(): string {
    return this.probeInput.value;
  }

  setProbeResult(url: string, text: string, ok: boolean): void {
    this.probeResult.replaceChildren(
      h(
        "div",
        { class: `callout ${ok ? "callout-ok" : "callout-error"}` },
        h("div", { class: "callout-title" }, badge(ok ? "reachable" : "problem", ok ? "ok" : "error"), " ", mono(url)),
        h("pre", { class: "probe-text" }, text),
      ),
    );
  }

  update(s: PanelSnapshot): void {
    const { proxy } = s;
    const upstreamOf = new Map(proxy.routes.map((r) => [r.host, r.upstream]));
    const problems = s.mismatches.map((m) =>
      h(
        "div",
        { class: "callout callout-warn callout-row", "data-testid": "mismatch", "data-code": m.code },
        h("p", {}, m.message),
        isFix(m.fix)
          ? button(
              FIX_LABELS[m.fix],
              () => this.actions.onAction(m.fix as FixAction),
              { "data-testid": "mismatch-fix" },
              true,
            )
          : m.fix
            ? h("p", { class: "muted" }, `Fix: ${m.fix}`)
            : null,
      ),
    );

    const listeners =
      proxy.bindings.length === 0
        ? emptyState(
            proxy.state === "error" ? "The proxy failed to start" : "The proxy is off",
            proxy.error ?? "Start it with Switchyard: Start Proxy. Its listeners, and any that fail, appear here.",
            button("Start Proxy", () => this.actions.onAction("startProxy"), { "data-testid": "bindings-start-proxy" }),
            button("Open Settings", () => this.actions.onAction("openSettings"), {}, true),
          )
        : table(
            ["Spec", "Address", "Family", "Port", "Interface", "State"],
            proxy.bindings.map((b) => [
              mono(b.spec),
              mono(b.address),
              `IPv${b.family}`,
              String(b.port),
              b.interfaceName ?? "—",
              h(
                "span",
                { class: "state-cell" },
                b.state === "listening" ? badge("listening", "ok") : badge("failed", "error"),
                b.reason ? h("span", { class: "text-error small" }, b.reason) : null,
                b.wildcard ? badge("wildcard: reachable from the network", "warn") : null,
              ),
            ]),
            "",
            "bindings-table",
          );

    const routes = table(
      ["Host", "URL", "Upstream", "Path"],
      proxy.routes.map((r) => [
        mono(r.host),
        h("a", { href: r.url, class: "link" }, r.url),
        mono(r.upstream),
        r.pathPrefix ?? "/",
      ]),
      "No routes yet. Add one under switchyard.routes in the settings.",
      "routes-table",
    );

    const resolution = table(
      ["Host", "Hosts file", "System resolver", "DNS"],
      s.resolutions.map((r) => resolutionRow(r, upstreamOf.get(r.host))),
      "No route hostnames to resolve.",
      "resolution-table",
    );

    const interfaces = table(
      ["Interface", "Kind", "Addresses"],
      s.interfaces.map((i) => [mono(i.name), i.kind, addresses(i.addresses.map((a) => (a.cidr ? a.cidr : a.address)))]),
      "No network interfaces reported.",
      "interfaces-table",
    );

    this.content.replaceChildren(
      problems.length ? section(`Problems (${problems.length})`, "mismatches", ...problems) : "",
      section("Proxy listeners", "bindings", listeners),
      section("Routes", "routes", routes),
      section(
        "Name resolution",
        "resolutions",
        h(
          "p",
          { class: "section-help" },
          "Addresses in the order each source returns them: clients try the first one first.",
        ),
        resolution,
      ),
      section("Network interfaces", "interfaces", interfaces),
    );
  }
}
