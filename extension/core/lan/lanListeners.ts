/**
 * The proxy's listeners on this machine's LAN addresses while sharing (`switchyard.proxy.shareOnLan`):
 * the first TLS port also listens on each LAN address that no listen spec already covers. Sharing
 * off closes them and ends their connections at once, so nothing stays reachable from the LAN.
 * What they serve (the responder, the `.local` aliases, the onboarding page) is lanShare.ts's.
 */
import type net from "node:net";
import { bind, bindingKey, unbind, type Binding } from "../proxy/accept/listen";
import type { BindingRecord } from "../proxy/records/records";
import type { LanAddress } from "./lanAddresses";

/** The spec of the listeners sharing on the LAN (`switchyard.proxy.shareOnLan`), one per LAN address. */
export const LAN_SPEC = "shareOnLan";

/** What the LAN listeners need from their proxy. */
export interface LanListenersOptions {
  /** This machine's LAN addresses now. */
  lanAddresses: () => LanAddress[];
  /** A connection accepted on a LAN address (the proxy handles it as any other). */
  onSocket: (socket: net.Socket, binding: Binding) => void;
  /** A LAN binding changed state: bound, failed (also later), closed. */
  onBinding: (record: BindingRecord) => void;
}

/** The LAN listeners of one proxy, keyed like its other bindings. */
export class LanListeners {
  private readonly live = new Map<string, Binding>();

  constructor(private readonly options: LanListenersOptions) {}

  /** Every LAN listener: listening, failed with the reason, or closed by the last apply. */
  get bindings(): Binding[] {
    return [...this.live.values()];
  }

  /**
   * Listens on `port` on each LAN address no listener of `main` covers (the same address or its
   * family's wildcard, on that port) and closes the others, ending their connections without a
   * grace period. `port` undefined means sharing is off: every LAN listener closes. Resolves with
   * the LAN addresses that reach the proxy now, through a LAN listener or a covering one.
   */
  async apply(port: number | undefined, main: readonly Binding[]): Promise<LanAddress[]> {
    const covered = (a: LanAddress): boolean =>
      main.some(
        (b) =>
          b.record.state === "listening" &&
          b.record.port === port &&
          (b.record.address === a.address || b.record.address === (a.family === 4 ? "0.0.0.0" : "::")),
      );
    const all = port === undefined ? [] : this.options.lanAddresses();
    const wanted = all.filter((a) => !covered(a));
    const key = (a: { address: string }): string => bindingKey({ address: a.address, port: port ?? 0 }, "tls+http");
    const keys = new Set(wanted.map(key));
    for (const [k, b] of this.live) {
      if (keys.has(k) && b.record.state === "listening") continue;
      this.live.delete(k);
      await unbind(b, true, 0);
      this.options.onBinding(b.record);
    }
    if (port !== undefined) {
      const added = await Promise.all(
        wanted
          .filter((a) => !this.live.has(key(a)))
          .map((a) =>
            bind(
              {
                spec: LAN_SPEC,
                address: a.address,
                family: a.family,
                port,
                interfaceName: a.interfaceName,
                wildcard: false,
              },
              "tls+http",
              this.options.onSocket,
              (binding) => this.options.onBinding(binding.record),
            ),
          ),
      );
      for (const b of added) {
        this.live.set(key(b.record), b);
        this.options.onBinding(b.record);
      }
    }
    return all.filter((a) => covered(a) || this.live.get(key(a))?.record.state === "listening");
  }

  /** Closes every LAN listener as the proxy stops: connections end, and are destroyed after the usual grace period. */
  async close(): Promise<void> {
    const all = [...this.live.values()];
    this.live.clear();
    await Promise.all(
      all.map(async (b) => {
        await unbind(b, true);
        this.options.onBinding(b.record);
      }),
    );
  }
}
