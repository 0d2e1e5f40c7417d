/**
 * Handshakes: the live list of connections (newest first) with a filter and a pause switch, and the
 * details of the selected one. The list itself is a virtualised grid (recordGrid.ts); the records
 * live in a bounded log (recordLog.ts).
 */
import { button, emptyState, h } from "../dom";
import type { PanelSnapshot, RecordView } from "../protocol";
import { RecordLog } from "../recordLog";
import { renderDetail, type DetailActions } from "./handshakeDetail";
import "./handshakes.css";
import { RecordGrid } from "./recordGrid";

export interface HandshakesOptions extends Omit<DetailActions, "everyStoreTrusts"> {
  filter: string;
  paused: boolean;
  selected?: number;
  /** Called whenever filter, pause or selection change, so main.ts can persist them. */
  onStateChange(state: { filter: string; paused: boolean; selected?: number }): void;
}

export class HandshakesView {
  readonly element: HTMLElement;
  readonly log = new RecordLog();
  private readonly grid = new RecordGrid((id) => this.select(id));
  private readonly count = h("span", {
    class: "toolbar-note",
    "data-testid": "handshake-count",
    "aria-live": "polite",
  });
  private readonly pauseButton = button("Pause", () => this.togglePause(), { "data-testid": "handshake-pause" }, true);
  private readonly detail = h("div", { class: "hs-detail", "data-testid": "handshake-detail", "aria-live": "polite" });
  private readonly empty = h("div", { class: "hs-empty", "data-testid": "handshake-empty" });
  private selected: number | undefined;
  private filter: string;
  private snapshot: PanelSnapshot | undefined;
  /** The proxy's state, as soon as it is known (before the first full snapshot). */
  private proxy: PanelSnapshot["proxy"] | undefined;

  constructor(private readonly options: HandshakesOptions) {
    this.filter = options.filter;
    this.selected = options.selected;
    this.log.setFilter(this.filter);
    this.log.setPaused(options.paused);
    const input = h("input", {
      type: "search",
      class: "input filter-input",
      placeholder: "Filter: SNI, client, ALPN, outcome… (all words must match)",
      "aria-label": "Filter connections",
      "data-testid": "handshake-filter",
      spellcheck: "false",
    });
    input.value = this.filter;
    input.addEventListener("input", () => this.setFilter(input.value));
    this.element = h(
      "div",
      { class: "hs-view" },
      h("div", { class: "toolbar" }, input, this.pauseButton, this.count),
      h("div", { class: "hs-table-wrap" }, this.grid.element, this.empty),
      this.detail,
    );
    this.refresh();
    this.renderDetail();
  }

  /** New records from the extension; keeps the rows the user is looking at in place. */
  addRecords(records: RecordView[], reset: boolean): void {
    const added = this.log.add(records, reset);
    this.refresh(added);
    // A restored selection finds its record only once the records arrive; a selected open
    // connection's details follow its updates.
    if (
      reset ||
      (this.selected !== undefined && !this.detail.dataset.id) ||
      records.some((r) => r.id === this.selected)
    )
      this.renderDetail();
  }

  setSnapshot(snapshot: PanelSnapshot): void {
    const trustChanged = this.everyStoreTrusts(this.snapshot) !== this.everyStoreTrusts(snapshot);
    this.snapshot = snapshot;
    this.proxy = snapshot.proxy;
    this.renderEmpty();
    // A failure's fixes depend on the stores: Trust Local CA goes once every store trusts the root.
    if (trustChanged) this.renderDetail();
  }

  /** The proxy's state alone (the first message, or the page's embedded state). */
  setProxy(proxy: PanelSnapshot["proxy"]): void {
    this.proxy = proxy;
    this.renderEmpty();
  }

  /** Every trust store present on this machine trusts the root (false while unknown). */
  private everyStoreTrusts(snapshot: PanelSnapshot | undefined): boolean {
    const ca = snapshot?.ca;
    if (!ca?.exists) return false;
    const present = ca.trust.filter((t) => t.available);
    return present.length > 0 && present.every((t) => t.trusted);
  }

  /** Called when the tab becomes visible: sizes are only known then. */
  shown(): void {
    this.grid.render();
  }

  private setFilter(text: string): void {
    this.filter = text;
    this.log.setFilter(text);
    this.grid.scrollToTop();
    this.refresh();
    this.persist();
  }

  private togglePause(): void {
    this.log.setPaused(!this.log.paused);
    this.refresh();
    this.persist();
  }

  private select(id: number | undefined): void {
    this.selected = id;
    this.grid.update(this.log.shown, id);
    this.renderDetail();
    this.persist();
  }

  private persist(): void {
    this.options.onStateChange({ filter: this.filter, paused: this.log.paused, selected: this.selected });
  }

  private refresh(prepended = 0): void {
    const { log } = this;
    this.pauseButton.textContent = log.paused ? (log.pending ? `Resume (${log.pending} new)` : "Resume") : "Pause";
    this.pauseButton.setAttribute("aria-pressed", String(log.paused));
    const filtered = this.filter.trim() ? `${log.shown.length} of ${log.size}` : `${log.size}`;
    this.count.textContent = `${filtered} connection${log.size === 1 ? "" : "s"}${log.paused ? " · paused" : ""}`;
    this.grid.update(log.shown, this.selected, prepended);
    this.renderEmpty();
  }

  private renderEmpty(): void {
    const { log } = this;
    this.empty.hidden = log.shown.length > 0;
    this.detail.hidden = log.size === 0;
    if (log.shown.length > 0) return;
    const proxy = this.proxy;
    let state: HTMLElement;
    if (log.size > 0) {
      const words = `No connection matches “${this.filter.trim()}”. Clear the filter to see all ${log.size}.`;
      state = emptyState("No matches", words);
    } else if (proxy?.state === "on" || proxy?.state === "partial") {
      const url = proxy.routes[0]?.url;
      const words = url
        ? `The proxy is listening. Open ${url} and the handshake shows up here.`
        : "The proxy is listening. Requests through it show up here as they happen.";
      state = emptyState("Waiting for connections", words);
    } else if (!proxy || proxy.state === "starting") {
      // Never a Start button before the state is known: the proxy may well be running.
      state = emptyState(
        proxy ? "The proxy is starting" : "Checking the proxy…",
        "Connections show up here as they happen.",
      );
    } else {
      state = emptyState(
        "The proxy is off",
        "Start it with Switchyard: Start Proxy, then every connection (TLS, plain HTTP redirects, unknown protocols) shows up here.",
        button("Start Proxy", () => this.options.onAction("startProxy"), { "data-testid": "empty-start-proxy" }),
      );
    }
    this.empty.replaceChildren(state);
  }

  private renderDetail(): void {
    const rec = this.log.find(this.selected) ?? this.log.shown.find((r) => r.id === this.selected);
    this.detail.dataset.id = rec ? String(rec.id) : "";
    this.detail.replaceChildren(
      renderDetail(rec, { ...this.options, everyStoreTrusts: () => this.everyStoreTrusts(this.snapshot) }),
    );
  }
}
