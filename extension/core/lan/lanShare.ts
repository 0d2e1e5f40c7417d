/**
 * Sharing on the LAN, as the proxy runs it: the mDNS responder for the routes' `.local` names,
 * the alias routes for the names it claimed, the onboarding page for requests to a LAN address,
 * and one {@link LanState} that serve's output, the tree views and the QR panel show. The LAN
 * listeners themselves are lanListeners.ts's; this holds what those listeners serve.
 */
import { EventEmitter } from "node:events";
import type { RouteSetting } from "../settings";
import type { LanAddress } from "./lanAddresses";
import type { LanState } from "./lanState";

export { lanOff, type LanState } from "./lanState";
import { aliasRoutes, wantedLanNames } from "./lanNames";
import { MdnsResponder } from "./mdnsResponder";
import { onboardingAnswer, type OnboardingAnswer } from "./onboardingPage";
import { rootForms } from "./rootDownloads";

/** Events: 'state' whenever the state changes, 'note' for a line worth printing (a rename, an error). */
export interface LanShareEvents {
  state: [LanState];
  note: [string];
}

/** What to share now. */
export interface LanPlan {
  sharing: boolean;
  port: number | undefined;
  addresses: LanAddress[];
  routes: readonly RouteSetting[];
}

/** Holds the responder and answers for the LAN side of one proxy. */
export class LanShare extends EventEmitter<LanShareEvents> {
  private responder: MdnsResponder | undefined;
  private responderKey = "";
  private plan: LanPlan = { sharing: false, port: undefined, addresses: [], routes: [] };
  private readonly notes: string[] = [];

  constructor(
    private readonly rootPem: () => string,
    private readonly responderPort = 5353,
  ) {
    super();
  }

  /** Starts, changes or stops sharing to match `plan`; the responder stops at once when sharing is off. */
  async apply(plan: LanPlan): Promise<void> {
    this.plan = plan;
    const active = plan.sharing && plan.port !== undefined && plan.addresses.length > 0;
    const key = active ? plan.addresses.map((a) => `${a.interfaceName}/${a.address}`).join(",") : "";
    if (key !== this.responderKey) {
      const old = this.responder;
      this.responder = undefined;
      this.responderKey = key;
      await old?.stop();
      if (active) await this.startResponder(plan.addresses);
    }
    this.responder?.setNames(wantedLanNames(plan.routes));
    this.emit("state", this.state());
  }

  private async startResponder(addresses: LanAddress[]): Promise<void> {
    const responder = new MdnsResponder({ addresses, port: this.responderPort });
    this.responder = responder;
    responder.on("names", () => {
      if (this.responder === responder) this.emit("state", this.state());
    });
    responder.on("conflict", (words) => this.note(words));
    responder.on("error", (e) => this.note(`${e.message}; devices can still open the addresses by IP`));
    await responder.start();
  }

  private note(words: string): void {
    this.notes.push(words);
    if (this.notes.length > 10) this.notes.shift();
    this.emit("note", words);
    this.emit("state", this.state());
  }

  /** The `.local` aliases of `routes` for the names claimed now. */
  aliasRoutes(routes: readonly RouteSetting[]): RouteSetting[] {
    return this.responder ? aliasRoutes(routes, this.responder.names()) : [];
  }

  /**
   * The onboarding page's answer for a plain-HTTP request whose Host names one of the LAN
   * addresses being shared; undefined otherwise (not sharing, another host, a route's name).
   */
  onboarding(hostName: string, path: string): OnboardingAnswer | undefined {
    if (!this.responder || !this.plan.sharing) return undefined;
    if (!this.plan.addresses.some((a) => a.address === hostName)) return undefined;
    return onboardingAnswer(path, { root: rootForms(this.rootPem()), shared: this.state().sharedUrls });
  }

  /** The state now. */
  state(): LanState {
    const { port } = this.plan;
    const sharing = this.responder !== undefined;
    const addresses = sharing ? this.plan.addresses : [];
    const names = this.responder?.names() ?? [];
    const suffix = port === 443 ? "" : `:${port}`;
    const sorted = [...addresses].sort((a, b) => a.family - b.family);
    let fingerprint256: string | undefined;
    try {
      fingerprint256 = sharing ? rootForms(this.rootPem()).fingerprint256 : undefined;
    } catch {
      fingerprint256 = undefined;
    }
    return {
      sharing,
      ...(port !== undefined && sharing ? { port } : {}),
      addresses,
      names,
      onboardingUrls: sorted.map((a) => `http://${a.family === 6 ? `[${a.address}]` : a.address}:${port}/`),
      sharedUrls: names
        .filter((n) => n.state === "claimed")
        .map((n) => ({ url: `https://${n.name}${suffix}/`, routeHost: n.routeHost })),
      ...(fingerprint256 ? { fingerprint256 } : {}),
      notes: [...this.notes],
    };
  }

  /** Stops the responder (goodbyes sent); the proxy closes the LAN listeners. */
  async stop(): Promise<void> {
    await this.apply({ sharing: false, port: undefined, addresses: [], routes: [] });
  }
}
