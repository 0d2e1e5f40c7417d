/**
 * Whether standard ports (loopback 443 and 80) reach this window's proxy, as last checked, and the
 * URL decision that follows from it: `https://NAME/` only when 443 leads to the proxy that runs.
 * While they are enabled the check repeats every 30 s, so a server that takes 443 later shows up.
 */
import type * as vscode from "vscode";
import { publicUrl, standardPortsConfigured, standardPortsReachProxy, type PublicPorts } from "../core/publicUrl";

/** Standard ports as the session last checked them. */
export interface StandardPortsState {
  /** `switchyard ports enable` was run for this user and this proxy's port. */
  configured: boolean;
  /** A handshake through 127.0.0.1:443 reached this proxy. */
  inPlace: boolean;
  /** Another program took 443 or 80, or the redirect does not reach this proxy. */
  warning?: string;
}

/** What the watch reads from its session. */
export interface StandardPortsSource {
  /** The running proxy's first TLS port (undefined when off). */
  tlsPort(): number | undefined;
  /** The port the settings ask for, used for URLs while the proxy is off. */
  configuredTlsPort(): number | undefined;
  /** The CA root the proxy serves from, if loaded: only it can answer the check's handshake. */
  rootPem(): string | undefined;
  /** Whether a proxy runs: the periodic re-check stops with it. */
  isRunning(): boolean;
  /** The state changed: the views redraw. */
  onChange(): void;
}

/** Holds the last check of standard ports for one session and repeats it while they are enabled. */
export class StandardPortsWatch implements vscode.Disposable {
  private current: StandardPortsState = { configured: false, inPlace: false };
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly source: StandardPortsSource) {}

  /** Whether loopback 443 reaches the running proxy, and what stands in the way (last check). */
  get state(): StandardPortsState {
    return this.current;
  }

  /**
   * The ports a shown URL uses: the port the proxy listens on, else the one the settings ask for;
   * no port when standard ports reach the proxy that runs (core/publicUrl.ts).
   */
  publicPorts(): PublicPorts {
    const running = this.source.tlsPort();
    const tlsPort = running ?? this.source.configuredTlsPort();
    return { tlsPort, standardPorts: this.current.inPlace && tlsPort === running };
  }

  /** The URL shown for `host`. */
  publicUrl(host: string, path = "/"): string {
    return publicUrl(host, this.publicPorts(), path);
  }

  /**
   * Checks again whether standard ports reach the running proxy (state file, then a handshake
   * through 127.0.0.1:443 that only this user's CA can answer) and whether another program took
   * 443 or 80 since; views update when that changed. While they are enabled it checks again every
   * 30 s, so a server started later on 443 shows up in the views.
   */
  async refresh(): Promise<boolean> {
    clearTimeout(this.timer);
    const tlsPort = this.source.tlsPort();
    const { standardPorts: inPlace } = await standardPortsReachProxy(tlsPort, this.source.rootPem());
    const configured = standardPortsConfigured(tlsPort);
    let warning: string | undefined;
    if (configured) {
      const { standardPortHolders } = await import("../core/ports/holders");
      const holders = await standardPortHolders();
      if (holders.length > 0)
        warning = `${holders.map((h) => h.description).join("; ")}: another server took a standard port; your own connections still reach Switchyard, other users reach it (switchyard ports disable gives it the port back)`;
      else if (!inPlace)
        warning = `enabled, but 127.0.0.1:443 does not reach this proxy on port ${tlsPort} (run switchyard ports status)`;
    }
    const next: StandardPortsState = { configured, inPlace, ...(warning ? { warning } : {}) };
    if (JSON.stringify(next) !== JSON.stringify(this.current)) {
      this.current = next;
      this.source.onChange();
    }
    if (configured && this.source.isRunning()) this.timer = setTimeout(() => void this.refresh(), 30_000).unref();
    return inPlace;
  }

  /** Stops the periodic re-check. */
  dispose(): void {
    clearTimeout(this.timer);
  }
}
