/**
 * Sample data for the standalone panel test: a snapshot of a typical machine (one failed ::1
 * listener, a wildcard, a name that resolves to ::1 first), generated connection records, and the
 * Light+ / Dark+ theme variables VS Code would inject into the webview.
 */
import type { FixAction, PanelSnapshot, RecordView } from "../../webview/protocol";

export const snapshot: PanelSnapshot = {
  proxy: {
    state: "on",
    bindings: [
      {
        spec: "localhost:8443",
        address: "127.0.0.1",
        family: 4,
        port: 8443,
        interfaceName: "lo",
        state: "listening",
        wildcard: false,
      },
      {
        spec: "localhost:8443",
        address: "::1",
        family: 6,
        port: 8443,
        interfaceName: "lo",
        state: "failed",
        reason: "EADDRINUSE: another process (node, pid 4121) listens on [::1]:8443",
        wildcard: false,
      },
      {
        spec: "0.0.0.0:8080",
        address: "0.0.0.0",
        family: 4,
        port: 8080,
        interfaceName: "*",
        state: "listening",
        wildcard: true,
      },
    ],
    routes: [
      {
        host: "my-awesome-service.test",
        upstream: "http://127.0.0.1:3000",
        url: "https://my-awesome-service.test:8443/",
      },
      { host: "api.test", upstream: "http://localhost:4000", pathPrefix: "/v1", url: "https://api.test:8443/v1" },
    ],
  },
  resolutions: [
    { host: "my-awesome-service.test", hostsFile: ["127.0.0.1", "::1"], system: ["::1", "127.0.0.1"], dns: [] },
    { host: "api.test", hostsFile: [], system: ["203.0.113.7"], dns: ["203.0.113.7", "2001:db8::7"] },
  ],
  mismatches: [
    {
      code: "v6-first-not-listening",
      message:
        "my-awesome-service.test resolves to ::1 first, but nothing of Switchyard listens on [::1]:8443 (the port is taken).",
      fix: "openSettings",
    },
    {
      code: "not-local",
      message:
        "api.test resolves to 203.0.113.7, which is not on any interface of this machine: requests go to the internet.",
      fix: "syncHosts",
    },
    { code: "wildcard", message: "0.0.0.0:8080 is reachable from every network this machine is on." },
  ],
  interfaces: [
    {
      name: "lo",
      kind: "loopback",
      addresses: [
        { address: "127.0.0.1", family: 4, cidr: "127.0.0.1/8" },
        { address: "::1", family: 6, cidr: "::1/128" },
      ],
    },
    {
      name: "wlp2s0",
      kind: "wifi",
      addresses: [
        { address: "192.168.1.23", family: 4, cidr: "192.168.1.23/24" },
        { address: "fe80::1c2b:3aff:fe4d:5e6f", family: 6, cidr: "fe80::1c2b:3aff:fe4d:5e6f/64" },
      ],
    },
    { name: "docker0", kind: "bridge", addresses: [{ address: "172.17.0.1", family: 4, cidr: "172.17.0.1/16" }] },
  ],
  ca: {
    exists: true,
    directory: "/home/dev/.local/share/switchyard/ca",
    subject: "CN=Switchyard Development CA (dev@laptop), O=Switchyard",
    fingerprint: "3F:A9:1C:77:0B:5E:D2:84:6A:11:C9:E3:58:2F:90:4D:B7:6C:13:AE:05:F8:92:3D:61:CA:7E:24:B0:9F:D1:48",
    notAfter: new Date(Date.now() + 3 * 365 * 86_400_000).toISOString(),
    permitted: [".test", ".localhost", "localhost"],
    constrained: true,
    trust: [
      {
        store: "Linux system store (/usr/local/share/ca-certificates, update-ca-certificates)",
        available: true,
        trusted: true,
        checkedBy: "openssl verify against /etc/ssl/certs/ca-certificates.crt",
      },
      {
        store: "NSS (Chromium, Firefox)",
        available: true,
        trusted: false,
        detail: "~/.pki/nssdb: the root is not trusted there",
        checkedBy: "certutil -V -u V with a fresh leaf",
      },
      { store: "Java cacerts", available: false, trusted: false, detail: "no JDK found" },
    ],
    leaves: [
      {
        names: ["my-awesome-service.test"],
        notAfter: new Date(Date.now() + 20 * 86_400_000).toISOString(),
        fingerprint: "A1:22:9C:0E:71:4B:DF:38:55:E0:19:7A:C3:06:BB:92",
      },
      {
        names: ["api.test", "*.api.test"],
        notAfter: new Date(Date.now() + 390 * 86_400_000).toISOString(),
        fingerprint: "7D:E4:03:8A:62:F1:5C:0B:99:2E:A7:14:D8:36:CF:41",
      },
    ],
  },
  hosts: {
    file: "/etc/hosts",
    mappings: [
      { name: "my-awesome-service.test", addresses: ["127.0.0.1", "::1"] },
      { name: "grafana.test", addresses: ["127.0.0.1"] },
    ],
    conflicts: [
      {
        name: "api.test",
        message: "line 12 outside the block maps it to 203.0.113.7; that line wins for some resolvers.",
      },
    ],
    warnings: [],
  },
};

/** A machine where nothing has been set up yet: every view shows its empty state. */
export const emptySnapshot: PanelSnapshot = {
  proxy: { state: "off", bindings: [], routes: [] },
  resolutions: [],
  mismatches: [],
  interfaces: [],
  ca: { exists: false, directory: "/home/dev/.local/share/switchyard/ca", trust: [], leaves: [] },
  hosts: { file: "/etc/hosts", mappings: [], conflicts: [], warnings: [] },
};

const SNIS = ["my-awesome-service.test", "api.test", "grafana.test", "auth.test", "static.test"];

/** Deterministic records; every 7th fails because the client does not trust the CA. */
export function makeRecord(id: number, time = Date.UTC(2025, 0, 1, 9, 30) + id * 137): RecordView {
  const sni = SNIS[id % SNIS.length]!;
  const plain = id % 11 === 5;
  const failed = id % 7 === 3 && !plain;
  const fix: FixAction | undefined = failed ? "trustCa" : undefined;
  return {
    id,
    seq: id,
    time,
    client: `127.0.0.1:${50000 + (id % 9000)}`,
    local: id % 2 ? "127.0.0.1:8443" : "[::1]:8443",
    interfaceName: "lo",
    protocol: plain ? "http" : "tls",
    sni: plain ? undefined : sni,
    alpnOffered: plain ? [] : ["h2", "http/1.1"],
    alpn: plain ? undefined : id % 3 ? "h2" : "http/1.1",
    tlsVersion: plain ? undefined : "TLSv1.3",
    cipher: plain ? undefined : "TLS_AES_128_GCM_SHA256",
    certificate: plain ? undefined : `CN=${sni}`,
    route: plain ? "redirect → https" : `${sni} → 127.0.0.1:3000`,
    outcome: failed ? "client rejected certificate" : plain ? "308 redirect to https" : "200 OK",
    ok: !failed,
    explanation: failed
      ? `The client closed the connection with "unknown CA": it does not trust the Switchyard CA that issued the certificate for ${sni}. Trust the CA in the client's store (for curl and most CLIs, the system store; for Chromium and Firefox, NSS).`
      : undefined,
    fix,
    timeline: [
      { step: "connect", at: 0 },
      { step: "first byte", at: 0.4 },
      { step: "hello complete", at: 0.7 },
      { step: "handshake done", at: failed ? 2.9 : 3.4 },
      ...(failed
        ? []
        : [
            { step: "upstream connected", at: 4.2 },
            { step: "response", at: 12.6 + (id % 5) },
          ]),
    ],
    detail: plain
      ? { request: "GET / HTTP/1.1", redirectedTo: `https://${sni}:8443/` }
      : {
          clientHello: {
            sni,
            legacyVersion: "TLS 1.2",
            supportedVersions: ["TLS 1.3", "TLS 1.2"],
            alpn: ["h2", "http/1.1"],
            cipherSuites: ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"],
            groups: ["x25519", "secp256r1", "secp384r1"],
            signatureAlgorithms: ["ecdsa_secp256r1_sha256", "rsa_pss_rsae_sha256", "rsa_pkcs1_sha256"],
          },
          certificate: {
            subject: `CN=${sni}`,
            issuer: "CN=Switchyard Development CA (dev@laptop)",
            names: [sni],
            notAfter: "2026-04-01T00:00:00Z",
            sha256: "A1:22:9C:0E:71:4B:DF:38:55:E0:19:7A:C3:06:BB:92",
          },
        },
  };
}

export function makeRecords(from: number, count: number): RecordView[] {
  return Array.from({ length: count }, (_, i) => makeRecord(from + i));
}

/** VS Code's Dark+ colours for the variables the panel uses. */
export const DARK_PLUS: Record<string, string> = {
  "font-family": '-apple-system, BlinkMacSystemFont, "Segoe WPC", "Segoe UI", "Ubuntu", "Droid Sans", sans-serif',
  "font-size": "13px",
  "editor-font-family": '"Droid Sans Mono", "monospace", monospace',
  foreground: "#cccccc",
  descriptionForeground: "#ccccccb3",
  errorForeground: "#f48771",
  focusBorder: "#007fd4",
  "editor-background": "#1e1e1e",
  "panel-border": "#80808059",
  "editorWidget-background": "#252526",
  "editorWarning-foreground": "#cca700",
  "button-background": "#0e639c",
  "button-foreground": "#ffffff",
  "button-hoverBackground": "#1177bb",
  "button-secondaryBackground": "#3a3d41",
  "button-secondaryForeground": "#ffffff",
  "button-secondaryHoverBackground": "#45494e",
  "input-background": "#3c3c3c",
  "input-foreground": "#cccccc",
  "input-placeholderForeground": "#a6a6a6",
  "inputValidation-errorBackground": "#5a1d1d",
  "inputValidation-errorBorder": "#be1100",
  "inputValidation-warningBackground": "#352a05",
  "inputValidation-warningBorder": "#b89500",
  "testing-iconPassed": "#73c991",
  "list-hoverBackground": "#2a2d2e",
  "list-activeSelectionBackground": "#04395e",
  "list-activeSelectionForeground": "#ffffff",
  "list-inactiveSelectionBackground": "#37373d",
  "badge-background": "#4d4d4d",
  "badge-foreground": "#ffffff",
  "activityWarningBadge-background": "#cca700",
  "activityWarningBadge-foreground": "#000000",
  "panelTitle-activeBorder": "#e7e7e7",
  "panelTitle-activeForeground": "#e7e7e7",
  "panelTitle-inactiveForeground": "#e7e7e799",
  "sideBarSectionHeader-foreground": "#cccccc",
  "textLink-foreground": "#3794ff",
  "textLink-activeForeground": "#3794ff",
  "textCodeBlock-background": "#0a0a0a66",
  "textBlockQuote-background": "#7f7f7f1a",
  "keybindingTable-headerBackground": "#cccccc0a",
  "tree-tableOddRowsBackground": "#cccccc0a",
  "tree-inactiveIndentGuidesStroke": "#58585866",
  "charts-blue": "#3794ff",
  "charts-purple": "#b180d7",
  "progressBar-background": "#0e70c0",
  "scrollbarSlider-background": "#79797966",
  "notifications-background": "#252526",
  "notifications-foreground": "#cccccc",
};

/** VS Code's Light+ colours for the same variables. */
export const LIGHT_PLUS: Record<string, string> = {
  ...DARK_PLUS,
  foreground: "#616161",
  descriptionForeground: "#717171",
  errorForeground: "#a1260d",
  focusBorder: "#0090f1",
  "editor-background": "#ffffff",
  "panel-border": "#80808059",
  "editorWidget-background": "#f3f3f3",
  "editorWarning-foreground": "#bf8803",
  "button-background": "#007acc",
  "button-hoverBackground": "#0062a3",
  "button-secondaryBackground": "#5f6a79",
  "button-secondaryHoverBackground": "#4c5561",
  "input-background": "#ffffff",
  "input-foreground": "#616161",
  "input-border": "#cecece",
  "input-placeholderForeground": "#767676",
  "inputValidation-errorBackground": "#f2dede",
  "inputValidation-warningBackground": "#f6f5d2",
  "testing-iconPassed": "#388a34",
  "list-hoverBackground": "#e8e8e8",
  "list-activeSelectionBackground": "#0060c0",
  "list-inactiveSelectionBackground": "#e4e6f1",
  "list-inactiveSelectionForeground": "#616161",
  "badge-background": "#c4c4c4",
  "badge-foreground": "#333333",
  "activityWarningBadge-background": "#bf8803",
  "activityWarningBadge-foreground": "#ffffff",
  "panelTitle-activeBorder": "#424242",
  "panelTitle-activeForeground": "#424242",
  "panelTitle-inactiveForeground": "#424242bf",
  "sideBarSectionHeader-foreground": "#616161",
  "textLink-foreground": "#006ab1",
  "textLink-activeForeground": "#006ab1",
  "textCodeBlock-background": "#dcdcdc66",
  "keybindingTable-headerBackground": "#6161610a",
  "tree-tableOddRowsBackground": "#6161610a",
  "tree-inactiveIndentGuidesStroke": "#a9a9a966",
  "charts-blue": "#1a85ff",
  "charts-purple": "#652d90",
  "scrollbarSlider-background": "#64646466",
  "notifications-background": "#f3f3f3",
  "notifications-foreground": "#616161",
};

/** The variables as a stylesheet, the way VS Code puts them on the webview's root element. */
export function themeCss(vars: Record<string, string>): string {
  return `:root {\n${Object.entries(vars)
    .map(([k, v]) => `  --vscode-${k}: ${v};`)
    .join("\n")}\n}\n`;
}
