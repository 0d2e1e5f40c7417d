/**
 * The proxy `switchyard run` registers with: the one already running for this user (serve, a VS
 * Code window, another run), reached through the control socket, or one it starts itself. The
 * control socket is bound before the proxy's ports, so two runs started together do not both
 * start a proxy: the second finds the first's socket and connects to it.
 */
import { join } from "node:path";
import { LocalCa } from "../core/ca/index";
import { CA_FILES } from "../core/ca/paths";
import { ControlClient, NoProxyRunningError } from "../core/control/controlClient";
import { ControlServer, ControlSocketInUseError } from "../core/control/controlServer";
import { controlBindings, withDynamicRoutes } from "../core/control/dynamicRoutes";
import type { DynamicRoute } from "../core/control/protocol";
import type { BindingRecord } from "../core/proxy/records/records";
import { WorkerProxy } from "../core/proxy/worker/workerProxy";
import type { SwitchyardSettings } from "../core/settings";
import type { CliIO } from "./command";

/** A connection to a proxy, and the proxy itself when this process runs it. */
export interface ProxyLease {
  client: ControlClient;
  /** Set when this process started the proxy: stop it when done. */
  own?: { stop(): Promise<void> };
}

/** Where run finds a proxy, and what it needs to start one of its own. */
export interface ProxyPlace {
  socketPath: string;
  settings: SwitchyardSettings;
  caDir: string;
}

/** Connects to the running proxy, or starts one here when none runs (bounded retries for races). */
export async function connectOrStartProxy(where: ProxyPlace, io: CliIO): Promise<ProxyLease> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return { client: await ControlClient.connect(where.socketPath) };
    } catch (e) {
      if (!(e instanceof NoProxyRunningError)) throw e;
    }
    const own = await startOwnProxy(where, io);
    if (own === "running") continue;
    try {
      return { client: await ControlClient.connect(where.socketPath), own };
    } catch (e) {
      await own.stop();
      throw e;
    }
  }
  throw new Error(`cannot reach or start a Switchyard proxy (control socket ${where.socketPath})`);
}

/** Starts a proxy in this process with its control socket; "running" when another one took the socket first. */
async function startOwnProxy(where: ProxyPlace, io: CliIO): Promise<{ stop(): Promise<void> } | "running"> {
  let bindings: BindingRecord[] = [];
  let control: ControlServer;
  try {
    control = await ControlServer.listen({
      socketPath: where.socketPath,
      configuredRoutes: () => where.settings.proxy.routes,
      bindings: () => controlBindings(bindings),
      rootFile: () => join(where.caDir, CA_FILES.root),
    });
  } catch (e) {
    if (e instanceof ControlSocketInUseError) return "running";
    throw e;
  }
  let proxy: WorkerProxy | undefined;
  // Routes may arrive from other runs while the proxy starts: they are applied once it runs.
  let latest: DynamicRoute[] | undefined;
  let applying = Promise.resolve();
  const apply = (): void => {
    if (!proxy || !latest) return;
    const settings = withDynamicRoutes(where.settings, latest);
    const running = proxy;
    applying = applying
      .then(() => running.update(settings))
      .then(
        () => undefined,
        (e: Error) => io.stderr(`switchyard run: applying a route failed: ${e.message}\n`),
      );
  };
  control.on("routes", (routes) => {
    latest = routes;
    apply();
  });
  try {
    const s = where.settings;
    const { ca } = await LocalCa.openOrCreate({
      dir: where.caDir,
      keyType: s.ca.keyType,
      permittedNames: s.ca.permittedNames,
      permittedIpRanges: s.ca.permittedIpRanges,
      unconstrained: s.ca.unconstrained,
      keepRootKey: s.ca.keepRootKey,
    });
    proxy = new WorkerProxy({ settings: s, ca: { dir: ca.material.dir, keyType: s.ca.keyType } });
    bindings = await proxy.start();
    for (const b of bindings.filter((x) => x.state === "failed"))
      io.stderr(`switchyard run: cannot listen on ${b.spec}: ${b.reason ?? "unknown error"}\n`);
    if (!bindings.some((b) => b.state === "listening"))
      throw new Error("the proxy could not listen anywhere (see above); pick another address with --listen");
  } catch (e) {
    await control.close();
    await proxy?.stop();
    throw e;
  }
  apply();
  const running = proxy;
  return {
    async stop() {
      await control.close();
      await applying;
      await running.stop();
    },
  };
}
