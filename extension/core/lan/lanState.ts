/**
 * Sharing on the LAN as every view shows it (serve's output, the tree views, the status bar, the
 * QR panel): one plain object, so it crosses the worker boundary and costs nothing to import.
 */
import type { LanAddress } from "./lanAddresses";
import type { LanName } from "./lanNames";

/** Everything a view shows about sharing. Structured-clone data (it crosses the worker boundary). */
export interface LanState {
  sharing: boolean;
  /** The proxy's port on the LAN addresses (the same as its first TLS port). */
  port?: number;
  /** The LAN addresses being listened on, with their interfaces. */
  addresses: LanAddress[];
  /** The routes' `.local` names: probing, claimed, renamed. */
  names: LanName[];
  /** `http://192.168.1.20:8443/`, one per IPv4 address first, then IPv6: the onboarding page. */
  onboardingUrls: string[];
  /** `https://my-app.local:8443/` per claimed name. */
  sharedUrls: { url: string; routeHost: string }[];
  /** The root's SHA-256 fingerprint, to compare on the device. */
  fingerprint256?: string;
  /** What happened lately, in words: renames, responder errors (latest last, at most 10). */
  notes: string[];
}

/** Not sharing: what a proxy that is off, or not sharing, reports. */
export function lanOff(): LanState {
  return { sharing: false, addresses: [], names: [], onboardingUrls: [], sharedUrls: [], notes: [] };
}
