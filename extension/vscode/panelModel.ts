/**
 * What the panel shows, kept apart from the proxy and CA lifecycle in session.ts: the snapshot
 * (proxy state, routes, network, CA, hosts; each part fails on its own, into the view) and the live
 * connection rows, replaced in place and sent in batches.
 */
import type * as vscode from "vscode";
import type { ConnectionRecord } from "../core/proxy/records/records";
import { homedir, networkInterfaces } from "node:os";
import { join } from "node:path";
import { CA_FILES } from "../core/ca/paths";
import { isLoopback } from "../core/net/interfaces";
import type { ClientCheckView, PanelSnapshot, RecordView } from "../../webview/protocol";
import { engines } from "./engines";
import type { PanelDataSource } from "./panelHost";
import type { SwitchyardSession } from "./session";
import { recordView, type FirefoxProfiles } from "./recordView";
import { firefoxProfileRoots, userFirefoxProfiles } from "../core/ca/trust/discovery/firefoxProfiles";
import { bindingView, interfaceView, mismatchView, resolutionView } from "./views";

/**
 * Rows kept for the panel. Unlike the proxy's fixed ring of 1,000 records, this list is trimmed to
 * its newest half when it reaches the cap, so memory stays bounded without a trim on every row.
 */
const RECORD_CAPACITY = 10_000;
/** A burst of connections costs one message per this many ms, and a row still shows within a fraction of a second. */
const BATCH_MS = 50;

/** A loopback address or one of this machine's own: a client there is not "another device". */
function isThisMachine(address: string): boolean {
  if (isLoopback(address)) return true;
  return Object.values(networkInterfaces()).some((list) => list?.some((i) => i.address === address));
}

/** A Firefox failing in a loop asks for its profiles on every handshake: the folders are read at most this often. */
const FIREFOX_PROFILES_MS = 10_000;
let firefoxProfilesRead: { at: number; profiles: FirefoxProfiles } | undefined;

/** This user's Firefox profile folders (for the per-profile certutil command), read again after a while. */
function firefoxProfiles(): FirefoxProfiles {
  const now = Date.now();
  if (!firefoxProfilesRead || now - firefoxProfilesRead.at > FIREFOX_PROFILES_MS) {
    const roots = firefoxProfileRoots(homedir(), process.env, process.platform);
    firefoxProfilesRead = {
      at: now,
      profiles: { dirs: userFirefoxProfiles(homedir(), process.env, process.platform), roots },
    };
  }
  return firefoxProfilesRead.profiles;
}

/** The panel's data: snapshots on demand and the connection rows, streamed in batches. */
export class PanelModel implements PanelDataSource, vscode.Disposable {
  private readonly recordById = new Map<number, RecordView>();
  private recordViews: RecordView[] = [];
  private pending = new Map<number, RecordView>();
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly session: SwitchyardSession,
    /** Receives each batch of new or changed rows. */
    private readonly onRecords: (records: RecordView[]) => void,
  ) {}

  /** Everything the panel shows, gathered now. Each part fails on its own, into the view. */
  async snapshot(): Promise<PanelSnapshot> {
    const session = this.session;
    const [net, ca, hosts] = await Promise.all([this.networkSnapshot(), session.caSnapshot(), this.hostsSnapshot()]);
    return {
      proxy: this.proxyState(),
      settingsProblems: session.problems.map((p) => ({ key: p.key, message: p.message })),
      ...net,
      ca,
      hosts,
    };
  }

  /** The proxy's state alone: read in memory, so the panel shows it before the slower parts of a snapshot. */
  proxyState(): PanelSnapshot["proxy"] {
    const session = this.session;
    const status = session.status();
    return {
      state: status.state,
      summary: status.summary,
      error: status.problems.length ? status.problems.join("; ") : undefined,
      bindings: session.bindings().map(bindingView),
      routes: session.routes(),
    };
  }

  /** The root certificate's file (Export Root, and the commands a fix puts on the clipboard). */
  rootFile(): string {
    return join(this.session.caDirectory(), CA_FILES.root);
  }

  /**
   * The device onboarding page while the proxy listens on a LAN address (Share on LAN): the proxy
   * answers plain HTTP to that address with it; undefined while it listens on loopback only.
   */
  deviceOnboardingUrl(): string | undefined {
    const lan = this.session
      .bindings()
      .find(
        (b) =>
          b.state === "listening" &&
          b.role === "tls+http" &&
          !isLoopback(b.address) &&
          b.address !== "0.0.0.0" &&
          b.address !== "::" &&
          !b.address.startsWith("fe80:"),
      );
    if (!lan) return undefined;
    return `http://${lan.family === 6 ? `[${lan.address}]` : lan.address}:${lan.port}/`;
  }

  /** The panel (re)opened or asked to check again: trust may have changed outside VS Code. */
  invalidateCaView(): void {
    this.session.invalidateCaView();
  }

  /** A real handshake from each client on the machine, as `switchyard ca check` makes. */
  async checkClients(): Promise<ClientCheckView[]> {
    const { ca } = await engines();
    // The extension host's own executable may be Electron: the Node rows run the node a terminal would.
    const node = (await ca.execFileRunner().which("node")) ?? "";
    const checks = await ca.checkEveryClient(this.session.caDirectory(), process.env, homedir(), node);
    return checks.map((c) => ({
      client: c.client,
      state: c.skipped ? "skipped" : c.passed ? "pass" : "fail",
      reason: c.reason,
      fix: c.fix,
    }));
  }

  /** Every row kept, oldest first (what a panel that opens now starts from). */
  records(): RecordView[] {
    return this.recordViews;
  }

  /**
   * Takes a record as it is published (open, updated, closed: always the whole record) and keeps
   * one row per connection, replaced in place; new and changed rows go out in the next batch.
   */
  addRecord(record: ConnectionRecord): void {
    const view = recordView(record, {
      rootFile: this.rootFile(),
      isThisMachine,
      firefoxProfiles,
      platform: process.platform,
    });
    const known = this.recordById.get(view.id);
    if (known) {
      const at = this.recordViews.lastIndexOf(known);
      if (at >= 0) this.recordViews[at] = view;
    } else {
      this.recordViews.push(view);
      if (this.recordViews.length > RECORD_CAPACITY) {
        this.recordViews = this.recordViews.slice(-RECORD_CAPACITY / 2);
        this.recordById.clear();
        for (const v of this.recordViews) this.recordById.set(v.id, v);
      }
    }
    this.recordById.set(view.id, view);
    this.pending.delete(view.id);
    this.pending.set(view.id, view);
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      const batch = [...this.pending.values()];
      this.pending = new Map();
      this.onRecords(batch);
    }, BATCH_MS);
  }

  private async hostsSnapshot(): Promise<PanelSnapshot["hosts"]> {
    const { hostsFileView } = await import("./hostsActions");
    return hostsFileView(this.session.currentSettings);
  }

  private async networkSnapshot(): Promise<Pick<PanelSnapshot, "resolutions" | "mismatches" | "interfaces">> {
    const session = this.session;
    const settings = session.currentSettings;
    const { listInterfaces, resolveName, findMismatches } = await engines();
    const interfaces = listInterfaces();
    const names = [...new Set(settings.proxy.routes.map((r) => r.host.replace(/^\*\./, "www.")))];
    const resolutions = await Promise.all(
      names.map((n) => resolveName(n, { hostsPath: settings.hosts.file, dnsTimeoutMs: 1000 })),
    );
    // The panel's binding view has the shape the mismatch rules read (ListenAddress + state).
    const bindings = session
      .bindings()
      .filter((b) => b.state !== "closed" && b.role === "tls+http")
      .map(bindingView);
    const mismatches = session.isRunning ? findMismatches({ bindings, resolutions, interfaces }) : [];
    return {
      resolutions: resolutions.map(resolutionView),
      mismatches: mismatches.map(mismatchView),
      interfaces: interfaces.map(interfaceView),
    };
  }

  dispose(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
  }
}
