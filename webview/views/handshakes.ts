/**
 * The live table of connection records. Only the rows in view exist in the DOM: a body of fixed
 * height (rows x ROW_HEIGHT) scrolls inside the viewport, and a small pool of absolutely placed row
 * elements is re-filled on scroll, so 10,000 records cost the same to render as 30.
 */
import { button, emptyState, h } from "../dom";
import type { PanelSnapshot, RecordView } from "../protocol";
import { RecordLog } from "../recordLog";
import { renderDetail, type DetailActions } from "./handshakeDetail";
import "./handshakes.css";

/** Must match `.hs-row { height }` in style.css. */
export const ROW_HEIGHT = 24;
const OVERSCAN = 4;

interface Column {
  title: string;
  cls: string;
  value(r: RecordView): string;
}

const two = (n: number): string => String(n).padStart(2, "0");
function clock(ms: number): string {
  const d = new Date(ms);
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, "0")}`;
}

const COLUMNS: Column[] = [
  { title: "Time", cls: "c-time", value: (r) => clock(r.time) },
  { title: "Client", cls: "c-client", value: (r) => r.client },
  { title: "Local", cls: "c-local", value: (r) => (r.interfaceName ? `${r.local} (${r.interfaceName})` : r.local) },
  { title: "Protocol", cls: "c-proto", value: (r) => r.protocol },
  { title: "SNI", cls: "c-sni", value: (r) => r.sni ?? "—" },
  { title: "ALPN", cls: "c-alpn", value: (r) => `${r.alpnOffered.join(", ") || "—"} → ${r.alpn ?? "—"}` },
  { title: "TLS", cls: "c-tls", value: (r) => r.tlsVersion?.replace(/^TLS\s*v?/i, "") ?? "" },
  { title: "Cipher", cls: "c-cipher", value: (r) => r.cipher?.replace(/^TLS_/, "") ?? "" },
  { title: "Certificate", cls: "c-cert", value: (r) => r.certificate ?? "" },
  { title: "Route", cls: "c-route", value: (r) => r.route ?? "" },
  { title: "Outcome", cls: "c-outcome", value: (r) => r.outcome },
];

export interface HandshakesOptions extends DetailActions {
  filter: string;
  paused: boolean;
  selected?: number;
  /** Called whenever filter, pause or selection change, so main.ts can persist them. */
  onStateChange(state: { filter: string; paused: boolean; selected?: number }): void;
}

export class HandshakesView {
  readonly element: HTMLElement;
  readonly log = new RecordLog();
  private readonly viewport: HTMLElement;
  private readonly body: HTMLElement;
  private readonly count: HTMLElement;
  private readonly pauseButton: HTMLButtonElement;
  private readonly detail: HTMLElement;
  private readonly empty: HTMLElement;
  /** Row elements on screen, by record id, and detached ones ready for reuse. */
  private rendered = new Map<number, HTMLElement>();
  private readonly spare: HTMLElement[] = [];
  private selected: number | undefined;
  private filter: string;
  private frame = 0;
  private snapshot: PanelSnapshot | undefined;

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
    this.pauseButton = button("", () => this.togglePause(), { "data-testid": "handshake-pause" }, true);
    this.count = h("span", { class: "toolbar-note", "data-testid": "handshake-count", "aria-live": "polite" });

    const header = h(
      "div",
      { class: "hs-row hs-head", role: "row" },
      ...COLUMNS.map((c) => h("div", { class: `hs-cell ${c.cls}`, role: "columnheader" }, c.title)),
    );
    this.body = h("div", { class: "hs-body", role: "rowgroup" });
    this.empty = h("div", { class: "hs-empty", "data-testid": "handshake-empty" });
    this.viewport = h(
      "div",
      {
        class: "hs-viewport",
        role: "grid",
        tabindex: 0,
        "aria-label": "Connections, newest first",
        "data-testid": "handshake-table",
      },
      h("div", { class: "hs-headgroup", role: "rowgroup" }, header),
      this.body,
    );
    this.viewport.addEventListener("scroll", () => this.schedule());
    // Tooltips only for truncated cells, set on hover rather than on every render.
    this.body.addEventListener("mouseover", (e) => {
      const cell = (e.target as HTMLElement).closest<HTMLElement>(".hs-cell");
      if (cell) cell.title = cell.scrollWidth > cell.clientWidth ? (cell.textContent ?? "") : "";
    });
    this.viewport.addEventListener("keydown", (e) => this.onKey(e));
    this.body.addEventListener("click", (e) => {
      const row = (e.target as HTMLElement).closest<HTMLElement>(".hs-row");
      if (row?.dataset.id) this.select(Number(row.dataset.id));
    });
    new ResizeObserver(() => this.schedule()).observe(this.viewport);

    this.detail = h("div", { class: "hs-detail", "data-testid": "handshake-detail", "aria-live": "polite" });
    this.element = h(
      "div",
      { class: "hs-view" },
      h("div", { class: "toolbar" }, input, this.pauseButton, this.count),
      h("div", { class: "hs-table-wrap" }, this.viewport, this.empty),
      this.detail,
    );
    this.updateChrome();
    this.renderDetail();
  }

  /** New records from the extension; keeps the rows the user is looking at in place. */
  addRecords(records: RecordView[], reset: boolean): void {
    const added = this.log.add(records, reset);
    if (added > 0 && this.viewport.scrollTop > 0) this.viewport.scrollTop += added * ROW_HEIGHT;
    this.updateChrome();
    this.renderRows();
    if (reset || (this.selected !== undefined && !this.detail.dataset.id)) this.renderDetail();
  }

  setSnapshot(snapshot: PanelSnapshot): void {
    this.snapshot = snapshot;
    this.updateChrome();
  }

  /** Called when the tab becomes visible: sizes are only known then. */
  shown(): void {
    this.renderRows();
  }

  private setFilter(text: string): void {
    this.filter = text;
    this.log.setFilter(text);
    this.viewport.scrollTop = 0;
    this.updateChrome();
    this.renderRows();
    this.persist();
  }

  private togglePause(): void {
    this.log.setPaused(!this.log.paused);
    this.updateChrome();
    this.renderRows();
    this.persist();
  }

  private select(id: number | undefined): void {
    this.selected = id;
    this.renderRows();
    this.renderDetail();
    this.persist();
  }

  private persist(): void {
    this.options.onStateChange({ filter: this.filter, paused: this.log.paused, selected: this.selected });
  }

  private onKey(e: KeyboardEvent): void {
    const rows = this.log.shown;
    if (rows.length === 0) return;
    const page = Math.max(1, Math.floor(this.viewport.clientHeight / ROW_HEIGHT) - 2);
    const current = rows.findIndex((r) => r.id === this.selected);
    const moves: Record<string, number> = {
      ArrowDown: current + 1,
      ArrowUp: current < 0 ? 0 : current - 1,
      PageDown: current + page,
      PageUp: current - page,
      Home: 0,
      End: rows.length - 1,
    };
    const next = moves[e.key];
    if (next === undefined) {
      if (e.key === "Escape") this.select(undefined);
      return;
    }
    e.preventDefault();
    const index = Math.min(rows.length - 1, Math.max(0, next));
    this.select(rows[index]!.id);
    this.scrollIntoView(index);
  }

  private scrollIntoView(index: number): void {
    const top = index * ROW_HEIGHT;
    const visible = this.viewport.clientHeight - ROW_HEIGHT; // minus the sticky header
    if (top < this.viewport.scrollTop) this.viewport.scrollTop = top;
    else if (top + ROW_HEIGHT > this.viewport.scrollTop + visible) this.viewport.scrollTop = top + ROW_HEIGHT - visible;
  }

  private updateChrome(): void {
    const { log } = this;
    this.pauseButton.textContent = log.paused ? (log.pending ? `Resume (${log.pending} new)` : "Resume") : "Pause";
    this.pauseButton.setAttribute("aria-pressed", String(log.paused));
    const filtered = this.filter.trim() ? `${log.shown.length} of ${log.size}` : `${log.size}`;
    this.count.textContent = `${filtered} connection${log.size === 1 ? "" : "s"}${log.paused ? " · paused" : ""}`;
    this.body.style.height = `${log.shown.length * ROW_HEIGHT}px`;
    this.viewport.setAttribute("aria-rowcount", String(log.shown.length + 1));
    this.renderEmpty();
  }

  private renderEmpty(): void {
    const { log } = this;
    this.empty.replaceChildren();
    this.empty.hidden = log.shown.length > 0;
    this.detail.hidden = log.size === 0;
    if (log.shown.length > 0) return;
    const state = this.snapshot?.proxy.state;
    if (log.size > 0) {
      this.empty.append(emptyState("No matches", `No connection matches “${this.filter.trim()}”. Clear the filter to see all ${log.size}.`));
    } else if (state === "on") {
      const url = this.snapshot?.proxy.routes[0]?.url;
      this.empty.append(emptyState("Waiting for connections", url ? `The proxy is listening. Open ${url} to see the handshake here.` : "The proxy is listening. Requests through it appear here as they happen."));
    } else {
      this.empty.append(
        emptyState(
          "The proxy is off",
          "Start it with Switchyard: Start Proxy, then every connection (TLS, plain HTTP redirects, unknown protocols) shows up here.",
          button("Start Proxy", () => this.options.onAction("startProxy"), { "data-testid": "empty-start-proxy" }),
        ),
      );
    }
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.renderRows();
    });
  }

  /**
   * Puts the records between the viewport's edges into row elements. Rows keep their record while
   * it stays in view (they only move), so a small batch costs a few new rows, not a full repaint.
   */
  private renderRows(): void {
    const rows = this.log.shown;
    const height = this.viewport.clientHeight || 600;
    const first = Math.max(0, Math.floor(this.viewport.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(rows.length, Math.ceil((this.viewport.scrollTop + height) / ROW_HEIGHT) + OVERSCAN);
    const wanted = new Map<number, number>();
    for (let i = first; i < last; i++) wanted.set(rows[i]!.id, i);
    const next = new Map<number, HTMLElement>();
    for (const [id, el] of this.rendered) {
      if (wanted.has(id) && rows[wanted.get(id)!]!.id === id) next.set(id, el);
      else this.spare.push(el);
    }
    for (const el of this.spare) if (el.parentNode) el.remove();
    // DOM order follows the visual order (screen readers read it): rows that stay are not moved,
    // new ones are inserted where they belong.
    let cursor = this.body.firstChild;
    for (let i = first; i < last; i++) {
      const rec = rows[i]!;
      let el = next.get(rec.id);
      if (!el) {
        el = this.spare.pop() ?? this.makeRow();
        next.set(rec.id, el);
      }
      this.fillRow(el, rec, i);
      if (el === cursor) cursor = cursor.nextSibling;
      else this.body.insertBefore(el, cursor);
    }
    this.rendered = next;
  }

  private makeRow(): HTMLElement {
    const cells = COLUMNS.map((c) => h("div", { class: `hs-cell ${c.cls}`, role: "gridcell" }, ""));
    return h("div", { class: "hs-row", role: "row", "data-testid": "handshake-row" }, ...cells);
  }

  private fillRow(el: HTMLElement, rec: RecordView, index: number): void {
    el.style.transform = `translateY(${index * ROW_HEIGHT}px)`;
    el.setAttribute("aria-rowindex", String(index + 2));
    el.classList.toggle("odd", index % 2 === 1);
    const selected = rec.id === this.selected;
    el.classList.toggle("selected", selected);
    el.setAttribute("aria-selected", String(selected));
    if (el.dataset.id === String(rec.id)) return;
    el.dataset.id = String(rec.id);
    el.dataset.sni = rec.sni ?? "";
    el.classList.toggle("failed", !rec.ok);
    const cells = el.children;
    for (let c = 0; c < COLUMNS.length; c++) (cells[c]!.firstChild as Text).data = COLUMNS[c]!.value(rec);
  }

  private renderDetail(): void {
    const rec = this.log.find(this.selected) ?? this.log.shown.find((r) => r.id === this.selected);
    this.detail.dataset.id = rec ? String(rec.id) : "";
    this.detail.replaceChildren(renderDetail(rec, this.options));
  }
}
