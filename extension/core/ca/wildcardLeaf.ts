/**
 * When one wildcard leaf may stand in for the names a wildcard route serves, as browsers decide.
 *
 * A wildcard covers exactly one left-most label (RFC 6125 6.4.3: `*.shop.test` covers `a.shop.test`,
 * neither `shop.test` nor `a.b.shop.test`). Chromium accepts a wildcard only when what follows it is
 * not a registry-controlled domain: it looks the name up in the public suffix list (ICANN section)
 * and counts a top-level label it does not know as a registry too (net/cert/x509_certificate.cc,
 * VerifyHostname, with INCLUDE_UNKNOWN_REGISTRIES). So `*.test`, `*.localhost` and `*.local` are
 * rejected, `*.shop.test` is accepted; `*.co.uk` is rejected and `*.app.co.uk` accepted, which only
 * the public suffix list can tell. Switchyard does not ship that list, so it serves a wildcard leaf
 * only under the special-use development suffixes, which are never delegated and so never in the list
 * (`test`, `localhost`: RFC 6761; `local`: RFC 6762; `home.arpa`: RFC 8375; `internal`): there the
 * registry is the suffix itself, and one label between it and the wildcard is enough. Any other
 * name gets its own leaf, as does every name when the CA may not issue the wildcard (its name
 * constraints, checked by the caller).
 */
import { DEFAULT_PERMITTED_NAMES, normaliseName } from "./constraints";

/** Suffixes no registry controls and no browser finds in the public suffix list. */
const UNDELEGATED_SUFFIXES: readonly string[] = DEFAULT_PERMITTED_NAMES;

/** True when browsers accept `pattern` (a `*.` wildcard) as a certificate's name for the names under it. */
export function browsersAcceptWildcard(pattern: string): boolean {
  const name = normaliseName(pattern);
  if (!name.startsWith("*.")) return false;
  const base = name.slice(2);
  if (base.split(".").some((label) => label === "" || label.includes("*"))) return false;
  // At least one label between the wildcard and the (unregistered) suffix: *.shop.test, not *.test.
  return UNDELEGATED_SUFFIXES.some((suffix) => base.endsWith(`.${suffix}`));
}

/** True when `host` is exactly one label under `pattern`'s base: what the wildcard covers. */
export function wildcardCovers(pattern: string, host: string): boolean {
  const name = normaliseName(pattern);
  if (!name.startsWith("*.")) return false;
  const suffix = name.slice(1);
  const h = normaliseName(host);
  if (!h.endsWith(suffix)) return false;
  const label = h.slice(0, h.length - suffix.length);
  return label.length > 0 && !label.includes(".") && label !== "*";
}
