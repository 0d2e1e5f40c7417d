/**
 * Which machine Switchyard changes, and which machine the browser is on.
 *
 * VS Code runs this extension where the workspace is: in WSL, over SSH, in a dev container, or on
 * the machine that serves a browser workbench (code-server, `code serve-web`, Codespaces). The hosts
 * file, the trust stores and the proxy are then that machine's, while the browser that opens a
 * route runs on the user's own computer. This file says which case a window is, in words the views
 * and confirmations use, and turns a route's URL into one that works from the user's browser where
 * VS Code's port forwarding gives one.
 *
 * Pure except for {@link currentWindow} and the two functions that take `vscode.env`: the rest is
 * unit-tested without an extension host (`import type` only).
 */
import type * as vscode from "vscode";

/** What VS Code tells about a window (the fields of `vscode.env` this file reads). */
export interface WindowEnv {
  remoteName: string | undefined;
  /** `vscode.UIKind`: 1 desktop, 2 web. */
  uiKind: number;
  appName: string;
  appHost: string;
}

export type WindowKind = "local" | "wsl" | "ssh" | "container" | "codespaces" | "tunnel" | "browser" | "remote";

/** A window as Switchyard explains it. */
export interface RemoteWindow {
  kind: WindowKind;
  /** True when the extension runs on another machine (or distribution, or container) than the UI. */
  remote: boolean;
  /** The machine the hosts file, trust stores and proxy belong to, as a phrase ("the SSH host"). */
  machine: string;
  /** The kind in a few words, for a view's message ("SSH", "code-server in a browser"). */
  label: string;
  /**
   * True when the browser most likely runs on the same machine as the extension: a local window, or a
   * browser workbench opened at a loopback address (the browser reaches the server at 127.0.0.1).
   */
  browserHere: boolean;
  /** VS Code forwards ports as plain-HTTP paths on the workbench's origin (no TLS, no host name). */
  httpPathForwarding: boolean;
}

const UI_KIND_WEB = 2;

/** Reads `vscode.env` into a {@link RemoteWindow}. */
export function currentWindow(env: typeof vscode.env): RemoteWindow {
  return describeWindow({
    remoteName: env.remoteName,
    uiKind: env.uiKind,
    appName: env.appName,
    appHost: env.appHost,
  });
}

/**
 * The window's kind from what VS Code reports. `remoteName` is the part of the remote authority
 * before `+` ("wsl", "ssh-remote", "dev-container"); a browser workbench served by a VS Code server
 * (code-server among them) reports its whole authority ("127.0.0.1:8080") and uiKind web.
 */
export function describeWindow(env: WindowEnv): RemoteWindow {
  const web = env.uiKind === UI_KIND_WEB;
  const name = env.remoteName;
  const codeServer = /code-server/i.test(env.appName);
  if (!name && !web) return make("local", false, "this computer", "local", true, false);
  switch (name) {
    case "wsl":
      return make("wsl", true, "the WSL distribution", "WSL", false, web);
    case "ssh-remote":
      return make("ssh", true, "the SSH host", "SSH", false, web);
    case "dev-container":
    case "attached-container":
    case "k8s-container":
      return make("container", true, "the container", "dev container", false, web);
    case "codespaces":
      return make("codespaces", true, "the codespace", "Codespaces", false, true);
    case "tunnel":
      return make("tunnel", true, "the tunnel's machine", "Remote Tunnel", false, web);
  }
  if (web) {
    const label = codeServer ? "code-server in a browser" : "VS Code in a browser";
    const machine = codeServer ? "the machine running code-server" : "the machine running the VS Code server";
    return make("browser", true, machine, label, isLoopbackAuthority(name), true);
  }
  return make("remote", true, "the remote machine", `remote (${name})`, false, false);
}

function make(
  kind: WindowKind,
  remote: boolean,
  machine: string,
  label: string,
  browserHere: boolean,
  httpPathForwarding: boolean,
): RemoteWindow {
  return { kind, remote, machine, label, browserHere, httpPathForwarding };
}

/** "127.0.0.1:8080", "localhost:3000", "[::1]:80": the browser reached the server on its own loopback. */
function isLoopbackAuthority(authority: string | undefined): boolean {
  if (!authority) return false;
  const host = authority.replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
  return host === "localhost" || host.endsWith(".localhost") || host === "::1" || /^127\./.test(host);
}

/** A short message for the Routes view, or undefined in a local window. */
export function routesNotice(w: RemoteWindow): string | undefined {
  if (!w.remote) return undefined;
  if (w.browserHere) return `${w.label}, with the browser on the same machine (${w.machine}): routes open directly.`;
  if (w.kind === "wsl")
    return "WSL: the proxy runs in the distribution; Windows reaches its port on localhost, so https://NAME.localhost URLs open in your Windows browser (.test names need the Windows hosts file).";
  if (w.httpPathForwarding)
    return `${w.label}: the proxy runs on ${w.machine}. Its port forwarding is plain HTTP, so routes do not open from your browser through it; see Open in Browser.`;
  return `${w.label}: the proxy runs on ${w.machine}. Open in Browser uses VS Code's forwarded port; .test names need your own hosts file, and your browser must trust the exported root.`;
}

/** A short message for the Certificate Authority view, or undefined in a local window. */
export function trustNotice(w: RemoteWindow): string | undefined {
  if (!w.remote) return undefined;
  if (w.browserHere) return `${w.label}, with the browser on the same machine: your browser uses these trust stores.`;
  if (w.kind === "wsl")
    return "WSL: these are the distribution's trust stores, plus the Windows store, which your Windows browsers use.";
  return `${w.label}: these are the trust stores of ${w.machine}, not of your computer. For your browser, use Copy Root for Your Computer when you trust the CA.`;
}

/**
 * The confirmation Trust Local CA asks in a remote window whose browser is elsewhere: what it
 * changes, and that the browser on the user's computer will not trust the root. Undefined when no
 * confirmation is needed (local, or the browser runs on the same machine, or WSL, which also
 * installs into the Windows store).
 */
export function trustConfirmation(w: RemoteWindow): { message: string; detail: string } | undefined {
  if (!w.remote || w.browserHere || w.kind === "wsl") return undefined;
  return {
    message: `Trust the local CA on ${w.machine}?`,
    detail:
      `This window runs on ${w.machine} (${w.label}). Trust Local CA changes that machine's trust stores: ` +
      `programs there (curl, Node, its browsers) will trust the root, the browser on your computer will not. ` +
      `For your computer, copy the root and import it there as a certificate authority.`,
  };
}

/** The sentence the hosts-file confirmation starts with in a remote window; "" elsewhere. */
export function hostsNote(w: RemoteWindow): string {
  if (!w.remote || w.browserHere) return "";
  const windows = w.kind === "wsl" ? " Windows browsers read the Windows hosts file instead." : "";
  return (
    `This is the hosts file of ${w.machine} (${w.label}), not of your computer: the browser on your ` +
    `computer does not read it.${windows} *.localhost names need no hosts entry.\n\n`
  );
}

/** Where a route's URL opens from the user's browser: a URL, or why there is none, or both. */
export interface BrowserUrl {
  url?: string;
  note?: string;
}

/**
 * The URL that works from the user's browser for a route URL (https://NAME:PORT/path). Local
 * windows and browsers on the same machine keep it. Elsewhere VS Code's forwarded port for
 * `localhost:PORT` (`asExternalUri`) is used when it is a TCP forward to the user's own loopback (the
 * TLS stream and SNI pass through unchanged); a forward over plain-HTTP paths (code-server's
 * /proxy/PORT/, Codespaces) carries neither TLS nor the name, so there is no URL, only the way to get one.
 */
export async function browserUrl(
  url: string,
  w: RemoteWindow,
  asExternalUri: (uri: vscode.Uri) => Thenable<vscode.Uri>,
  parse: (value: string) => vscode.Uri,
): Promise<BrowserUrl> {
  if (!w.remote || w.browserHere) return { url };
  const target = new URL(url);
  const port = target.port || (target.protocol === "https:" ? "443" : "80");
  const external = new URL((await asExternalUri(parse(`${target.protocol}//localhost:${port}/`))).toString(true));
  const loopback = external.hostname === "localhost" || external.hostname === "127.0.0.1";
  if (!loopback || external.protocol !== target.protocol || external.pathname !== "/") {
    return {
      note:
        `${w.label} forwards the proxy's port as ${external.origin}${external.pathname}, plain HTTP without the ` +
        `name, so https://${target.host} does not open through it. Open it from a browser on ${w.machine}, or ` +
        `forward the port yourself (ssh -L ${port}:127.0.0.1:${port} …) and open ` +
        `https://${localhostName(target.hostname)}:${port}${target.pathname} with the exported root trusted on your computer.`,
    };
  }
  const name = target.hostname;
  const out = new URL(url);
  out.port = external.port;
  const note = name.endsWith(".localhost")
    ? undefined
    : `${name} must resolve to 127.0.0.1 on your computer (its hosts file), or use ${localhostName(name)}.`;
  return { url: out.toString(), note };
}

/** A `.localhost` name for a route's host ("shop.test" -> "shop.localhost"), which browsers resolve to loopback. */
function localhostName(host: string): string {
  if (host.endsWith(".localhost") || host === "localhost") return host;
  return `${host.split(".")[0] || "app"}.localhost`;
}

/** The message a Switchyard tree view shows about the window, by view id; undefined for none. */
export function viewMessage(viewId: string, w: RemoteWindow): string | undefined {
  if (viewId === "switchyard.routes") return routesNotice(w);
  if (viewId === "switchyard.certificateAuthority") return trustNotice(w);
  return undefined;
}

/**
 * Asks before Trust Local CA in a remote window whose browser is elsewhere (see
 * {@link trustConfirmation}); offers to copy the root PEM to the clipboard, which is the user's own
 * computer's. True when trusting on the remote machine should go ahead. `api` is the `vscode`
 * module, passed in so that this file loads without an extension host.
 */
export async function confirmRemoteTrust(api: typeof vscode, rootPem: () => Promise<string>): Promise<boolean> {
  const ask = trustConfirmation(currentWindow(api.env));
  if (!ask) return true;
  const trust = "Trust on Remote Machine";
  const copy = "Copy Root for Your Computer";
  const answer = await api.window.showWarningMessage(ask.message, { modal: true, detail: ask.detail }, trust, copy);
  if (answer === copy) {
    await api.env.clipboard.writeText(await rootPem());
    void api.window.showInformationMessage(
      "Copied the Switchyard root certificate (PEM). On your computer, save it as switchyard-root.pem and import it as a certificate authority (your browser's certificate settings, or the system store).",
    );
  }
  return answer === trust;
}

/**
 * The URL to open or copy for a route in this window (see {@link browserUrl}), saying what the user
 * needs to know about it; undefined (after saying why) when no URL works from the user's browser.
 */
export async function openableUrl(api: typeof vscode, url: string): Promise<string | undefined> {
  const w = currentWindow(api.env);
  const result = await browserUrl(
    url,
    w,
    (u) => api.env.asExternalUri(u),
    (v) => api.Uri.parse(v),
  );
  if (result.note && result.url) void api.window.showInformationMessage(`Switchyard: ${result.note}`);
  if (!result.url && result.note) void api.window.showWarningMessage(`Switchyard: ${result.note}`);
  return result.url;
}
