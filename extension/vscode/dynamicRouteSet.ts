/**
 * The routes a window's proxy serves besides the settings' own: dev servers found in VS Code's
 * terminals and tasks, and the routes `switchyard run` adds through the per-user control socket
 * that a started proxy opens.
 */
import type * as vscode from "vscode";
import type { ControlServer } from "../core/control/controlServer";
import { routeSettingFor, type DynamicRoute } from "../core/control/protocol";
import type { BindingRecord } from "../core/proxy/records/records";
import type { RouteSetting } from "../core/settings";

/** What the route set reads from, and tells, the session. */
export interface DynamicRouteHooks {
  log: vscode.LogOutputChannel;
  /** The routes in the settings now. */
  configuredRoutes(): RouteSetting[];
  /** The running proxy's bindings (what the control socket reports to `switchyard run`). */
  bindings(): BindingRecord[];
  /** `switchyard run` added or removed routes: the proxy should serve the new set. */
  onControlRoutes(): void;
}

/** Detected and `switchyard run` routes, by host; the control socket while the proxy runs. */
export class DynamicRouteSet {
  /** Routes to dev servers found in VS Code's terminals and tasks, by host. */
  private readonly detected = new Map<string, DynamicRoute>();
  /** Routes `switchyard run` added through this proxy's control socket. */
  private controlRoutes: DynamicRoute[] = [];
  private control: ControlServer | undefined;

  constructor(private readonly hooks: DynamicRouteHooks) {}

  /** Detected dev servers, then those added by `switchyard run`. */
  all(): DynamicRoute[] {
    return [...this.detected.values(), ...this.controlRoutes];
  }

  /** Adds a detected server's route; a host the settings or `switchyard run` already use is refused with the reason. */
  addDetected(route: DynamicRoute): void {
    if (this.hooks.configuredRoutes().some((r) => r.host === route.host))
      throw new Error(`${route.host} is already a route in your settings`);
    const run = this.controlRoutes.find((r) => r.host === route.host);
    if (run) throw new Error(`${route.host} is already routed by switchyard run (pid ${run.owner.pid})`);
    this.detected.set(route.host, route);
  }

  /** Takes a detected server's route away; false when there was none for `host`. */
  removeDetected(host: string): boolean {
    return this.detected.delete(host);
  }

  /** The per-user control socket beside a started proxy, so `switchyard run` can add routes to it. */
  async openControl(): Promise<void> {
    try {
      const { ControlServer } = await import("../core/control/controlServer");
      const { controlBindings } = await import("../core/control/dynamicRoutes");
      const { controlSocketPath, stateDirFor } = await import("../core/control/stateDir");
      const { homedir } = await import("node:os");
      const socketPath = controlSocketPath(stateDirFor(process.env, homedir()));
      const control = await ControlServer.listen({
        socketPath,
        configuredRoutes: () => [...this.hooks.configuredRoutes(), ...[...this.detected.values()].map(routeSettingFor)],
        bindings: () => controlBindings(this.hooks.bindings()),
      });
      control.on("routes", (routes) => {
        this.controlRoutes = routes;
        this.hooks.onControlRoutes();
      });
      this.control = control;
      this.hooks.log.info(`control socket ${socketPath}: switchyard run adds its routes to this proxy`);
    } catch (e) {
      // Another proxy of this user (a `switchyard serve`) owns it: run talks to that one.
      this.hooks.log.info(`no control socket for this proxy: ${(e as Error).message}`);
    }
  }

  /** Closes the control socket; the routes `switchyard run` added go with it. */
  async closeControl(): Promise<void> {
    const control = this.control;
    this.control = undefined;
    this.controlRoutes = [];
    await control?.close();
  }
}
