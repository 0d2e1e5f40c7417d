/**
 * Routes without JSON: Add Route… (offering the dev servers started in this window first, then the
 * user's other listening servers, each at the address it bound; then the name; then, for a name
 * that needs one, the hosts entry), Edit Route… and Remove Route, each writing `switchyard.proxy.routes` where the
 * routes are defined (the workspace, or the user settings when no folder is open). The setting is
 * edited as raw JSON so fields Switchyard does not show here (pathPrefix, passthrough…) survive.
 */
import * as vscode from "vscode";
import { listeningLoopbackPorts } from "../core/net/listeningPorts";
import {
  sameProgramAncestors,
  upstreamCandidates,
  type UpstreamCandidate,
  type WindowServer,
} from "../core/net/upstreamCandidates";
import { parseRouteFlag, type SwitchyardSettings } from "../core/settings";
import { redactUrlCredentials } from "../core/urlCredentials";
import { askHostMapping, mapHostHere, needsHostsEntry } from "./hostsActions";
import { askPick, askText, type PickItem } from "./multiStepInput";

type RawRoute = Record<string, unknown>;

/** The routes as written (valid or not), and where to write them back. */
export function routesSetting(): { routes: RawRoute[]; target: vscode.ConfigurationTarget } {
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

export async function writeRoutes(routes: RawRoute[], target: vscode.ConfigurationTarget): Promise<void> {
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

/** What Add Route needs from the window beyond the settings: detected servers, the proxy's ports, the hosts step. */
export interface AddRouteContext {
  settings: SwitchyardSettings;
  log: vscode.LogOutputChannel;
  /** Servers found in this window's terminals and tasks (DevServerWatch.servers()). */
  windowServers(): WindowServer[];
  /** Ports Switchyard's own proxy listens on (never offered as an upstream). */
  proxyPorts(): number[];
}

const ADD = { title: "Add Route", totalSteps: 3 };

/**
 * Step 1: the dev server. Servers started from this window's terminals and tasks come first (the
 * first of them is the active item); other listening servers of the user follow under their own
 * heading, never preselected; VS Code's own server, Switchyard's proxy and system daemons are not
 * offered. Each is offered at the address it bound.
 */
async function pickUpstream(ctx: AddRouteContext | undefined): Promise<string | undefined> {
  const { window, other } = upstreamCandidates(listeningLoopbackPorts(), {
    window: ctx?.windowServers() ?? [],
    hiddenPids: sameProgramAncestors(process.pid),
    hiddenPorts: new Set(ctx?.proxyPorts() ?? []),
  });
  const item = (c: UpstreamCandidate, icon: string): PickItem<string> => ({
    label: `$(${icon}) ${c.label}`,
    description: `port ${c.port}${c.pid ? ` · pid ${c.pid}` : ""}`,
    detail: c.upstream,
    value: c.upstream,
  });
  const enter: PickItem<string> = { label: "$(edit) Enter a URL…", description: "e.g. http://127.0.0.1:3000" };
  const separator = (label: string): PickItem<string> => ({ label, kind: vscode.QuickPickItemKind.Separator });
  const items: PickItem<string>[] = [
    ...(window.length ? [separator("Started in this window"), ...window.map((c) => item(c, "terminal"))] : []),
    enter,
    ...(other.length ? [separator("Other servers listening"), ...other.map((c) => item(c, "plug"))] : []),
  ];
  const picked = await askPick<string>({
    ...ADD,
    step: 1,
    items,
    placeholder: window.length
      ? "The dev server to send requests to: one started in this window, another, or a URL"
      : "The dev server to send requests to (none found in this window's terminals): enter its URL or pick one",
  });
  if (!picked) return undefined;
  if (picked.value) return picked.value;
  return askText({
    ...ADD,
    step: 1,
    prompt: "The dev server's URL",
    value: "http://127.0.0.1:3000",
    validate: (v) =>
      v.trim() ? routeProblem("example.test", v) : "Type the dev server's URL, e.g. http://127.0.0.1:3000.",
  });
}

/** A name's problem, an empty name included, in the words the name input shows. */
function nameProblem(name: string, upstream: string): string | undefined {
  if (!name.trim()) return "Type the name to open in the browser, e.g. my-app.test or my-app.localhost.";
  return routeProblem(name, upstream);
}

/**
 * Asks for a dev server, a name and, for a name that needs a hosts entry (.test, not .localhost),
 * whether to map it; then writes the route, once, and maps the name when asked to. Esc at any step
 * writes nothing ("Not now" at the hosts step is an answer: the route is written). Resolves with
 * the route written, if any.
 */
export async function addRoute(
  upstreamArg?: string,
  hostArg?: string,
  ctx?: AddRouteContext,
): Promise<RawRoute | undefined> {
  const upstream = upstreamArg ?? (await pickUpstream(ctx));
  if (!upstream) return undefined;
  const host =
    hostArg ??
    (await askText({
      ...ADD,
      step: 2,
      prompt: `The name that reaches ${upstream}. Names under .localhost need no hosts entry; .test names get one in the next step.`,
      value: suggestedHost(),
      validate: (v) => nameProblem(v, upstream),
    }));
  if (!host) return undefined;
  const problem = nameProblem(host, upstream);
  if (problem) throw new Error(problem);
  const route: RawRoute = { host: host.trim().toLowerCase(), upstream: upstream.trim() };
  // Asked only in the interactive flow: a caller that passed the name (the panel, a test) maps it itself.
  let mapHost = false;
  if (ctx && hostArg === undefined && (await needsHostsEntry(String(route.host), ctx.settings))) {
    const answer = await askHostMapping(String(route.host), ctx.settings, { ...ADD, step: 3 });
    if (answer === undefined) return undefined;
    mapHost = answer;
  }
  // Read at the end, so a route another window added while the prompts were open is kept.
  const { routes, target } = routesSetting();
  routes.push(route);
  await writeRoutes(routes, target);
  if (mapHost && ctx) await mapHostHere(String(route.host), ctx.settings, ctx.log);
  return route;
}

/** Changes the upstream (and name) of the route at `index` in the effective routes. */
export async function editRoute(index: number | undefined): Promise<RawRoute | undefined> {
  const { routes, target } = routesSetting();
  const at = index ?? (await pickRouteIndex(routes, "Edit Route"));
  const route = at === undefined ? undefined : routes[at];
  if (at === undefined || !route) return undefined;
  const host = String(route.host ?? "");
  const EDIT = { title: "Edit Route", totalSteps: 2 };
  const upstream = await askText({
    ...EDIT,
    step: 1,
    prompt: `The dev server's URL for ${host}`,
    value: String(route.upstream ?? ""),
    validate: (v) =>
      v.trim() ? routeProblem(host || "example.test", v) : "Type the dev server's URL, e.g. http://127.0.0.1:3000.",
  });
  if (!upstream) return undefined;
  const newHost = await askText({
    ...EDIT,
    step: 2,
    prompt: `The name that reaches ${upstream}`,
    value: host,
    validate: (v) => nameProblem(v, upstream),
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
    { title, placeHolder: title === "Remove Route" ? "The route to remove" : "The route to edit" },
  );
  return picked?.index;
}
