/**
 * The virtualised grid of connection records. Only the rows in view exist in the DOM: a body of
 * fixed height (rows x ROW_HEIGHT) scrolls inside the viewport, and a few absolutely placed row
 * elements are re-filled on scroll, so 10,000 records cost the same to render as 30.
 */
import { h } from "../dom";
import type { RecordView } from "../protocol";
import { clockTime, dateTime } from "../time";

/** Must match `--sy-row` in style.css. */
export const ROW_HEIGHT = 24;
/** Rows rendered beyond each edge, so a fast scroll does not flash empty space. */
const OVERSCAN = 4;

interface Column {
  title: string;
  cls: string;
  value(r: RecordView): string;
  /** The cell's tooltip when it says more than the cell (the whole value otherwise). */
  tooltip?(r: RecordView): string;
}

/** The route without the host when the host is the SNI the row already shows. */
function routeCell(r: RecordView): string {
  if (!r.route) return "";
  return r.sni && r.route.startsWith(`${r.sni} → `) ? r.route.slice(r.sni.length + 1) : r.route;
}

const COLUMNS: Column[] = [
  { title: "Time", cls: "c-time", value: (r) => clockTime(r.time), tooltip: (r) => dateTime(r.time) },
  { title: "Client", cls: "c-client", value: (r) => r.client },
  { title: "Local", cls: "c-local", value: (r) => (r.interfaceName ? `${r.local} (${r.interfaceName})` : r.local) },
  { title: "Protocol", cls: "c-proto", value: (r) => r.protocol },
  { title: "SNI", cls: "c-sni", value: (r) => r.sni ?? "—" },
  { title: "ALPN", cls: "c-alpn", value: (r) => `${r.alpnOffered.join(", ") || "—"} → ${r.alpn ?? "—"}` },
  { title: "TLS", cls: "c-tls", value: (r) => r.tlsVersion?.replace(/^TLS\s*v?/i, "") ?? "" },
  { title: "Cipher", cls: "c-cipher", value: (r) => r.cipher?.replace(/^TLS_/, "") ?? "" },
  { title: "Certificate", cls: "c-cert", value: (r) => r.certificate ?? "" },
  { title: "Route", cls: "c-route", value: routeCell, tooltip: (r) => r.route ?? "" },
  {
    title: "Outcome",
    cls: "c-outcome",
    value: (r) => r.outcome,
    tooltip: (r) =>
      [
        r.outcome,
        ...(r.history ?? []).map((step) => `earlier: ${step.text}`),
        r.clientName && `client: ${r.clientName}`,
      ]
        .filter(Boolean)
        .join("\n"),
  },
];

export class RecordGrid {
  /** The scrolling element (role=grid); it takes keyboard focus. */
  readonly element: HTMLElement;
  private readonly body = h("div", { class: "hs-body", role: "rowgroup" });
  /** Row elements on screen, by record id, and detached ones ready for reuse. */
  private rendered = new Map<number, HTMLElement>();
  private readonly spare: HTMLElement[] = [];
  private rows: RecordView[] = [];
  /** The record each row element shows now. */
  private readonly filled = new WeakMap<HTMLElement, RecordView>();
  private selected: number | undefined;
  private frame = 0;

  constructor(private readonly onSelect: (id: number | undefined) => void) {
    const header = h(
      "div",
      { class: "hs-row hs-head", role: "row", "aria-rowindex": 1 },
      ...COLUMNS.map((c) => h("div", { class: `hs-cell ${c.cls}`, role: "columnheader", title: c.title }, c.title)),
    );
    this.element = h(
      "div",
      { class: "hs-viewport", role: "grid", tabindex: 0, "aria-label": "Connections, newest first" },
      h("div", { class: "hs-headgroup", role: "rowgroup" }, header),
      this.body,
    );
    this.element.dataset.testid = "handshake-table";
    this.element.addEventListener("scroll", () => this.schedule());
    this.element.addEventListener("keydown", (e) => this.onKey(e));
    this.body.addEventListener("click", (e) => {
      const row = (e.target as HTMLElement).closest<HTMLElement>(".hs-row");
      if (row?.dataset.id) this.onSelect(Number(row.dataset.id));
    });
    new ResizeObserver(() => this.schedule()).observe(this.element);
  }

  /** Shows `rows` (newest first); `prepended` rows were added on top, so the view is shifted to stay put. */
  update(rows: RecordView[], selected: number | undefined, prepended = 0): void {
    this.rows = rows;
    this.selected = selected;
    if (prepended > 0 && this.element.scrollTop > 0) this.element.scrollTop += prepended * ROW_HEIGHT;
    this.body.style.height = `${rows.length * ROW_HEIGHT}px`;
    this.element.setAttribute("aria-rowcount", String(rows.length + 1));
    this.render();
  }

  scrollToTop(): void {
    this.element.scrollTop = 0;
  }

  private onKey(e: KeyboardEvent): void {
    const { rows } = this;
    if (e.key === "Escape") return this.onSelect(undefined);
    if (rows.length === 0) return;
    const page = Math.max(1, Math.floor(this.element.clientHeight / ROW_HEIGHT) - 2);
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
    if (next === undefined) return;
    e.preventDefault();
    const index = Math.min(rows.length - 1, Math.max(0, next));
    this.scrollIntoView(index);
    this.onSelect(rows[index]!.id);
  }

  private scrollIntoView(index: number): void {
    const top = index * ROW_HEIGHT;
    const visible = this.element.clientHeight - ROW_HEIGHT; // minus the sticky header
    if (top < this.element.scrollTop) this.element.scrollTop = top;
    else if (top + ROW_HEIGHT > this.element.scrollTop + visible) this.element.scrollTop = top + ROW_HEIGHT - visible;
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  /**
   * Puts the records between the viewport's edges into row elements. Rows keep their record while
   * it stays in view (they only move), so a small batch costs a few new rows, not a full repaint.
   */
  render(): void {
    const { rows } = this;
    const height = this.element.clientHeight || 600;
    const first = Math.max(0, Math.floor(this.element.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(rows.length, Math.ceil((this.element.scrollTop + height) / ROW_HEIGHT) + OVERSCAN);
    const wanted = new Set<number>();
    for (let i = first; i < last; i++) wanted.add(rows[i]!.id);
    const next = new Map<number, HTMLElement>();
    for (const [id, el] of this.rendered) {
      if (wanted.has(id)) next.set(id, el);
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

  /** Writes only what changed: a row that merely moves costs one transform, not a restyle. */
  private fillRow(el: HTMLElement, rec: RecordView, index: number): void {
    const selected = rec.id === this.selected;
    const place = `${index}${selected ? "s" : ""}`;
    if (el.dataset.place !== place) {
      el.dataset.place = place;
      el.style.transform = `translateY(${index * ROW_HEIGHT}px)`;
      el.setAttribute("aria-rowindex", String(index + 2));
      el.classList.toggle("odd", index % 2 === 1);
      el.classList.toggle("selected", selected);
      el.setAttribute("aria-selected", String(selected));
    }
    // A record is replaced (not mutated) when its connection changes, so identity says "up to date".
    if (this.filled.get(el) === rec) return;
    this.filled.set(el, rec);
    el.dataset.id = String(rec.id);
    el.dataset.sni = rec.sni ?? "";
    el.dataset.open = rec.open ? "true" : "false";
    // The status dot follows the text: red for a failed state, green for a good one; a ring while open.
    el.dataset.state = rec.ok ? "ok" : "failed";
    el.classList.toggle("failed", !rec.ok);
    el.classList.toggle("open", rec.open === true);
    const cells = el.children;
    for (let c = 0; c < COLUMNS.length; c++) {
      const column = COLUMNS[c]!;
      const cell = cells[c] as HTMLElement;
      const value = column.value(rec);
      (cell.firstChild as Text).data = value;
      // Every cell has its whole text as a tooltip: a narrow panel cuts them with an ellipsis.
      cell.title = column.tooltip?.(rec) || value;
    }
  }
}
