/**
 * A running proxy with its control endpoint: routes added through the socket are merged after the
 * configured ones and applied live. Used by `switchyard serve` and by `switchyard run` when it has
 * to start a proxy of its own; the extension does the same with its worker.
 */
import type { BindingRecord } from "../proxy/records/records";
import type { SwitchyardSettings } from "../settings";
import { ControlServer } from "./controlServer";
import { withDynamicRoutes, type ControlBinding, type DynamicRoute } from "./protocol";

export { routeSettingFor, withDynamicRoutes } from "./protocol";

/** What the control endpoint needs of a proxy (WorkerProxy has it). */
export interface UpdatableProxy {
  update(settings: SwitchyardSettings): Promise<BindingRecord[]>;
}

/** The TLS bindings that are listening, as the control protocol reports them. */
export function controlBindings(bindings: readonly BindingRecord[]): ControlBinding[] {
  return bindings
    .filter((b) => b.state === "listening" && b.role === "tls+http")
    .map((b) => ({ address: b.address, port: b.port, family: b.family }));
}

/**
 * Opens the control socket for a started proxy and applies every change of the dynamic routes.
 * `onChange` hears each new set (for a log line), after the proxy applied it.
 */
export async function serveControl(options: {
  socketPath: string;
  proxy: UpdatableProxy;
  settings: () => SwitchyardSettings;
  bindings: () => readonly BindingRecord[];
  /** The root file of the CA the proxy issues from, for `hello`. */
  rootFile?: string;
  onChange?: (routes: DynamicRoute[]) => void;
  onError?: (e: Error) => void;
}): Promise<ControlServer> {
  const control = await ControlServer.listen({
    socketPath: options.socketPath,
    configuredRoutes: () => options.settings().proxy.routes,
    bindings: () => controlBindings(options.bindings()),
    rootFile: () => options.rootFile,
  });
  let applying = Promise.resolve();
  control.on("routes", (routes) => {
    // One update at a time, in order: the last set of routes is the one the proxy ends with.
    applying = applying
      .then(() => options.proxy.update(withDynamicRoutes(options.settings(), routes)))
      .then(
        () => options.onChange?.(routes),
        (e: Error) => options.onError?.(e),
      );
  });
  return control;
}
