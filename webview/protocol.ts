/**
 * The typed messages between the extension (vscode/panelHost.ts) and the panel (webview/main.ts).
 * Both sides import this module; the extension validates every message from the webview with
 * {@link parseWebviewMessage} before acting on it. View models are plain JSON, decoupled from the
 * core's classes so the panel can be rendered (and tested) from a snapshot alone.
 */

export type ViewId = "bindings" | "handshakes" | "certificates" | "hosts";
export const VIEW_IDS: readonly ViewId[] = ["bindings", "handshakes", "certificates", "hosts"];

export interface BindingView {
  spec: string;
  address: string;
  family: 4 | 6;
  port: number;
  interfaceName?: string;
  state: "listening" | "failed";
  reason?: string;
  wildcard: boolean;
}

export interface RouteView {
  host: string;
  upstream: string;
  pathPrefix?: string;
  url: string;
  /** Position in `switchyard.proxy.routes` (for Edit / Remove). */
  index?: number;
  /** The status of the last request through this route, when there was one. */
  lastStatus?: number;
  /** Where a route that is not in the settings came from: a detected dev server or `switchyard run`. */
  source?: "detected" | "run";
  /** For those: who holds it ("Vite, pid 4242"). */
  owner?: string;
}

export interface ResolutionView {
  host: string;
  hostsFile: string[];
  system: string[];
  dns: string[];
  error?: string;
}

export interface MismatchView {
  code: string;
  message: string;
  fix?: string;
}

export interface InterfaceView {
  name: string;
  kind: string;
  addresses: { address: string; family: 4 | 6; cidr?: string }[];
}

export interface TrustView {
  store: string;
  available: boolean;
  trusted: boolean;
  detail?: string;
  /** How the verdict was reached, e.g. "certutil -V -u V with a fresh leaf". */
  checkedBy?: string;
}

export interface CaView {
  exists: boolean;
  directory: string;
  subject?: string;
  fingerprint?: string;
  notAfter?: string;
  permitted?: string[];
  constrained?: boolean;
  trust: TrustView[];
  leaves: { names: string[]; notAfter: string; fingerprint: string }[];
  error?: string;
}

/** The hosts file as the panel shows it: the managed block's mappings and the lines that conflict with them. */
export interface HostsFileView {
  file: string;
  mappings: { name: string; addresses: string[] }[];
  conflicts: { name: string; message: string }[];
  warnings: string[];
  error?: string;
}

/** One step of a connection's life; `at` is milliseconds since the connection was accepted. */
export interface TimelineStep {
  step: string;
  at: number;
}

/**
 * One connection as the panel shows it; `detail` carries the full record for the details pane.
 * By convention `detail.clientHello` and `detail.certificate` are plain objects shown field by field.
 */
export interface RecordView {
  /** The row's key: unique across proxy restarts, not shown. */
  id: number;
  /** The connection's number in its proxy's count (#17), shown in the details and in Copy as JSON as `seq`. */
  seq: number;
  /** The connection is still open: the row is updated in place as requests finish and when it closes. */
  open?: boolean;
  /** Requests carried so far. */
  requestCount?: number;
  time: number;
  client: string;
  local: string;
  interfaceName?: string;
  protocol: string;
  sni?: string;
  alpnOffered: string[];
  alpn?: string;
  tlsVersion?: string;
  cipher?: string;
  /** A resumed TLS session: the certificate was sent on an earlier connection, not this one. */
  resumed?: boolean;
  certificate?: string;
  route?: string;
  /** The connection's current state in a few words (its last exchange; how it ended once closed). */
  outcome: string;
  /** The current state is good (the status dot is green); false while it is failed. */
  ok: boolean;
  explanation?: string;
  fix?: FixAction;
  /** The program the ClientHello (or a User-Agent) names: "curl (OpenSSL)". */
  clientName?: string;
  /** The fixes for this failure, for this client, the first the most likely to work. */
  fixes?: RecordFix[];
  /** Failures the connection recovered from (a 502 before the dev server came back), oldest first. */
  history?: HistoryStep[];
  /** connect, first byte, hello complete, handshake done, upstream connected, response. */
  timeline?: TimelineStep[];
  detail: Record<string, unknown>;
}

/** One fix the details pane offers: a Switchyard action, or a command to copy. */
export interface RecordFix {
  label: string;
  action?: FixAction;
  /** A shell command to copy (the root's file already filled in). */
  copy?: string;
  /** Offered only while some store on this machine does not trust the root (Trust Local CA). */
  whenStoreUntrusted?: boolean;
}

/** A failure a connection recovered from. */
export interface HistoryStep {
  /** Milliseconds since the connection was accepted. */
  at: number;
  /** "request 1 failed at upstream: UPSTREAM_CLOSED". */
  text: string;
  explanation: string;
}

/** "partial": listening on some addresses while others failed. */
export type ProxyState = "off" | "starting" | "on" | "partial" | "error";

/** A setting that was invalid and ignored, with what is wrong in words. */
export interface SettingProblemView {
  key: string;
  message: string;
}

export interface PanelSnapshot {
  proxy: {
    state: ProxyState;
    /** The state in a short phrase ("partly listening at :8443 (1 address failed)"). */
    summary?: string;
    error?: string;
    bindings: BindingView[];
    routes: RouteView[];
  };
  /** Invalid settings that were ignored. */
  settingsProblems?: SettingProblemView[];
  resolutions: ResolutionView[];
  mismatches: MismatchView[];
  interfaces: InterfaceView[];
  ca?: CaView;
  hosts?: HostsFileView;
}

/** Actions the panel may ask for; each maps to a palette command. */
export type FixAction =
  | "trustCa"
  | "untrustCa"
  | "createCa"
  | "startProxy"
  | "stopProxy"
  | "openSettings"
  | "syncHosts"
  /** Save the root certificate to a file, for another machine or a browser's own store. */
  | "exportRoot"
  /** Open the LAN sharing's device page (install the root on a phone or another computer). */
  | "openDeviceOnboarding";
export const FIX_ACTIONS: readonly FixAction[] = [
  "trustCa",
  "untrustCa",
  "createCa",
  "startProxy",
  "stopProxy",
  "openSettings",
  "syncHosts",
  "exportRoot",
  "openDeviceOnboarding",
];

/** One client's verdict from the panel's Check clients (what `switchyard ca check` prints). */
export interface ClientCheckView {
  client: string;
  state: "pass" | "fail" | "skipped";
  reason?: string;
  fix?: string;
}

/** Extension -> webview. */
export type HostMessage =
  | { type: "snapshot"; snapshot: PanelSnapshot }
  /** The proxy's state alone, cheap to read: sent first, so the header is right before the full snapshot. */
  | { type: "proxy"; proxy: PanelSnapshot["proxy"] }
  | { type: "records"; records: RecordView[]; reset?: boolean }
  | { type: "probeResult"; url: string; text: string; ok: boolean }
  | { type: "notice"; level: "info" | "error"; text: string }
  /** Check clients: `running` while the handshakes run, then the verdicts (or why it could not run). */
  | { type: "clientChecks"; running: boolean; checks: ClientCheckView[]; error?: string };

/** Webview -> extension. */
export type WebviewMessage =
  | { type: "ready" }
  /** Check the trust stores again (trust may have changed outside VS Code). */
  | { type: "recheckTrust" }
  /** Make a real TLS handshake from each client on the machine (`switchyard ca check`). */
  | { type: "checkClients" }
  | { type: "action"; action: FixAction }
  | { type: "addMapping"; name: string; addresses: string[] }
  | { type: "removeMapping"; name: string }
  | { type: "probe"; url: string }
  /** Put a fix's command on the clipboard. */
  | { type: "copy"; text: string };

/** The state the webview keeps across hide/restore and window reloads (vscode.setState). */
export interface PanelState {
  view: ViewId;
  filter: string;
  paused: boolean;
  selected?: number;
  /** The last URL typed in the probe box. */
  probeUrl?: string;
  /** The proxy's state when last seen, so a restored panel shows it from its first paint. */
  proxy?: PanelSnapshot["proxy"];
}

const MAX_TEXT = 2048;
const MAX_COPY = 65_536;

function isText(v: unknown): v is string {
  return typeof v === "string" && v.length <= MAX_TEXT;
}

/** Validates a message from the webview; undefined for anything malformed (never throws). */
export function parseWebviewMessage(raw: unknown): WebviewMessage | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const m = raw as Record<string, unknown>;
  switch (m.type) {
    case "ready":
      return { type: "ready" };
    case "recheckTrust":
      return { type: "recheckTrust" };
    case "checkClients":
      return { type: "checkClients" };
    case "action":
      return typeof m.action === "string" && (FIX_ACTIONS as readonly string[]).includes(m.action)
        ? { type: "action", action: m.action as FixAction }
        : undefined;
    case "addMapping":
      if (!isText(m.name) || !Array.isArray(m.addresses) || m.addresses.length > 16 || !m.addresses.every(isText))
        return undefined;
      return { type: "addMapping", name: m.name, addresses: m.addresses as string[] };
    case "removeMapping":
      return isText(m.name) ? { type: "removeMapping", name: m.name } : undefined;
    case "probe":
      return isText(m.url) ? { type: "probe", url: m.url } : undefined;
    case "copy":
      // A record as JSON (Copy as JSON) is longer than other texts, still bounded.
      return typeof m.text === "string" && m.text.length > 0 && m.text.length <= MAX_COPY
        ? { type: "copy", text: m.text }
        : undefined;
    default:
      return undefined;
  }
}
