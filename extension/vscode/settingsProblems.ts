/**
 * Tells the user about invalid `switchyard.*` settings: every problem in full in the log, and one
 * short notification with Open Settings / Show Log, shown again only when the set of problems
 * changes (the panel lists them too, from the session). An invalid route stays in the Routes view
 * (see {@link invalidRoutes}) with Fix Route… ({@link fixRoute}).
 */
import * as vscode from "vscode";
import { parseRouteFlag, parseSettings, type SettingsProblem } from "../core/settings";
import { routesSetting, writeRoutes } from "./routeActions";

/** Reports settings problems when they differ from the last report. */
export class SettingsProblemReporter {
  private last = "[]";

  constructor(private readonly log: vscode.LogOutputChannel) {}

  report(problems: SettingsProblem[]): void {
    const key = JSON.stringify(problems);
    if (key === this.last) return;
    this.last = key;
    for (const p of problems) this.log.warn(`settings: ${p.key}: ${p.message} (ignored)`);
    if (problems.length === 0) return;
    const first = problems[0]!;
    const text =
      problems.length === 1
        ? `Switchyard ignored the invalid setting ${first.key}: ${first.message}`
        : `Switchyard ignored ${problems.length} invalid settings (${problems.map((p) => p.key).join(", ")}).`;
    // A bad route can be fixed where it is shown (the Routes view keeps it): offer that first.
    const routes = problems.some((p) => p.key === "switchyard.proxy.routes") ? ["Fix Route…"] : [];
    void vscode.window.showWarningMessage(text, ...routes, "Open Settings", "Show Log").then((answer) => {
      if (answer === "Fix Route…") void vscode.commands.executeCommand("switchyard.fixRoute");
      else if (answer === "Open Settings")
        void vscode.commands.executeCommand("workbench.action.openSettings", first.key);
      else if (answer === "Show Log") void vscode.commands.executeCommand("switchyard.showLog");
    });
  }
}

/** A route of `switchyard.proxy.routes` that the proxy ignores, and why. */
export interface InvalidRoute {
  /** Its position in the setting as written. */
  index: number;
  /** Its host as written, or a stand-in for a route without one. */
  host: string;
  problem: string;
  /** A corrected upstream, when the mistake is a common one (no scheme, a bare port). */
  upstream?: string;
}

/** Why one raw route is ignored (the settings parser's own words), or undefined when it is valid. */
export function routeItemProblem(item: unknown): string | undefined {
  return parseSettings({ "switchyard.proxy.routes": [item] }).problems[0]?.message;
}

/** The correction for an upstream written without a scheme (`localhost:3000`) or as a bare port (`3000`). */
export function correctedUpstream(upstream: unknown): string | undefined {
  if (typeof upstream !== "string") return undefined;
  const text = upstream.trim();
  const candidate = /^\d{1,5}$/.test(text)
    ? `http://127.0.0.1:${text}`
    : /^[a-z][a-z0-9+.-]*:\/\//i.test(text)
      ? undefined
      : `http://${text.replace(/^\/+/, "")}`;
  if (!candidate) return undefined;
  try {
    parseRouteFlag(`example.test=${candidate}`);
    return candidate;
  } catch {
    return undefined;
  }
}

/** The invalid routes among the routes as written, with their positions. */
export function invalidRoutes(raw: readonly unknown[]): InvalidRoute[] {
  const out: InvalidRoute[] = [];
  raw.forEach((item, index) => {
    const problem = routeItemProblem(item);
    if (!problem) return;
    const r = (typeof item === "object" && item !== null ? item : {}) as Record<string, unknown>;
    const host = typeof r.host === "string" && r.host.trim() ? r.host.trim() : `route ${index + 1}`;
    const corrected = correctedUpstream(r.upstream);
    const fixed = corrected && !routeItemProblem({ ...r, upstream: corrected });
    out.push({ index, host, problem, ...(fixed ? { upstream: corrected } : {}) });
  });
  return out;
}

/**
 * Fix Route…: for an invalid route (the Routes view's error row, or picked from the palette) offers
 * the correction when there is one, the route in settings.json, or removing it.
 */
export async function fixRoute(index?: number): Promise<boolean> {
  const { routes, target } = routesSetting();
  const invalid = invalidRoutes(routes);
  const title = "Fix Route";
  let route = invalid.find((r) => r.index === index);
  if (!route) {
    if (invalid.length === 0) {
      void vscode.window.showInformationMessage("Every route in switchyard.proxy.routes is valid.");
      return false;
    }
    route =
      invalid.length === 1
        ? invalid[0]
        : (
            await vscode.window.showQuickPick(
              invalid.map((r) => ({ label: r.host, detail: r.problem, route: r })),
              { title, placeHolder: "The invalid route to fix" },
            )
          )?.route;
  }
  if (!route) return false;
  const at = route;
  type Choice = vscode.QuickPickItem & { run: () => Promise<boolean> };
  const choices: Choice[] = [];
  if (at.upstream)
    choices.push({
      label: `$(lightbulb) Change the upstream to ${at.upstream}`,
      run: async () => {
        routes[at.index] = { ...routes[at.index], upstream: at.upstream };
        await writeRoutes(routes, target);
        return true;
      },
    });
  choices.push(
    { label: "$(json) Open in settings.json", run: () => revealRoute(at, target) },
    {
      label: `$(trash) Remove ${at.host}`,
      run: async () => {
        routes.splice(at.index, 1);
        await writeRoutes(routes, target);
        return true;
      },
    },
  );
  const picked = await vscode.window.showQuickPick(choices, { title: `${title} ${at.host}`, placeHolder: at.problem });
  return picked ? picked.run() : false;
}

/** Opens the settings.json that holds the route, with its host selected where it can be found. */
async function revealRoute(route: InvalidRoute, target: vscode.ConfigurationTarget): Promise<boolean> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (target !== vscode.ConfigurationTarget.Workspace || !folder) {
    await vscode.commands.executeCommand("workbench.action.openSettingsJson");
    return false;
  }
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder.uri, ".vscode", "settings.json"));
  const at = doc.getText().indexOf(JSON.stringify(route.host));
  const selection =
    at >= 0 ? new vscode.Range(doc.positionAt(at), doc.positionAt(at + route.host.length + 2)) : undefined;
  await vscode.window.showTextDocument(doc, selection ? { selection } : {});
  return false;
}
