/**
 * The one typed shape of the `switchyard.*` settings.
 *
 * Both the extension (vscode/config.ts reads workspace configuration into a flat object of
 * `switchyard.*` keys) and the CLI (`--config FILE`, a JSON object of the same keys) go through
 * {@link parseSettings}, so a setting means the same thing everywhere and is validated once.
 */
import { BlockList, isIP } from "node:net";
import { redactUrlCredentials } from "./urlCredentials";

/** Which key type leaf certificates get. ECDSA P-256 is the default: cheap enough to issue inside a handshake. */
export type KeyType = "ecdsa" | "rsa";

/** A redirect status for plain HTTP arriving on the TLS port. 307 by default: permanent ones get cached by browsers. */
export type RedirectStatus = 301 | 302 | 307 | 308;

/** One reverse-proxy route: requests for `host` (exact or `*.wildcard`) and optional path prefix go to `upstream`. */
export interface RouteSetting {
  host: string;
  upstream: string;
  pathPrefix?: string;
  /** Plain HTTP for this host is redirected to https unless this is false (then it is served over HTTP). */
  redirect: boolean;
  /** Pipe the raw TLS stream to a TLS upstream without terminating it. */
  passthrough: boolean;
  /** Rewrite the Host header to the upstream's host instead of preserving the client's. */
  rewriteHost: boolean;
  /** Accept any certificate from an https upstream (self-signed dev servers). */
  insecureUpstream: boolean;
}

/** Every `switchyard.*` setting, with defaults applied. */
export interface SwitchyardSettings {
  hosts: {
    /** Path of the hosts file to edit; undefined means the OS hosts file. */
    file?: string;
    /** Hostname to addresses. */
    mappings: Record<string, string[]>;
  };
  ca: {
    /** Where the CA lives; undefined means the per-user default. */
    directory?: string;
    keyType: KeyType;
    /** Extra DNS names or suffixes (".corp.example") the name constraints permit. */
    permittedNames: string[];
    /** Extra IP ranges in CIDR form the name constraints permit. */
    permittedIpRanges: string[];
    /** Create the CA without name constraints (to test a production name). Off by default, warned about. */
    unconstrained: boolean;
    /** Keep the root key after signing the intermediate. Off by default: a stolen CA dir then cannot mint a new intermediate. */
    keepRootKey: boolean;
  };
  devServers: {
    /** Notice dev servers started from VS Code terminals and tasks, and offer a route to each. */
    detect: boolean;
    /** Route detected dev servers without asking ("Always for this workspace"). */
    autoRoute: boolean;
    /** The name detected servers get (NAME.localhost); undefined means from package.json or the folder. */
    name?: string;
  };
  terminal: {
    /** Terminals and tasks get NODE_EXTRA_CA_CERTS and the combined CA bundle variables. */
    environment: boolean;
  };
  proxy: {
    listen: string[];
    /** Optional redirect-only plain-HTTP port. */
    httpPort?: number;
    sniffTimeoutMs: number;
    redirectStatus: RedirectStatus;
    routes: RouteSetting[];
    /**
     * Share on LAN: also listen on this machine's LAN addresses, answer mDNS for NAME.local and
     * serve the device onboarding page. Off by default; restricted in untrusted workspaces.
     */
    shareOnLan: boolean;
  };
}

/** A setting that was present but invalid; the default was used instead. */
export interface SettingsProblem {
  key: string;
  message: string;
}

/** The default listen spec: `localhost` resolves to 127.0.0.1 and ::1, and both get bound. */
export const DEFAULT_LISTEN = ["localhost:8443"];
export const DEFAULT_SNIFF_TIMEOUT_MS = 10_000;
export const DEFAULT_MAPPING_ADDRESSES = ["127.0.0.1", "::1"];

/** Settings keys that can change the hosts file, trust, or where the proxy binds: restricted in untrusted workspaces. */
export const RESTRICTED_KEYS = [
  "switchyard.hosts.file",
  "switchyard.hosts.mappings",
  "switchyard.ca.directory",
  "switchyard.ca.permittedNames",
  "switchyard.ca.permittedIpRanges",
  "switchyard.ca.unconstrained",
  "switchyard.ca.keepRootKey",
  "switchyard.proxy.listen",
  "switchyard.proxy.httpPort",
  "switchyard.proxy.shareOnLan",
  "switchyard.devServers.autoRoute",
] as const;

/** The settings with every default applied. */
export function defaultSettings(): SwitchyardSettings {
  return {
    hosts: { mappings: {} },
    ca: {
      keyType: "ecdsa",
      permittedNames: [],
      permittedIpRanges: [],
      unconstrained: false,
      keepRootKey: false,
    },
    devServers: { detect: true, autoRoute: false },
    terminal: { environment: true },
    proxy: {
      listen: [...DEFAULT_LISTEN],
      sniffTimeoutMs: DEFAULT_SNIFF_TIMEOUT_MS,
      redirectStatus: 307,
      routes: [],
      shareOnLan: false,
    },
  };
}

type Raw = Record<string, unknown>;

/**
 * Turns a flat object of `switchyard.*` keys (or the same keys nested: `{switchyard: {proxy: …}}`)
 * into typed settings. Unknown `switchyard.*` keys and invalid values are reported as problems and
 * fall back to defaults, so one typo never stops the rest from applying.
 */
export function parseSettings(input: unknown): { settings: SwitchyardSettings; problems: SettingsProblem[] } {
  const flat = flatten(input);
  const settings = defaultSettings();
  const problems: SettingsProblem[] = [];
  const problem = (key: string, message: string): void => {
    problems.push({ key, message });
  };

  for (const [key, value] of Object.entries(flat)) {
    // Unset, null and "" (the Settings UI's empty text box) all mean "use the default".
    if (value === undefined || value === null || value === "") continue;
    switch (key) {
      case "switchyard.hosts.file":
        if (isNonEmptyString(value)) settings.hosts.file = value;
        else problem(key, "must be a path to a hosts file");
        break;
      case "switchyard.hosts.mappings":
        settings.hosts.mappings = parseMappings(value, (m) => problem(key, m));
        break;
      case "switchyard.ca.directory":
        if (isNonEmptyString(value)) settings.ca.directory = value;
        else problem(key, "must be a directory path");
        break;
      case "switchyard.ca.keyType":
        if (value === "ecdsa" || value === "rsa") settings.ca.keyType = value;
        else problem(key, 'must be "ecdsa" or "rsa"');
        break;
      case "switchyard.ca.permittedNames":
        settings.ca.permittedNames = stringList(value, () => problem(key, "must be a list of names"));
        break;
      case "switchyard.ca.permittedIpRanges":
        settings.ca.permittedIpRanges = stringList(value, () => problem(key, "must be a list of CIDR ranges"));
        break;
      case "switchyard.ca.unconstrained":
      case "switchyard.ca.keepRootKey": {
        const field = key === "switchyard.ca.unconstrained" ? "unconstrained" : "keepRootKey";
        if (typeof value === "boolean") settings.ca[field] = value;
        else problem(key, "must be true or false");
        break;
      }
      case "switchyard.proxy.listen": {
        const list = stringList(value, () => problem(key, "must be a list of listen specs such as localhost:8443"));
        if (list.length > 0) settings.proxy.listen = list;
        break;
      }
      case "switchyard.proxy.httpPort":
        if (isPort(value)) settings.proxy.httpPort = value;
        else problem(key, "must be a port number between 1 and 65535");
        break;
      case "switchyard.proxy.sniffTimeoutMs":
        if (typeof value === "number" && Number.isFinite(value) && value >= 100 && value <= 600_000)
          settings.proxy.sniffTimeoutMs = value;
        else problem(key, "must be a number of milliseconds between 100 and 600000");
        break;
      case "switchyard.proxy.redirectStatus":
        if (value === 301 || value === 302 || value === 307 || value === 308) settings.proxy.redirectStatus = value;
        else problem(key, "must be one of 301, 302, 307, 308");
        break;
      case "switchyard.proxy.routes":
        settings.proxy.routes = parseRoutes(value, (m) => problem(key, m));
        break;
      case "switchyard.proxy.shareOnLan":
        if (typeof value === "boolean") settings.proxy.shareOnLan = value;
        else problem(key, "must be true or false");
        break;
      case "switchyard.devServers.detect":
      case "switchyard.devServers.autoRoute": {
        const field = key === "switchyard.devServers.detect" ? "detect" : "autoRoute";
        if (typeof value === "boolean") settings.devServers[field] = value;
        else problem(key, "must be true or false");
        break;
      }
      case "switchyard.devServers.name":
        if (
          typeof value === "string" &&
          /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(value)
        )
          settings.devServers.name = value.toLowerCase();
        else problem(key, 'must be a host name or label such as "shop" or "my-app.test"');
        break;
      case "switchyard.terminal.environment":
        if (typeof value === "boolean") settings.terminal.environment = value;
        else problem(key, "must be true or false");
        break;
      default:
        if (key.startsWith("switchyard.")) problem(key, "is not a Switchyard setting");
    }
  }
  return { settings, problems };
}

/** Parses `HOST=UPSTREAM_URL` as given to `switchyard serve --route`. */
export function parseRouteFlag(text: string): RouteSetting {
  const eq = text.indexOf("=");
  if (eq <= 0 || eq === text.length - 1) {
    throw new Error(`route "${text}" is not HOST=UPSTREAM_URL, e.g. my-awesome-service.test=http://localhost:3000`);
  }
  return routeFrom({ host: text.slice(0, eq), upstream: text.slice(eq + 1) });
}

function routeFrom(raw: Raw): RouteSetting {
  const host = raw.host;
  const upstream = raw.upstream;
  if (!isNonEmptyString(host)) throw new Error("a route needs a host");
  if (!isNonEmptyString(upstream)) throw new Error(`route ${host} needs an upstream URL`);
  const shown = redactUrlCredentials(upstream);
  let url: URL;
  try {
    url = new URL(upstream);
  } catch {
    throw new Error(`route ${host}: upstream "${shown}" is not a URL such as http://localhost:3000`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error(
      `route ${host}: upstream "${shown}" must start with http:// or https://, e.g. http://localhost:3000`,
    );
  }
  const refused = upstreamRefusal(url);
  if (refused) throw new Error(`route ${host}: upstream "${shown}" is refused: ${refused}`);
  const route: RouteSetting = {
    host: host.toLowerCase(),
    upstream,
    redirect: raw.redirect !== false,
    passthrough: raw.passthrough === true,
    rewriteHost: raw.rewriteHost === true,
    insecureUpstream: raw.insecureUpstream === true,
  };
  if (isNonEmptyString(raw.pathPrefix)) route.pathPrefix = raw.pathPrefix;
  if (route.passthrough && url.protocol !== "https:") {
    throw new Error(`route ${host}: a passthrough route forwards raw TLS, so its upstream must be https://`);
  }
  return route;
}

/**
 * Link-local addresses: 169.254.0.0/16 holds the cloud metadata services (169.254.169.254 hands out
 * a machine's credentials on AWS, GCP, Azure), fe80::/10 is IPv6 link-local; fd00:ec2::254 is AWS's
 * IPv6 metadata address. IPv4-mapped IPv6 forms are matched as IPv4 by BlockList.
 */
const LINK_LOCAL = new BlockList();
LINK_LOCAL.addSubnet("169.254.0.0", 16, "ipv4");
LINK_LOCAL.addSubnet("fe80::", 10, "ipv6");
LINK_LOCAL.addAddress("fd00:ec2::254", "ipv6");

/** Names that resolve to a metadata service on the cloud machines that define them. */
const METADATA_NAMES = new Set(["metadata.google.internal", "metadata.goog", "instance-data.ec2.internal"]);

/**
 * Why an upstream is refused as link-local or a cloud metadata service, or undefined. A route is
 * reachable by any page that can name its host, so a route there would hand that service's answers
 * (a cloud machine's credentials) to whatever reaches the proxy. The URL parser has already turned
 * other IPv4 spellings (`0xA9FEA9FE`, `2852039166`) into dotted form. Every way a route is added
 * (settings, `serve --route`, the control socket) should ask this.
 */
export function upstreamRefusal(url: URL): string | undefined {
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  const family = isIP(host);
  if (METADATA_NAMES.has(host.replace(/\.$/, "")))
    return `${host} is a cloud metadata service, which hands out the machine's credentials; Switchyard does not proxy to it`;
  if (family === 0 || !LINK_LOCAL.check(host, family === 4 ? "ipv4" : "ipv6")) return undefined;
  return (
    `${host} is a link-local address (169.254.0.0/16 or fe80::/10), where cloud metadata services ` +
    `(169.254.169.254) hand out the machine's credentials; Switchyard does not proxy to link-local upstreams. ` +
    `Use the dev server's loopback or LAN address instead`
  );
}

function parseRoutes(value: unknown, problem: (m: string) => void): RouteSetting[] {
  if (!Array.isArray(value)) {
    problem("must be a list of {host, upstream} objects");
    return [];
  }
  const routes: RouteSetting[] = [];
  for (const item of value) {
    try {
      if (typeof item !== "object" || item === null) throw new Error("each route must be an object");
      routes.push(routeFrom(item as Raw));
    } catch (e) {
      problem((e as Error).message);
    }
  }
  return routes;
}

function parseMappings(value: unknown, problem: (m: string) => void): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    problem("must be an object of hostname to address or list of addresses");
    return out;
  }
  for (const [name, addrs] of Object.entries(value as Raw)) {
    if (typeof addrs === "string") out[name] = [addrs];
    else if (Array.isArray(addrs) && addrs.every((a) => typeof a === "string"))
      out[name] = addrs.length > 0 ? (addrs as string[]) : [...DEFAULT_MAPPING_ADDRESSES];
    else if (addrs === true) out[name] = [...DEFAULT_MAPPING_ADDRESSES];
    else problem(`${name}: addresses must be a string or a list of strings`);
  }
  return out;
}

function flatten(input: unknown, prefix = ""): Raw {
  const out: Raw = {};
  if (typeof input !== "object" || input === null || Array.isArray(input)) return out;
  for (const [k, v] of Object.entries(input as Raw)) {
    const key = prefix ? `${prefix}.${k}` : k;
    const isLeafKey = /^switchyard\.(hosts|ca|proxy)\.[A-Za-z]+$/.test(key);
    if (
      !isLeafKey &&
      typeof v === "object" &&
      v !== null &&
      !Array.isArray(v) &&
      (key === "switchyard" || key.split(".").length < 3)
    ) {
      Object.assign(out, flatten(v, key));
    } else {
      out[key] = v;
    }
  }
  return out;
}

function stringList(value: unknown, problem: () => void): string[] {
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value as string[];
  if (typeof value === "string") return [value];
  problem();
  return [];
}

function isNonEmptyString(v: unknown): v is string {
  return typeof v === "string" && v.trim().length > 0;
}

function isPort(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 1 && v <= 65535;
}
