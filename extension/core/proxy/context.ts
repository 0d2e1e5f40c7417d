/**
 * What every stage of a connection reads from the running proxy: the current routes and proxy
 * settings (swapped atomically by `DevProxy.update`, so in-flight requests keep what they had),
 * the leaves, the upstream pool and the proxy's identity for loop detection.
 */
import type { LeafSource } from "../ca/types";
import type { OnboardingAnswer } from "../lan/onboardingPage";
import type { SwitchyardSettings } from "../settings";
import type { RecordRing } from "./records/records";
import type { RouteTable } from "./routes";
import type { UpstreamOrigin } from "./upstream/dial";
import type { UpstreamPool } from "./upstream/upstreamPool";

/** Tunables that are not user settings (tests shorten them). */
export interface ProxyTimeouts {
  /** Dialling an upstream (TCP + TLS). Default 5 s. */
  upstreamConnectMs: number;
  /** Waiting for the upstream's response head, from the last request byte sent. Default 60 s. */
  upstreamResponseMs: number;
  /** A TLS handshake, from ClientHello to Finished. Default 10 s. */
  handshakeMs: number;
  /**
   * A keep-alive client connection with no request in flight, HTTP/1.1 or h2 (an idle h2 session
   * gets a GOAWAY and its record says why). Default 120 s.
   */
  clientIdleMs: number;
  /** An h2 stream whose client reads none of the response while the proxy waits to send more. Default 30 s. */
  clientStallMs: number;
}

/** The live state a connection consults; owned by DevProxy. */
export interface ProxyContext {
  routes(): RouteTable;
  settings(): SwitchyardSettings["proxy"];
  readonly leaves: LeafSource;
  readonly log: RecordRing;
  /** Idle upstream sockets shared by HTTP/1.x client connections. */
  readonly pool: UpstreamPool;
  readonly timeouts: ProxyTimeouts;
  /** The Via token (`1.1 switchyard-<id>`) this proxy adds; seeing it on an incoming request means a loop. */
  readonly via: string;
  /** True when `origin` is one of this proxy's own listening addresses. */
  isSelf(origin: UpstreamOrigin): boolean;
  /** The TLS port plain HTTP is redirected to, given the port it arrived on. */
  tlsPortFor(localPort: number): number;
  /**
   * While sharing on the LAN: the onboarding page's answer for plain HTTP to a LAN address of this
   * machine (`hostName` without port), else undefined.
   */
  lanOnboarding?(hostName: string, path: string): OnboardingAnswer | undefined;
}
