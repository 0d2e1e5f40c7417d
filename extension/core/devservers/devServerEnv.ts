/**
 * The name and environment a dev server gets from `switchyard run` (and from VS Code terminals):
 * a port to listen on, the Switchyard root for Node's TLS, and the variables that make a stock
 * framework accept the proxy's Host header without a config change.
 */
import { publicUrl, standardPortsConfigured } from "../publicUrl";
import { webpackSocketEnv } from "./webpackSocket";

/** A name that cannot be a host name. */
export class AppNameError extends Error {
  constructor(name: string) {
    super(
      `"${name}" cannot be a host name: use letters, digits and hyphens, e.g. "shop" (https://shop.localhost) or "my-app.test"`,
    );
    this.name = "AppNameError";
  }
}

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * `shop` means `shop.localhost` (browsers and curl resolve every *.localhost name to loopback by
 * themselves, RFC 6761, so no hosts entry is needed); a name with a dot is used as written.
 */
export function appHostFor(name: string): string {
  const host = name.trim().toLowerCase().replace(/\.$/, "");
  const full = host.includes(".") ? host : `${host}.localhost`;
  if (full.length > 253 || !full.split(".").every((l) => LABEL.test(l))) throw new AppNameError(name);
  return full;
}

/** True when clients reach the name without a hosts entry (Chromium, Firefox and curl resolve *.localhost). */
export function needsNoHostsEntry(host: string): boolean {
  return host === "localhost" || host.endsWith(".localhost");
}

/**
 * The variables for the dev server. Vite (and what is built on it: Astro, SvelteKit, Nuxt, Vitest's
 * UI) reads `__VITE_ADDITIONAL_SERVER_ALLOWED_HOSTS`; Vite and webpack-dev-server already accept
 * every *.localhost name. Next.js and Angular check hosts only through their config files, which a
 * variable cannot reach: for them the default .localhost name is what works with no change.
 */
export function devServerEnv(options: {
  host: string;
  port: number;
  rootPemFile?: string;
  /** The port the proxy serves the name on, for hot-reload clients that must be told it (webpackSocket.ts). */
  proxyPort?: number;
}): Record<string, string> {
  return {
    PORT: String(options.port),
    ...(options.rootPemFile ? { NODE_EXTRA_CA_CERTS: options.rootPemFile } : {}),
    __VITE_ADDITIONAL_SERVER_ALLOWED_HOSTS: options.host,
    ...webpackSocketEnv(options.proxyPort),
  };
}

/**
 * The URL a browser opens for `host` through a proxy listening on `port`: no port for 443 or when
 * standard ports are enabled for it (core/publicUrl.ts builds every shown URL).
 */
export function httpsUrl(host: string, port: number | undefined): string {
  return publicUrl(host, { tlsPort: port, standardPorts: standardPortsConfigured(port) });
}
