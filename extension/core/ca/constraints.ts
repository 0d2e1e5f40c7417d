/**
 * Which names this CA may certify, and why not. The same set is encoded into the Name Constraints
 * extension (so real verifiers enforce it) and checked here first (so a refusal explains itself).
 */
import { isLdhLabel } from "../hosts/validate";
import { ipBytes, parseCidr, rangeContains, type IpRange } from "./ipRange";

/** Development names every constrained CA permits: the names and all their subdomains. */
export const DEFAULT_PERMITTED_NAMES = ["localhost", "test", "internal", "home.arpa", "local"];
/** Loopback ranges every constrained CA permits. */
export const DEFAULT_PERMITTED_IP_RANGES = ["127.0.0.0/8", "::1/128"];

/** The names a CA is constrained to, or `undefined` for an unconstrained CA. */
export interface PermittedNames {
  /** DNS names without a leading dot; each permits itself and every name below it (RFC 5280 4.2.1.10). */
  dns: string[];
  ip: IpRange[];
}

/** The permitted set for a CA built from the user's extra names and ranges (invalid entries throw). */
export function permittedNamesFrom(extraNames: string[], extraIpRanges: string[]): PermittedNames {
  const dns = new Set(DEFAULT_PERMITTED_NAMES);
  for (const raw of extraNames) {
    const name = normaliseName(raw).replace(/^\*?\./, "");
    if (!isDnsName(name)) throw new Error(`permitted name "${raw}" is not a DNS name or suffix such as .corp.example`);
    dns.add(name);
  }
  const ip = [...DEFAULT_PERMITTED_IP_RANGES, ...extraIpRanges].map(parseCidr);
  const seen = new Set<string>();
  return { dns: [...dns], ip: ip.filter((r) => !seen.has(r.cidr) && seen.add(r.cidr)) };
}

/** Lower case, no trailing dot: how names are compared and cached. */
export function normaliseName(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, "");
}

/**
 * The name as a leaf's SAN holds it and the leaf cache files it: normalised, an IPv6 address
 * without brackets. For a name {@link refusalFor} permits, this is a DNS name, `*.` wildcard or IP
 * address, never the caller's bytes as given.
 */
export function canonicalName(name: string): string {
  return normaliseName(name).replace(/^\[|\]$/g, "");
}

/** Labels that browsers treat as top-level, so `*.` directly under them is refused. */
const SUFFIX_WILDCARD_BASES = new Set(DEFAULT_PERMITTED_NAMES);

/** The same label rule as `hosts add` (letters, digits, inner hyphens; no "_"). */
function isDnsName(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  return name.split(".").every(isLdhLabel);
}

/** Special-use suffixes a certificate may sit under but not be for ("test" alone names no host). */
const BARE_SUFFIXES = new Set(DEFAULT_PERMITTED_NAMES.filter((n) => n !== "localhost"));

/**
 * Why `name` (a DNS name, `*.wildcard` or IP address) cannot get a certificate from a CA with
 * `permitted` constraints (undefined: unconstrained), or undefined when it can.
 */
export function refusalFor(rawName: string, permitted: PermittedNames | undefined): string | undefined {
  const name = normaliseName(rawName);
  if (name === "") return "the name is empty; a certificate needs at least one DNS name or IP address";
  const ip = ipBytes(name.replace(/^\[|\]$/g, ""));
  if (ip) {
    if (!permitted || permitted.ip.some((r) => rangeContains(r, ip))) return undefined;
    return (
      `${name} is outside this CA's permitted IP ranges (${permitted.ip.map((r) => r.cidr).join(", ")}). ` +
      `Add it to switchyard.ca.permittedIpRanges and recreate the CA (switchyard ca create --force)`
    );
  }
  const wildcard = name.startsWith("*.");
  const base = wildcard ? name.slice(2) : name;
  if (!isDnsName(base)) {
    return name.includes("*")
      ? `a wildcard must be the whole left-most label, as in *.my-awesome-service.test`
      : `${JSON.stringify(name)} is not a valid DNS name (letters, digits and inner hyphens, no "_", labels of at most 63 characters)`;
  }
  if (!wildcard && BARE_SUFFIXES.has(base))
    return `"${name}" is a whole suffix, not a host name; use a name under it, such as my-app.${base}`;
  if (wildcard && (!base.includes(".") || SUFFIX_WILDCARD_BASES.has(base))) {
    return (
      `browsers reject a wildcard directly under a top-level label such as *.${base}; ` +
      `use a wildcard one level down (*.my-awesome-service.${base}) or list each name`
    );
  }
  if (!permitted) return undefined;
  if (permitted.dns.some((p) => base === p || base.endsWith(`.${p}`))) return undefined;
  return (
    `"${name}" is outside this CA's name constraints (${permitted.dns.join(", ")}), so browsers would reject it anyway. ` +
    `Use a development name such as ${base.split(".")[0] ?? "my-app"}.test, or add it to switchyard.ca.permittedNames ` +
    `and recreate the CA (switchyard ca create --force); widening the names needs a new CA`
  );
}
