/**
 * The Switchyard panel in the webview: four tabbed views over one snapshot from the extension, plus
 * the live stream of connection records. Everything the user changes (tab, filter, pause,
 * selection, probe URL) is kept with setState, so the panel looks the same after being hidden or
 * after a window reload. Actions go back to the extension as typed messages (protocol.ts).
 */
import "./style.css";
import "./controls.css";
import { button, h } from "./dom";
import { parseHostMessage, parseProxy } from "./hostMessage";
import {
  VIEW_IDS,
  type FixAction,
  type HostMessage,
  type PanelSnapshot,
  type PanelState,
  type SettingProblemView,
  type ViewId,
  type WebviewMessage,
} from "./protocol";
import { BindingsView } from "./views/bindings";
import { CertificatesView } from "./views/certificates";
import { HandshakesView } from "./views/handshakes";
import { HostsView } from "./views/hosts";

interface VsCodeApi {
  postMessage(message: WebviewMessage): void;
  getState(): unknown;
  setState(state: PanelState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const TITLES: Record<ViewId, string> = {
  bindings: "Bindings",
  handshakes: "Handshakes",
  certificates: "Certificates",
  hosts: "Hosts",
};

/** Whatever getState returns is checked: an older panel may have stored another shape. */
function restoreState(raw: unknown): PanelState {
  const s = (typeof raw === "object" && raw !== null ? raw : {}) as Partial<PanelState>;
  return {
    view: VIEW_IDS.includes(s.view as ViewId) ? (s.view as ViewId) : "bindings",
    filter: typeof s.filter === "string" ? s.filter : "",
    paused: s.paused === true,
    selected: typeof s.selected === "number" ? s.selected : undefined,
    probeUrl: typeof s.probeUrl === "string" ? s.probeUrl : undefined,
    proxy: typeof s.proxy === "object" && s.proxy !== null ? parseProxy(s.proxy) : undefined,
  };
}

/**
 * The proxy's state for the first paint: the page carries it (panelHost.ts writes it into #app when
 * it builds the page), else the state saved before a reload; undefined when neither has it.
 */
function initialProxy(saved: PanelState["proxy"]): PanelState["proxy"] {
  const embedded = document.getElementById("app")?.dataset.proxy;
  if (embedded) {
    try {
      return parseProxy(JSON.parse(embedded));
    } catch {
      // A page that carries no usable state falls back to the saved one.
    }
  }
  return saved;
}

const state = restoreState(vscode.getState());
const save = (): void => vscode.setState({ ...state, probeUrl: bindings.probeUrl || undefined });
const post = (m: WebviewMessage): void => vscode.postMessage(m);
const onAction = (action: FixAction): void => post({ type: "action", action });

const bindings = new BindingsView({
  onAction,
  probeUrl: state.probeUrl ?? "",
  onProbe: (url) => {
    post({ type: "probe", url });
    save();
  },
});
const handshakes = new HandshakesView({
  filter: state.filter,
  paused: state.paused,
  selected: state.selected,
  onAction,
  onCopy: (text) => post({ type: "copy", text }),
  onStateChange: (s) => {
    Object.assign(state, s);
    save();
  },
});
const certificates = new CertificatesView(
  onAction,
  () => post({ type: "recheckTrust" }),
  () => post({ type: "checkClients" }),
);
const hosts = new HostsView({
  onAction,
  onAdd: (name, addresses) => post({ type: "addMapping", name, addresses }),
  onRemove: (name) => post({ type: "removeMapping", name }),
});
const views: Record<ViewId, HTMLElement> = {
  bindings: bindings.element,
  handshakes: handshakes.element,
  certificates: certificates.element,
  hosts: hosts.element,
};

// Header: the proxy's state and the one button everybody needs.
const proxyState = h("span", { class: "proxy-state", "data-testid": "proxy-state", role: "status" });
const proxyToggle = button("Start Proxy", () => onAction(proxyToggle.dataset.action as FixAction), {
  "data-testid": "proxy-toggle",
});
const notices = h("div", { class: "notices", "data-testid": "notices", "aria-live": "assertive" });
const settingsProblems = h("div", {
  class: "callout callout-error settings-problems",
  role: "alert",
  "data-testid": "settings-problems",
  hidden: true,
});

// Tabs (WAI-ARIA tabs pattern, automatic activation).
const tabs = VIEW_IDS.map((id) =>
  h(
    "button",
    {
      type: "button",
      role: "tab",
      id: `tab-${id}`,
      class: "tab",
      "aria-controls": `panel-${id}`,
      "data-testid": `tab-${id}`,
    },
    h("span", { class: "tab-label" }, TITLES[id]),
    h("span", { class: "tab-badge", "data-testid": `tab-badge-${id}`, hidden: true }),
  ),
);
const tablist = h("div", { class: "tablist", role: "tablist", "aria-label": "Switchyard views" }, ...tabs);
const panels = VIEW_IDS.map((id) =>
  h(
    "div",
    {
      role: "tabpanel",
      id: `panel-${id}`,
      class: `tabpanel tabpanel-${id}`,
      "aria-labelledby": `tab-${id}`,
      "data-testid": `panel-${id}`,
      tabindex: 0,
    },
    views[id],
  ),
);

function selectView(id: ViewId, focus = false): void {
  state.view = id;
  VIEW_IDS.forEach((v, i) => {
    const active = v === id;
    tabs[i]!.setAttribute("aria-selected", String(active));
    tabs[i]!.tabIndex = active ? 0 : -1;
    panels[i]!.hidden = !active;
  });
  if (focus) tabs[VIEW_IDS.indexOf(id)]!.focus();
  if (id === "handshakes") handshakes.shown();
  save();
}

tabs.forEach((tab, i) => {
  tab.addEventListener("click", () => selectView(VIEW_IDS[i]!));
  tab.addEventListener("keydown", (e) => {
    const n = VIEW_IDS.length;
    const next = { ArrowRight: (i + 1) % n, ArrowLeft: (i + n - 1) % n, Home: 0, End: n - 1 }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    selectView(VIEW_IDS[next]!, true);
  });
});

function setBadge(id: ViewId, text: string, kind: "warn" | "count" | ""): void {
  const el = tabs[VIEW_IDS.indexOf(id)]!.querySelector<HTMLElement>(".tab-badge")!;
  el.textContent = text;
  el.className = `tab-badge ${kind ? `tab-badge-${kind}` : ""}`;
  el.hidden = text === "";
}

/** The header (state and the Start/Stop button) from the proxy's state; saved for a restored panel. */
function applyProxy(proxy: PanelSnapshot["proxy"]): void {
  const { state: ps, bindings: bs } = proxy;
  const port = bs.find((b) => b.state === "listening")?.port;
  proxyState.textContent = {
    off: "Proxy off",
    starting: "Proxy starting…",
    on: `Proxy on${port ? ` · :${port}` : ""}`,
    partial: `Proxy partly listening${port ? ` · :${port}` : ""}`,
    error: "Proxy failed",
  }[ps];
  proxyState.className = `proxy-state proxy-${ps}`;
  proxyState.title = [proxy.summary, proxy.error].filter(Boolean).join(": ");
  const running = ps === "on" || ps === "starting" || ps === "partial";
  proxyToggle.textContent = running ? "Stop Proxy" : "Start Proxy";
  proxyToggle.dataset.action = running ? "stopProxy" : "startProxy";
  proxyToggle.classList.toggle("btn-secondary", running);
  proxyToggle.hidden = false;
  guarded("handshakes", () => handshakes.setProxy(proxy));
  state.proxy = proxy;
  save();
}

function applySnapshot(s: PanelSnapshot): void {
  applyProxy(s.proxy);
  const bs = s.proxy.bindings;
  showSettingsProblems(s.settingsProblems ?? []);
  const problems = s.mismatches.length + bs.filter((b) => b.state === "failed").length;
  setBadge("bindings", problems ? String(problems) : "", "warn");
  const untrusted = s.ca && (!s.ca.exists || !s.ca.trust.some((t) => t.trusted));
  setBadge("certificates", untrusted ? "!" : "", "warn");
  const conflicts = (s.hosts?.conflicts.length ?? 0) + (s.hosts?.warnings.length ?? 0);
  setBadge("hosts", conflicts ? String(conflicts) : "", "warn");
  guarded("bindings", () => bindings.update(s));
  guarded("handshakes", () => handshakes.setSnapshot(s));
  guarded("certificates", () => certificates.update(s.ca));
  guarded("hosts", () => hosts.update(s.hosts));
}

/** Invalid settings (ignored) stay visible above the tabs until they are fixed. */
function showSettingsProblems(list: SettingProblemView[]): void {
  settingsProblems.hidden = list.length === 0;
  settingsProblems.replaceChildren(
    ...(list.length
      ? [
          h(
            "strong",
            {},
            list.length === 1
              ? "A setting is invalid and was ignored"
              : `${list.length} settings are invalid and were ignored`,
          ),
          h(
            "ul",
            {},
            ...list.map((p) => h("li", { "data-testid": "settings-problem" }, h("code", {}, p.key), ` ${p.message}`)),
          ),
          button("Open Settings", () => onAction("openSettings"), { "data-testid": "settings-problem-open" }, true),
        ]
      : []),
  );
}

/** One view failing on odd data keeps its last good rendering; the others still update. */
function guarded(view: ViewId, render: () => void): void {
  try {
    render();
  } catch (e) {
    console.error(`switchyard: could not render the ${view} view`, e);
  }
}

function notify(level: "info" | "error", text: string): void {
  const close = h("button", { type: "button", class: "icon-btn", "aria-label": "Dismiss" }, "×");
  const note = h(
    "div",
    { class: `notice notice-${level}`, role: level === "error" ? "alert" : "status", "data-testid": "notice" },
    h("span", {}, text),
    close,
  );
  close.addEventListener("click", () => note.remove());
  notices.append(note);
  while (notices.children.length > 3) notices.firstElementChild!.remove();
  if (level === "info") setTimeout(() => note.remove(), 8000);
}

function handle(message: HostMessage): void {
  switch (message.type) {
    case "snapshot":
      return applySnapshot(message.snapshot);
    case "proxy":
      return applyProxy(message.proxy);
    case "records":
      handshakes.addRecords(message.records, message.reset === true);
      setBadge("handshakes", handshakes.log.size ? String(handshakes.log.size) : "", "count");
      return;
    case "probeResult":
      return bindings.setProbeResult(message.url, message.text, message.ok);
    case "notice":
      return notify(message.level, message.text);
    case "clientChecks":
      return certificates.showClientChecks(message);
  }
}

window.addEventListener("message", (event: MessageEvent) => {
  const message = parseHostMessage(event.data);
  if (!message) {
    console.warn("switchyard: ignored a malformed message from the extension", event.data);
    return;
  }
  try {
    handle(message);
  } catch (e) {
    // A rendering bug for one message must not take the whole panel down.
    console.error("switchyard: failed to show a message", e);
  }
});

const app = document.getElementById("app") ?? document.body.appendChild(h("div", { id: "app" }));
app.removeAttribute("aria-live");
app.replaceChildren(
  h(
    "header",
    { class: "app-header" },
    h("h1", { class: "app-title" }, "Switchyard"),
    proxyState,
    h("span", { class: "spacer" }),
    proxyToggle,
  ),
  settingsProblems,
  tablist,
  notices,
  ...panels,
);
// The first paint shows the proxy's real state; while it is unknown, no Start button (it may be running).
const firstProxy = initialProxy(state.proxy);
if (firstProxy) applyProxy(firstProxy);
else {
  proxyState.textContent = "Checking the proxy…";
  proxyState.className = "proxy-state proxy-starting";
  proxyToggle.hidden = true;
}
selectView(state.view);
post({ type: "ready" });
