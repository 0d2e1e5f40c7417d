/**
 * Building DOM nodes without innerHTML: text always goes in through textContent, so nothing a
 * record carries (an SNI, a hosts line) can inject markup, and no inline style attribute is ever
 * written (the panel's CSP has no 'unsafe-inline').
 */

type Child = Node | string | number | false | null | undefined;
type Attrs = Record<string, string | number | boolean | undefined>;

/** Creates an element; `class` and `data-*`/`aria-*` go through attributes, the rest as given. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
  }
}

/** A VS Code-looking button; `secondary` for the less prominent style. */
export function button(label: string, onClick: () => void, attrs: Attrs = {}, secondary = false): HTMLButtonElement {
  const cls = ["btn", secondary ? "btn-secondary" : "", String(attrs.class ?? "")].filter(Boolean).join(" ");
  const el = h("button", { type: "button", ...attrs, class: cls }, label);
  el.addEventListener("click", onClick);
  return el;
}

/** A section with a heading, used by every view. */
export function section(title: string, testId: string, ...children: Child[]): HTMLElement {
  return h(
    "section",
    { class: "section", "data-testid": testId },
    h("h2", { class: "section-title" }, title),
    ...children,
  );
}

/**
 * A plain table; cells may be nodes. Empty rows render the `empty` text across all columns. A column
 * with an empty header holds actions and is only as wide as its buttons.
 */
export function table(headers: string[], rows: Child[][], empty: string, testId?: string): HTMLTableElement {
  const fit = (i: number): string | undefined => (headers[i] === "" ? "col-fit" : undefined);
  const thead = h("thead", {}, h("tr", {}, ...headers.map((t, i) => h("th", { scope: "col", class: fit(i) }, t))));
  const tbody = h("tbody");
  if (rows.length === 0) {
    tbody.appendChild(h("tr", {}, h("td", { class: "empty-cell", colspan: headers.length }, empty)));
  }
  for (const r of rows) tbody.appendChild(h("tr", {}, ...r.map((c, i) => h("td", { class: fit(i) }, c))));
  return h("table", { class: "data-table", "data-testid": testId }, thead, tbody);
}

/** A small coloured label: ok / warn / error / muted. */
export function badge(text: string, kind: "ok" | "warn" | "error" | "muted" | "info"): HTMLSpanElement {
  return h("span", { class: `badge badge-${kind}` }, text);
}

/** The "nothing here yet" block with an explanation and optional buttons. */
export function emptyState(title: string, text: string, ...actions: HTMLElement[]): HTMLElement {
  return h(
    "div",
    { class: "empty-state", "data-testid": "empty-state" },
    h("p", { class: "empty-title" }, title),
    h("p", { class: "empty-text" }, text),
    actions.length ? h("div", { class: "empty-actions" }, ...actions) : null,
  );
}

export function mono(text: string): HTMLElement {
  return h("code", { class: "mono" }, text);
}

/** Key/value pairs as a definition list; undefined values are skipped. */
export function facts(pairs: [string, Child][], testId?: string): HTMLElement {
  const dl = h("dl", { class: "facts", "data-testid": testId });
  for (const [k, v] of pairs) {
    if (v === undefined || v === null || v === "") continue;
    append(dl, [h("dt", {}, k), h("dd", {}, v)]);
  }
  return dl;
}
