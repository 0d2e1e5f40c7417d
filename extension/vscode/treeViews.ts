/**
 * The native views of the Switchyard view container: Routes (the name as the label, upstream and
 * port beside it, a health icon from the last request; Enter opens it; an invalid route stays with
 * an error icon and Fix Route…), Listeners (each address with its state and, on
 * failure, the reason), Host Mappings (Switchyard's block of the hosts file) and Certificate
 * Authority (the root in plain words, its trust per store; stores this machine lacks folded away). Each is drawn from the session, the same state the
 * status bar and the panel show; an empty view shows its welcome content from package.json.
 */
import * as vscode from "vscode";
import { standardPortsNodes } from "./portsActions";
import { lanNodes } from "./lanActions";
import type { BindingRecord } from "../core/proxy/records/records";
import type { RouteView } from "../../webview/protocol";
import { bindingAddress } from "./proxyStatus";
import { routesSetting } from "./routeActions";
import { configuredTlsPort } from "./views";
import { currentWindow, viewMessage } from "./remoteWindow";
import { invalidRoutes, type InvalidRoute } from "./settingsProblems";
import type { SwitchyardSession } from "./session";

/** A node of one of the trees; `route` / `mapping` / `invalid` ride along for the actions. */
export interface SwitchyardNode {
  kind: "route" | "dynamicRoute" | "invalidRoute" | "listener" | "mapping" | "ca" | "trust" | "group" | "note";
  label: string;
  description?: string;
  tooltip?: string;
  icon?: vscode.ThemeIcon;
  route?: RouteView;
  mapping?: { name: string; addresses: string[] };
  /** An invalid route of the settings (kind "invalidRoute"), for Fix Route…. */
  invalid?: InvalidRoute;
  /** What Enter, a click or a double click runs (Open in Browser for a route, Fix Route… for an invalid one). */
  command?: vscode.Command;
  /** A group's nodes, shown collapsed. */
  children?: SwitchyardNode[];
}

const ok = (id: string): vscode.ThemeIcon => new vscode.ThemeIcon(id, new vscode.ThemeColor("testing.iconPassed"));
const bad = (id: string): vscode.ThemeIcon => new vscode.ThemeIcon(id, new vscode.ThemeColor("testing.iconFailed"));
const warn = (id: string): vscode.ThemeIcon =>
  new vscode.ThemeIcon(id, new vscode.ThemeColor("list.warningForeground"));

/** A route; `port` is the proxy's TLS port when known (the proxy's, else the settings'). */
function routeNode(r: RouteView, tlsPort: number | undefined): SwitchyardNode {
  // The URL's port; none in the URL means 443 (configured, or standard ports in place) once a port is known.
  const port = new URL(r.url).port || (tlsPort === undefined ? undefined : "443");
  const health =
    r.lastStatus === undefined
      ? new vscode.ThemeIcon("globe")
      : r.lastStatus < 400
        ? ok("pass")
        : r.lastStatus < 500
          ? warn("warning")
          : bad("error");
  const from = r.source === "detected" ? "found in VS Code" : r.source === "run" ? "switchyard run" : undefined;
  const path = r.pathPrefix && r.pathPrefix !== "/" ? r.pathPrefix : "";
  const node: SwitchyardNode = {
    kind: r.source ? "dynamicRoute" : "route",
    label: `${r.host}${path}`,
    // http:// is left out to keep the port in sight in a narrow side bar; an https upstream says so.
    description: `→ ${r.upstream.replace(/^http:\/\//, "")}${port ? ` · port ${port}` : ""}${from ? ` · ${from}${r.owner ? `: ${r.owner}` : ""}` : ""}`,
    tooltip: `${r.url} → ${r.upstream}${r.lastStatus !== undefined ? `\nLast response: ${r.lastStatus}` : ""}`,
    icon: health,
    route: r,
  };
  // Enter and a click open the route, as the Ports view opens a port.
  node.command = { command: "switchyard.openInBrowser", title: "Open in Browser", arguments: [node] };
  return node;
}

/** An invalid route of the settings: kept in the view with an error icon, the reason and Fix Route…. */
function invalidRouteNode(r: InvalidRoute): SwitchyardNode {
  const node: SwitchyardNode = {
    kind: "invalidRoute",
    label: r.host,
    description: `ignored: ${r.problem}`,
    tooltip: `This route is ignored: ${r.problem}${r.upstream ? `\nFix Route… can change the upstream to ${r.upstream}.` : ""}`,
    icon: bad("error"),
    invalid: r,
  };
  node.command = { command: "switchyard.fixRoute", title: "Fix Route…", arguments: [node] };
  return node;
}

function listenerNode(b: BindingRecord): SwitchyardNode {
  const where = bindingAddress(b);
  const role = b.role === "http-redirect" ? "HTTP → HTTPS" : "HTTPS + HTTP";
  const iface = b.interfaceName ? `${b.interfaceName} · ` : "";
  if (b.state === "failed")
    return {
      kind: "listener",
      label: where,
      // The label names the address: the reason does not say it again.
      description: `${iface}failed: ${(b.reason ?? "unknown error").split(` on ${where}`).join("")}`,
      tooltip: `${where} (${b.spec}) could not listen:\n${b.reason ?? "unknown error"}`,
      icon: bad("error"),
    };
  return {
    kind: "listener",
    label: where,
    description: `${iface}${b.state} · ${role}`,
    tooltip: `${where} (${b.spec}): ${b.state}${b.warning ? `\n${b.warning}` : ""}`,
    icon: b.warning ? warn("warning") : ok("radio-tower"),
  };
}

/** One tree, drawn by `nodes` each time the session changes. */
class SwitchyardTree implements vscode.TreeDataProvider<SwitchyardNode> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly nodes: () => Promise<SwitchyardNode[]> | SwitchyardNode[]) {}

  refresh(): void {
    this.changed.fire();
  }

  getTreeItem(node: SwitchyardNode): vscode.TreeItem {
    const item = new vscode.TreeItem(
      node.label,
      node.children ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
    );
    item.description = node.description;
    item.tooltip = node.tooltip;
    item.iconPath = node.icon;
    item.contextValue = node.kind;
    if (node.command) item.command = node.command;
    return item;
  }

  async getChildren(node?: SwitchyardNode): Promise<SwitchyardNode[]> {
    return node ? (node.children ?? []) : await this.nodes();
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/** The four trees, registered and refreshed together. */
export class SwitchyardTrees implements vscode.Disposable {
  private readonly trees: SwitchyardTree[];
  private readonly disposables: vscode.Disposable[] = [];
  /** What each view shows now, for the tests. */
  readonly shown: Record<string, SwitchyardNode[]> = {};

  constructor(private readonly session: SwitchyardSession) {
    const define = (id: string, nodes: () => Promise<SwitchyardNode[]> | SwitchyardNode[]): SwitchyardTree => {
      const tree = new SwitchyardTree(async () => (this.shown[id] = await nodes()));
      const view = vscode.window.createTreeView(id, { treeDataProvider: tree });
      // Which machine the view's contents belong to, in a remote window (remoteWindow.ts).
      view.message = viewMessage(id, currentWindow(vscode.env));
      this.disposables.push(tree, view);
      return tree;
    };
    this.trees = [
      define("switchyard.routes", () => this.routes()),
      define("switchyard.listeners", () => this.listeners()),
      define("switchyard.hostsMappings", () => this.mappings()),
      define("switchyard.certificateAuthority", () => this.authority()),
    ];
  }

  refresh(): void {
    for (const t of this.trees) t.refresh();
  }

  /**
   * The routes as written, in order, the invalid ones included (with an error icon and Fix Route…,
   * rather than vanishing), then the detected and `switchyard run` routes. A configured route's
   * index is its position in the setting as written, which Edit and Remove use.
   */
  private routes(): SwitchyardNode[] {
    const all = this.session.routes();
    const port = this.session.tlsPort() ?? configuredTlsPort(this.session.currentSettings.proxy.listen);
    const configured = all.filter((r) => !r.source);
    const { routes: raw } = routesSetting();
    const invalid = new Map(invalidRoutes(raw).map((r) => [r.index, r]));
    void vscode.commands.executeCommand("setContext", "switchyard.hasInvalidRoutes", invalid.size > 0);
    const nodes: SwitchyardNode[] = [];
    let next = 0;
    raw.forEach((_, index) => {
      const broken = invalid.get(index);
      if (broken) return void nodes.push(invalidRouteNode(broken));
      const view = configured[next++];
      if (view) nodes.push(routeNode({ ...view, index }, port));
    });
    // Settings read by the session a moment before or after `raw` (a write in flight): shown as the session has them.
    nodes.push(...configured.slice(next).map((r) => routeNode(r, port)));
    return [...nodes, ...all.filter((r) => r.source).map((r) => routeNode(r, port))];
  }

  private listeners(): SwitchyardNode[] {
    const status = this.session.status();
    const nodes = this.session
      .bindings()
      .filter((b) => b.state !== "closed")
      .map(listenerNode);
    if (status.state === "error" && nodes.length === 0)
      return status.problems.map((p) => ({
        kind: "note",
        label: "Not listening",
        description: p,
        tooltip: p,
        icon: bad("error"),
      }));
    if (status.state === "starting")
      return [{ kind: "note", label: "Starting…", icon: new vscode.ThemeIcon("loading~spin") }];
    return [
      ...nodes,
      ...lanNodes(this.session.lanState(), this.session.isRunning),
      ...standardPortsNodes(this.session),
    ];
  }

  private async mappings(): Promise<SwitchyardNode[]> {
    const { hostsFileView } = await import("./hostsActions");
    const view = await hostsFileView(this.session.currentSettings);
    if (view.error)
      return [{ kind: "note", label: "Cannot read the hosts file", description: view.error, icon: bad("error") }];
    return view.mappings.map((m) => ({
      kind: "mapping",
      label: m.name,
      description: m.addresses.join(", "),
      tooltip: `${m.name} → ${m.addresses.join(", ")} in ${view.file}`,
      icon: new vscode.ThemeIcon("arrow-swap"),
      mapping: m,
    }));
  }

  private async authority(): Promise<SwitchyardNode[]> {
    const ca = await this.session.caSnapshot();
    if (!ca.exists)
      return ca.error ? [{ kind: "note", label: "Cannot read the CA", description: ca.error, icon: bad("error") }] : [];
    const present = ca.trust.filter((t) => t.available);
    const absent = ca.trust.filter((t) => !t.available);
    const trustedIn = present.filter((t) => t.trusted).length;
    const store = (t: (typeof ca.trust)[number]): SwitchyardNode => ({
      kind: "trust",
      label: storeName(t.store),
      description: !t.available ? "not on this machine" : t.trusted ? "trusted" : "not trusted",
      tooltip: t.detail ? `${t.store}\n${t.detail}` : t.store,
      icon: !t.available ? new vscode.ThemeIcon("circle-slash") : t.trusted ? ok("pass") : warn("circle-large-outline"),
    });
    return [
      {
        kind: "ca",
        label: caRootLabel(trustedIn, present.length),
        description: ca.subject,
        tooltip:
          `The root certificate Switchyard created on this machine; it signs the certificates of your dev names.\n` +
          `${ca.subject ?? ""}\n${ca.directory}\nSHA-256 ${ca.fingerprint ?? ""}\nValid until ${ca.notAfter ?? "?"}`,
        icon: trustedIn > 0 ? ok("shield") : warn("shield"),
      },
      ...present.map(store),
      ...(absent.length
        ? [
            {
              kind: "group" as const,
              label: "Not on this machine",
              description: `${absent.length} store${absent.length === 1 ? "" : "s"}`,
              tooltip: "Trust stores Switchyard knows that this machine does not have (nothing to trust there).",
              icon: new vscode.ThemeIcon("circle-slash"),
              children: absent.map(store),
            },
          ]
        : []),
    ];
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}

/**
 * A store's name without its location, which the tooltip keeps: "Firefox NSS: /home/u/.mozilla/…"
 * is "Firefox", "Java cacerts (/usr/lib/jvm/…)" is "Java cacerts", so the names fit a side bar.
 */
export function storeName(description: string): string {
  const nss = description.replace(/ NSS: .*$/, "");
  if (nss !== description) return nss;
  return description.replace(/ \(([^)]*[\s/,][^)]*)\)$/, "");
}

/** "Switchyard local root (yours, trusted in 4 of 5 stores)": what the root is and where it counts, in words. */
export function caRootLabel(trustedIn: number, stores: number): string {
  const where =
    stores === 0
      ? "no trust store found"
      : trustedIn === 0
        ? `not trusted yet in ${stores === 1 ? "the" : `any of ${stores}`} store${stores === 1 ? "" : "s"}`
        : `trusted in ${trustedIn} of ${stores} store${stores === 1 ? "" : "s"}`;
  return `Switchyard local root (yours, ${where})`;
}
