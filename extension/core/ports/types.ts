/**
 * Standard ports (443 and 80) reaching one user's unprivileged proxy. Each OS has one mechanism,
 * one file each (linuxNft.ts, macosPf.ts, windowsHttpSys.ts), with the verbs of a trust store:
 * enable, disable, status. Only loopback traffic is ever redirected; the proxy itself stays a
 * user process on its own port (8443 by default), which keeps working.
 */

import type { PortsState } from "./state";
import type { SystemFiles } from "./systemFiles";

/** The ports a browser uses when a URL names none. */
export const STANDARD_PORTS = { https: 443, http: 80 } as const;

/** What `enable` sets up: redirect loopback 443 and 80 of `uid`'s programs to `targetPort`. */
export interface PortsPlan {
  /** The user whose proxy receives the traffic (and, on Linux, whose programs are redirected). */
  uid: number;
  /** The port that user's proxy listens on for TLS and plain HTTP (it sniffs which). */
  targetPort: number;
}

/** What a mechanism reports about one user's redirect. */
export interface MechanismStatus {
  /** The files that make it survive a reboot are in place. */
  persisted: boolean;
  /** The redirect is loaded in the kernel now; undefined when that cannot be read without privilege. */
  loaded: boolean | undefined;
  /** Lines for a person: what is where. */
  details: string[];
}

/** What enable did. */
export interface EnableResult {
  lines: string[];
  /** macOS: the pf reference to release on disable. */
  pfToken?: string;
}

/** One OS mechanism: the same verbs as a trust store. */
export interface PortsMechanism {
  /** `nftables`, `pf`, `windows`: also written into the state file. */
  readonly name: string;
  /** Why it cannot run here (a missing tool), or undefined. */
  unavailable(): Promise<string | undefined>;
  /**
   * Sets the redirect up and persists it, writing files through `files` (which records them for
   * disable); returns one line per thing changed. Needs privilege.
   */
  enable(plan: PortsPlan, files: SystemFiles): Promise<EnableResult>;
  /** Unloads the redirect of `state.uid`; the recorded files are removed by the caller. Needs privilege. */
  disable(state: PortsState): Promise<string[]>;
  status(uid: number): Promise<MechanismStatus>;
}

/** A program already listens on 80 or 443: enable refuses and changes nothing. */
export class StandardPortTakenError extends Error {
  constructor(readonly holders: readonly string[]) {
    super(
      `${holders.join("; ")}. Switchyard will not take traffic meant for another server: stop it (or move it to ` +
        `another port) and run "switchyard ports enable" again; nothing was changed`,
    );
    this.name = "StandardPortTakenError";
  }
}

/** Enabling or disabling needs administrator rights and this process has none. */
export class PortsNeedRootError extends Error {
  constructor(verb: "enable" | "disable") {
    super(
      `${verb === "enable" ? "redirecting" : "removing the redirect of"} ports 443 and 80 needs administrator ` +
        `rights: run "sudo switchyard ports ${verb}" (it acts for the user who ran sudo)`,
    );
    this.name = "PortsNeedRootError";
  }
}
