/**
 * The native views of the Switchyard view container: Routes (name → upstream, the full URL with
 * its port, a health icon from the last request), Listeners (each address with its state and, on
 * failure, the reason), Hosts mappings (Switchyard's block of the hosts file) and Certificate
 * authority (the root and its trust per store). Each is drawn from the session, the same state the
 * status bar and the panel show; an empty view shows its welcome content from package.json.
 */
import * as vscode from "vscode";
import type { BindingRecord } from "../core/proxy/records/records";
import type { RouteView } from "../../webview/protocol";
import { bindingAddress } from "./proxyStatus";
import type { SwitchyardSession } from "./session";

/** A node of one of the trees; `route` / `mapping` ride along for the inline actions. */
export interface SwitchyardNode {
  kind: "route" | "dynamicRoute" | "listener" | "mapping" | "ca" | "trust" | "note";
  label: string;
  description?: string;
  tooltip?: string;
  icon?: vscode.ThemeIcon;
  route?: RouteView;
  mapping?: { name: string; addresses: string[] };
}

const ok = (id: string): vscode.ThemeIcon => new vscode.ThemeIcon(id, new vscode.ThemeColor("testing.iconPassed"));
const bad = (id: string): vscode.ThemeIcon => new vscode.ThemeIcon(id, new vscode.ThemeColor("testing.iconFailed"));
const warn = (id: string): vscode.ThemeIcon =>
  new vscode.ThemeIcon(id, new vscode.ThemeColor("list.warningForeground"));

function routeNode(r: RouteView): SwitchyardNode {
  const health =
    r.lastStatus === undefined
      ? new vscode.ThemeIcon("globe")
      : r.lastStatus < 400
        ? ok("pass")
        : r.lastStatus < 500
          ? warn("warning")
          : bad("error");
  const from = r.source === "detected" ? "found in VS Code" : r.source === "run" ? "switchyard run" : undefined;
  return {
    kind: r.source ? "dynamicRoute" : "route",
    label: r.url,
    description: `→ ${r.upstream}${from ? ` · ${from}${r.owner ? `: ${r.owner}` : ""}` : ""}`,
    tooltip: `${r.url} → ${r.upstream}${r.lastStatus !== undefined ? `\nLast response: ${r.lastStatus}` : ""}`,
    icon: health,
    route: r,
  };
}

function listenerNode(b: BindingRecord): SwitchyardNode {
  const where = bindingAddress(b);
  const role = b.role === "http-redirect" ? "HTTP → HTTPS" : "HTTPS + HTTP";
  const iface = b.interfaceName ? `${b.interfaceName} · ` : "";
  if (b.state === "failed")
    return {
      kind: "listener",
      label: where,
      description: `${iface}failed: ${b.reason ?? "unknown error"}`,
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
    const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
    item.description = node.description;
    item.tooltip = node.tooltip;
    item.iconPath = node.icon;
    item.contextValue = node.kind;
    return item;
  }

  async getChildren(node?: SwitchyardNode): Promise<SwitchyardNode[]> {
    return node ? [] : await this.nodes();
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
      this.disposables.push(tree, vscode.window.registerTreeDataProvider(id, tree));
      return tree;
    };
    this.trees = [
      define("switchyard.routes", () => this.session.routes().map(routeNode)),
      define("switchyard.listeners", () => this.listeners()),
      define("switchyard.hostsMappings", () => this.mappings()),
      define("switchyard.certificateAuthority", () => this.authority()),
    ];
  }

  refresh(): void {
    for (const t of this.trees) t.refresh();
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
    return nodes;
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
    const trusted = ca.trust.some((t) => t.trusted);
    return [
      {
        kind: "ca",
        label: ca.subject ?? "Local CA",
        description: trusted ? "trusted" : "not trusted yet",
        tooltip: `${ca.directory}\nSHA-256 ${ca.fingerprint ?? ""}\nValid until ${ca.notAfter ?? "?"}`,
        icon: trusted ? ok("shield") : warn("shield"),
      },
      ...ca.trust.map((t): SwitchyardNode => ({
        kind: "trust",
        label: t.store,
        description: !t.available ? "not available" : t.trusted ? "trusted" : "not trusted",
        ...(t.detail ? { tooltip: t.detail } : {}),
        icon: !t.available
          ? new vscode.ThemeIcon("circle-slash")
          : t.trusted
            ? ok("pass")
            : warn("circle-large-outline"),
      })),
    ];
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}
