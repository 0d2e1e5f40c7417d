/**
 * The route `switchyard run` holds, kept registered while its command runs. A proxy that goes
 * away (serve stopped, a VS Code window closed) takes the route with it: run then registers it
 * again with whichever proxy runs now, or one of its own. A proxy that is itself stopping may still
 * accept a connection and then close it; that attempt is retried (bounded, with a growing pause)
 * instead of being taken as the end.
 */
import type { ControlBinding, DynamicRoute } from "../core/control/protocol";
import type { CliIO } from "./command";
import { connectOrStartProxy, type ProxyLease, type ProxyPlace } from "./runProxy";

/** How many proxies run tries, one after another, before it says the name is no longer routed. */
export const REROUTE_ATTEMPTS = 8;
/** The pause after the first failed attempt; it doubles after each one, up to {@link REROUTE_MAX_PAUSE_MS}. */
const REROUTE_FIRST_PAUSE_MS = 100;
const REROUTE_MAX_PAUSE_MS = 2000;

/** A proxy refused the route for good (another client holds the name): trying again cannot help. */
class RouteRefusedError extends Error {}

/** What the kept route tells run. */
export interface RouteEvents {
  /** The route is served again, through a proxy listening on `bindings`. */
  routed(bindings: readonly ControlBinding[]): void;
  /** Every attempt failed: the name is no longer routed. */
  lost(error: Error): void;
}

/** The connection to the proxy that holds run's route, replaced when that proxy goes away. */
export class KeptRoute {
  private released = false;
  private rerouting: Promise<void> | undefined;
  /** Ends the pause between two attempts early, when run is released meanwhile. */
  private wake: (() => void) | undefined;

  constructor(
    private lease: ProxyLease,
    private readonly where: ProxyPlace,
    private readonly io: CliIO,
  ) {}

  /** The current connection's client (for requests on the proxy run is registered with). */
  get client(): ProxyLease["client"] {
    return this.lease.client;
  }

  /** Watches the current proxy and registers `route` again whenever it goes away, until {@link release}. */
  keep(route: DynamicRoute, events: RouteEvents): void {
    const watched = this.lease;
    void watched.client.closed().then(() => {
      if (this.released || watched !== this.lease) return;
      this.io.stderr(`switchyard run: the proxy serving ${route.host} stopped; routing it again\n`);
      this.rerouting = this.routeAgain(route).then(
        (bindings) => {
          if (this.released) return;
          events.routed(bindings);
          this.keep(route, events);
        },
        (e: Error) => {
          if (!this.released) events.lost(e);
        },
      );
    });
  }

  /** Closes the connection (the route goes with it) and stops a proxy run started itself. */
  async release(): Promise<void> {
    this.released = true;
    this.wake?.();
    await this.rerouting;
    await closeLease(this.lease);
  }

  private async routeAgain(route: DynamicRoute): Promise<readonly ControlBinding[]> {
    let lastError = new Error("no attempt was made");
    let pause = REROUTE_FIRST_PAUSE_MS;
    for (let attempt = 1; attempt <= REROUTE_ATTEMPTS && !this.released; attempt += 1) {
      let next: ProxyLease | undefined;
      try {
        next = await connectOrStartProxy(this.where, this.io);
        const added = await next.client.request({ op: "add", route });
        if (!added.ok) throw added.code === "taken" ? new RouteRefusedError(added.error) : new Error(added.error);
        // Released while this attempt ran: the new connection must not outlive run.
        if (this.released) {
          await closeLease(next);
          return [];
        }
        this.lease = next;
        return added.bindings ?? [];
      } catch (e) {
        if (next) await closeLease(next);
        if (e instanceof RouteRefusedError) throw e;
        lastError = e as Error;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pause);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
      pause = Math.min(pause * 2, REROUTE_MAX_PAUSE_MS);
    }
    throw new Error(`${lastError.message} (tried ${REROUTE_ATTEMPTS} times)`);
  }
}

async function closeLease(lease: ProxyLease): Promise<void> {
  lease.client.close();
  await lease.own?.stop();
}
