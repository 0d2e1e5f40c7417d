/** Names that can be mapped but will not behave the way a user expects, with the reason. */

/** Why a name may not work as intended. */
export interface HostnameWarning {
  name: string;
  code: "localhost-tld" | "hsts-preloaded-tld" | "mdns-local";
  message: string;
}

const HSTS_PRELOADED = ["dev", "app", "page"];

/** Warnings for a normalized hostname; empty when the name is fine (e.g. under `.test`). */
export function hostnameWarnings(name: string): HostnameWarning[] {
  const tld = name.slice(name.lastIndexOf(".") + 1);
  if (name === "localhost" || tld === "localhost") {
    return [
      {
        name,
        code: "localhost-tld",
        message: `${name}: names under .localhost already resolve to loopback (RFC 6761) in browsers and many resolvers, which may ignore the hosts file for them`,
      },
    ];
  }
  if (HSTS_PRELOADED.includes(tld)) {
    return [
      {
        name,
        code: "hsts-preloaded-tld",
        message: `${name}: .${tld} is a real, HSTS-preloaded TLD, so browsers insist on https and the name may exist in public DNS; prefer .test`,
      },
    ];
  }
  if (tld === "local") {
    return [
      {
        name,
        code: "mdns-local",
        message: `${name}: .local is resolved by mDNS on macOS (and often Linux), which can slow or bypass hosts-file lookups; prefer .test`,
      },
    ];
  }
  return [];
}
