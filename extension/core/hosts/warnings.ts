/** Names and mappings that can be written but will not behave the way a user expects, with the reason. */
import { isIPv4, isIPv6 } from "node:net";
import { domainToUnicode } from "node:url";

/** Why a name may not work as intended. */
export interface HostnameWarning {
  name: string;
  code: "localhost-tld" | "hsts-preloaded-tld" | "mdns-local" | "public-name" | "mixed-script" | "localhost-elsewhere";
  message: string;
}

const HSTS_PRELOADED = ["dev", "app", "page"];
/** Suffixes that never exist in public DNS (RFC 2606, RFC 6761, RFC 8375, ICANN's .internal). */
const RESERVED_SUFFIXES = ["test", "localhost", "invalid", "example", "internal", "home.arpa", "local"];
/** Scripts whose letters are commonly confused with each other in one name (homoglyphs). */
const SCRIPTS = ["Latin", "Cyrillic", "Greek", "Armenian", "Cherokee", "Georgian"].map(
  (name) => [name, new RegExp(`\\p{Script=${name}}`, "u")] as const,
);

/** Warnings for a normalized (punycode) hostname; empty when the name is fine (e.g. under `.test`). */
export function hostnameWarnings(name: string): HostnameWarning[] {
  const tld = name.slice(name.lastIndexOf(".") + 1);
  const warnings = [...mixedScript(name)];
  if (name === "localhost" || tld === "localhost") {
    warnings.push({
      name,
      code: "localhost-tld",
      message: `${name}: names under .localhost already resolve to loopback (RFC 6761) in browsers and many resolvers, which may ignore the hosts file for them`,
    });
  } else if (HSTS_PRELOADED.includes(tld)) {
    warnings.push({
      name,
      code: "hsts-preloaded-tld",
      message: `${name}: .${tld} is a real, HSTS-preloaded TLD, so browsers insist on https and the name may exist in public DNS; prefer .test`,
    });
  } else if (tld === "local") {
    warnings.push({
      name,
      code: "mdns-local",
      message: `${name}: .local is resolved by mDNS on macOS (and often Linux), which can slow or bypass hosts-file lookups; prefer .test`,
    });
  } else if (name.includes(".") && !RESERVED_SUFFIXES.some((s) => name === s || name.endsWith(`.${s}`))) {
    warnings.push({
      name,
      code: "public-name",
      message: `${name} is not under a development suffix (.test, .localhost, .internal, .home.arpa), so it can be a real site: while mapped, this machine reaches your address instead of it; prefer ${name.slice(0, name.lastIndexOf("."))}.test`,
    });
  }
  return warnings;
}

/** A label that mixes letters of several confusable scripts (`аpple` with a Cyrillic а) looks like another name. */
function mixedScript(name: string): HostnameWarning[] {
  const unicode = domainToUnicode(name);
  for (const label of unicode.split(".")) {
    const scripts = new Set<string>();
    for (const ch of label) for (const [script, pattern] of SCRIPTS) if (pattern.test(ch)) scripts.add(script);
    if (scripts.size > 1)
      return [
        {
          name,
          code: "mixed-script",
          message: `${name} (${unicode}) mixes ${[...scripts].join(" and ")} letters in "${label}", so it can look exactly like another name; check that it is the name you meant`,
        },
      ];
  }
  return [];
}

/** Warnings about where a name is mapped to: `localhost` anywhere but loopback breaks tools that rely on it. */
export function mappingWarnings(name: string, addresses: readonly string[]): HostnameWarning[] {
  if (name !== "localhost" && !name.endsWith(".localhost")) return [];
  const elsewhere = addresses.filter((a) => !isLoopback(a));
  if (elsewhere.length === 0) return [];
  return [
    {
      name,
      code: "localhost-elsewhere",
      message: `${name} mapped to ${elsewhere.join(", ")}: programs expect localhost to be this machine (127.0.0.1, ::1), and sending it elsewhere can expose what they meant to keep local`,
    },
  ];
}

function isLoopback(address: string): boolean {
  if (isIPv4(address)) return address.startsWith("127.");
  return isIPv6(address) && (address === "::1" || /^::ffff:127\./i.test(address));
}
