/**
 * The control protocol of a running proxy, version 1: one JSON object per line each way, over the
 * per-user control socket. A client (`switchyard run`, the extension's detection) adds routes it
 * owns; they live as long as its connection and its owner process. Pure: parsing and checking only.
 */

import { upstreamRefusal, type RouteSetting, type SwitchyardSettings } from "../settings";
import { redactUrlCredentials } from "../urlCredentials";

/** The protocol version this build speaks; a request with another gets a "version" error. */
export const CONTROL_PROTOCOL_VERSION = 1;

/** Who asked for a route (shown beside it in `serve`'s log and the panel). */
export interface RouteOwner {
  pid: number;
  /** The command line, for people: "vite --port 5173". */
  command?: string;
  /**
   * How the proxy knows `pid` (set by the proxy, never taken from a client): "socket" when it is
   * the process on the other end of the connection or one of its descendants (Linux, read from the
   * kernel); "claimed" when only the client's word was there to go on.
   */
  pidFrom?: "socket" | "claimed";
}

/** A route added through the control socket. */
export interface DynamicRoute {
  host: string;
  upstream: string;
  /** "run" (switchyard run) or "detected" (a dev server VS Code found). */
  source: "run" | "detected";
  owner: RouteOwner;
}

/** A route as `list` shows it: configured ones come from the settings. */
export interface ListedRoute {
  host: string;
  upstream: string;
  source: "settings" | "run" | "detected";
  owner?: RouteOwner;
}

/** A listening address of the proxy, as `hello` and `list` report it. */
export interface ControlBinding {
  address: string;
  port: number;
  family: 4 | 6;
}

/**
 * Client -> proxy, one JSON object per line. `reserve` holds a name for its connection before the
 * client has an upstream (run asks before it starts its command, so two runs of one name cannot
 * both start theirs); the same connection's `add` then routes it.
 */
export type ControlRequest =
  | { v: 1; id: number; op: "hello" }
  | { v: 1; id: number; op: "reserve"; host: string; owner: RouteOwner }
  | { v: 1; id: number; op: "add"; route: DynamicRoute }
  | { v: 1; id: number; op: "remove"; host: string }
  | { v: 1; id: number; op: "list" };

/** Proxy -> client: the reply to the request with the same id. */
export type ControlReply =
  | {
      v: 1;
      id: number;
      ok: true;
      pid?: number;
      bindings?: ControlBinding[];
      routes?: ListedRoute[];
      /** `hello`: the root of the CA the proxy issues from. */
      rootFile?: string;
      /** `reserve`/`add`: what the proxy changed in the request (an owner pid it could not accept). */
      note?: string;
    }
  | { v: 1; id: number; ok: false; error: string; code: ControlErrorCode; owner?: RouteOwner };

/** Why a request was refused, for clients that act on it. */
export type ControlErrorCode = "bad-request" | "version" | "taken" | "not-found" | "invalid-route" | "busy" | "idle";

/** A line that is not a request this version understands; `id` is kept when it could be read. */
export class ControlRequestError extends Error {
  constructor(
    message: string,
    readonly code: ControlErrorCode,
    readonly id: number,
  ) {
    super(message);
    this.name = "ControlRequestError";
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The host names a dynamic route may take: lower-case DNS labels, no wildcard, no port. */
const HOST_RE = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** Parses one request line; throws {@link ControlRequestError} with a message for the client. */
export function parseControlRequest(line: string): ControlRequest {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    throw new ControlRequestError("a request is one JSON object per line", "bad-request", 0);
  }
  if (!isObject(raw)) throw new ControlRequestError("a request is one JSON object per line", "bad-request", 0);
  const id = typeof raw.id === "number" && Number.isInteger(raw.id) ? raw.id : 0;
  if (raw.v !== CONTROL_PROTOCOL_VERSION)
    throw new ControlRequestError(
      `protocol version ${String(raw.v)} is not spoken here (this proxy speaks ${CONTROL_PROTOCOL_VERSION}); update switchyard`,
      "version",
      id,
    );
  switch (raw.op) {
    case "hello":
    case "list":
      return { v: 1, id, op: raw.op };
    case "remove":
      if (typeof raw.host !== "string") throw new ControlRequestError("remove needs a host", "bad-request", id);
      return { v: 1, id, op: "remove", host: raw.host.toLowerCase() };
    case "add":
      return { v: 1, id, op: "add", route: parseDynamicRoute(raw.route, id) };
    case "reserve":
      return { v: 1, id, op: "reserve", host: parseHost(raw.host, id), owner: parseOwner(raw.owner, id) };
    default:
      throw new ControlRequestError(`unknown operation ${JSON.stringify(raw.op)}`, "bad-request", id);
  }
}

function parseHost(raw: unknown, id: number): string {
  const host = typeof raw === "string" ? raw.toLowerCase() : "";
  if (!HOST_RE.test(host))
    throw new ControlRequestError(
      `"${stripControls(String(raw))}" is not a host name such as my-app.localhost`,
      "invalid-route",
      id,
    );
  return host;
}

/** Client text is printed by the proxy and by other clients: no terminal control sequences in it. */
export function stripControls(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, "");
}

function parseOwner(raw: unknown, id: number): RouteOwner {
  const owner = isObject(raw) ? raw : {};
  const pid = typeof owner.pid === "number" && Number.isInteger(owner.pid) && owner.pid > 0 ? owner.pid : 0;
  if (!pid) throw new ControlRequestError("add needs owner.pid (the process the route belongs to)", "bad-request", id);
  return { pid, ...(typeof owner.command === "string" ? { command: stripControls(owner.command).slice(0, 200) } : {}) };
}

function parseDynamicRoute(raw: unknown, id: number): DynamicRoute {
  if (!isObject(raw)) throw new ControlRequestError("add needs a route object", "bad-request", id);
  const host = parseHost(raw.host, id);
  let url: URL;
  try {
    url = new URL(String(raw.upstream));
  } catch {
    throw new ControlRequestError(
      `upstream "${stripControls(redactUrlCredentials(String(raw.upstream)))}" is not a URL`,
      "invalid-route",
      id,
    );
  }
  const shown = stripControls(redactUrlCredentials(url.href));
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new ControlRequestError(`upstream "${shown}" must be http:// or https://`, "invalid-route", id);
  // The same refusal as routes from settings and `serve --route` (link-local, cloud metadata).
  const refused = upstreamRefusal(url);
  if (refused) throw new ControlRequestError(`upstream "${shown}": ${refused}`, "invalid-route", id);
  return {
    host,
    upstream: url.href.replace(/\/$/, ""),
    source: raw.source === "detected" ? "detected" : "run",
    owner: parseOwner(raw.owner, id),
  };
}

/** A dynamic route as a proxy route: https with a redirect from plain HTTP, the client's Host kept. */
export function routeSettingFor(route: Pick<DynamicRoute, "host" | "upstream">): RouteSetting {
  return {
    host: route.host,
    upstream: route.upstream,
    redirect: true,
    passthrough: false,
    rewriteHost: false,
    insecureUpstream: false,
  };
}

/** The settings with the dynamic routes after the configured ones; a host the settings route already is left to them. */
export function withDynamicRoutes(settings: SwitchyardSettings, routes: readonly DynamicRoute[]): SwitchyardSettings {
  const extra = routes.filter((d) => !settings.proxy.routes.some((r) => r.host === d.host));
  return {
    ...settings,
    proxy: { ...settings.proxy, routes: [...settings.proxy.routes, ...extra.map(routeSettingFor)] },
  };
}
