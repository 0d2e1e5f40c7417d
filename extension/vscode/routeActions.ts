/**
 * Routes without JSON: Add Route… (offering the loopback ports listening now, with their
 * processes), Edit Route… and Remove Route, each writing `switchyard.proxy.routes` where the
 * routes are defined (the workspace, or the user settings when no folder is open). The setting is
 * edited as raw JSON so fields Switchyard does not show here (pathPrefix, passthrough…) survive.
 */
import * as vscode from "vscode";
import { listeningLoopbackPorts } from "../core/net/listeningPorts";
import { parseRouteFlag } from "../core/settings";
import { redactUrlCredentials } from "../core/urlCredentials";

type RawRoute = Record<string, unknown>;

/** The routes as written, and where to write them back. */
function routesSetting(): { routes: RawRoute[]; target: vscode.ConfigurationTarget } {
  const config = vscode.workspace.getConfiguration("switchyard");
  const inspected = config.inspect<unknown>("proxy.routes");
  const hasFolder = (vscode.workspace.workspaceFolders?.length ?? 0) > 0;
  const target =
    inspected?.workspaceValue !== undefined || (hasFolder && inspected?.globalValue === undefined)
      ? vscode.ConfigurationTarget.Workspace
      : vscode.ConfigurationTarget.Global;
  const value = target === vscode.ConfigurationTarget.Workspace ? inspected?.workspaceValue : inspected?.globalValue;
  const routes = Array.isArray(value) ? value.map((r) => (typeof r === "object" && r !== null ? { ...r } : r)) : [];
  return { routes: routes as RawRoute[], target };
}

async function writeRoutes(routes: RawRoute[], target: vscode.ConfigurationTarget): Promise<void> {
  await vscode.workspace.getConfiguration("switchyard").update("proxy.routes", routes, target);
}

/** A name for the workspace's app under .test, from the folder name. */
function suggestedHost(): string {
  const folder = vscode.workspace.workspaceFolders?.[0]?.name ?? "my-app";
  const label = folder
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return `${label || "my-app"}.test`;
}

/** Undefined when HOST=UPSTREAM is a valid route, else the reason in words. */
function routeProblem(host: string, upstream: string): string | undefined {
  try {
    parseRouteFlag(`${host.trim()}=${upstream.trim()}`);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

// The multi-step prompts here and in hostsActions keep ignoreFocusOut: a redraw of the walkthrough
// or a notification taking focus closed the pick half-way through (seen on CI). Esc still cancels.
async function pickUpstream(current?: string): Promise<string | undefined> {
  type Item = vscode.QuickPickItem & { upstream?: string };
  const ports = listeningLoopbackPorts();
  const items: Item[] = ports.map((p) => ({
    label: `$(plug) ${p.port}`,
    description: p.process ? `${p.process}${p.pid ? ` (pid ${p.pid})` : ""}` : p.address,
    detail: `http://localhost:${p.port}`,
    upstream: `http://localhost:${p.port}`,
  }));
  items.push({ label: "$(edit) Enter a URL…", description: "e.g. http://localhost:3000" });
  const picked = await vscode.window.showQuickPick(items, {
    title: "Add Route: the dev server to send requests to",
    ignoreFocusOut: true,
    placeHolder: ports.length ? "A port listening on this machine now, or enter a URL" : "Enter the dev server's URL",
    matchOnDescription: true,
    matchOnDetail: true,
  });
  if (!picked) return undefined;
  if (picked.upstream) return picked.upstream;
  return vscode.window.showInputBox({
    title: "Add Route: the dev server's URL",
    ignoreFocusOut: true,
    value: current ?? "http://localhost:3000",
    validateInput: (v) => routeProblem("example.test", v),
  });
}

/** Asks for a dev server and a name, and adds the route. Resolves with the route written, if any. */
export async function addRoute(upstreamArg?: string, hostArg?: string): Promise<RawRoute | undefined> {
  const upstream = upstreamArg ?? (await pickUpstream());
  if (!upstream) return undefined;
  const host =
    hostArg ??
    (await vscode.window.showInputBox({
      title: `Add Route: the name that reaches ${upstream}`,
      ignoreFocusOut: true,
      value: suggestedHost(),
      prompt: "Names under .test, .localhost or .internal work with the local CA.",
      validateInput: (v) => routeProblem(v, upstream),
    }));
  if (!host) return undefined;
  const problem = routeProblem(host, upstream);
  if (problem) throw new Error(problem);
  const { routes, target } = routesSetting();
  const route: RawRoute = { host: host.trim().toLowerCase(), upstream: upstream.trim() };
  routes.push(route);
  await writeRoutes(routes, target);
  return route;
}

/** Changes the upstream (and name) of the route at `index` in the effective routes. */
export async function editRoute(index: number | undefined): Promise<RawRoute | undefined> {
  const { routes, target } = routesSetting();
  const at = index ?? (await pickRouteIndex(routes, "Edit Route"));
  const route = at === undefined ? undefined : routes[at];
  if (at === undefined || !route) return undefined;
  const host = String(route.host ?? "");
  const upstream = await vscode.window.showInputBox({
    title: `Edit Route ${host}: upstream URL`,
    ignoreFocusOut: true,
    value: String(route.upstream ?? ""),
    validateInput: (v) => routeProblem(host || "example.test", v),
  });
  if (!upstream) return undefined;
  const newHost = await vscode.window.showInputBox({
    title: "Edit Route: name",
    ignoreFocusOut: true,
    value: host,
    validateInput: (v) => routeProblem(v, upstream),
  });
  if (!newHost) return undefined;
  routes[at] = { ...route, host: newHost.trim().toLowerCase(), upstream: upstream.trim() };
  await writeRoutes(routes, target);
  return routes[at];
}

/** Removes the route at `index` (asks which when not given). */
export async function removeRoute(index: number | undefined): Promise<RawRoute | undefined> {
  const { routes, target } = routesSetting();
  const at = index ?? (await pickRouteIndex(routes, "Remove Route"));
  if (at === undefined || !routes[at]) return undefined;
  const [removed] = routes.splice(at, 1);
  await writeRoutes(routes, target);
  return removed;
}

async function pickRouteIndex(routes: RawRoute[], title: string): Promise<number | undefined> {
  if (routes.length === 0) {
    void vscode.window.showInformationMessage("Switchyard has no routes yet. Use Switchyard: Add Route….");
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    routes.map((r, i) => ({
      label: String(r.host),
      description: `→ ${redactUrlCredentials(String(r.upstream))}`,
      index: i,
    })),
    { title },
  );
  return picked?.index;
}
