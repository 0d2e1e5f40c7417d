/**
 * Which leaf a terminated connection presents for a name its route serves: the route's one
 * wildcard leaf (`*.shop.test` for every `NAME.shop.test`), so a never-seen name under a wildcard
 * route costs no issuing and no new TLS context; or the name's own leaf, where browsers would reject
 * the wildcard (`*.test`, `*.localhost`, a suffix Switchyard cannot vouch for: ca/wildcardLeaf.ts),
 * where the CA may not issue it (its name constraints), for an exact route, and for a name the
 * wildcard does not cover (a wildcard covers one label only).
 */
import { browsersAcceptWildcard, wildcardCovers } from "../../ca/wildcardLeaf";
import type { RouteSetting } from "../../settings";

/** The name of the leaf to present for `serverName`, which `route` serves. */
export function leafNameFor(
  serverName: string,
  route: Pick<RouteSetting, "host"> | undefined,
  refusalFor: (name: string) => string | undefined,
): string {
  const pattern = route?.host.toLowerCase();
  if (!pattern?.startsWith("*.")) return serverName;
  if (!wildcardCovers(pattern, serverName) || !browsersAcceptWildcard(pattern)) return serverName;
  return refusalFor(pattern) === undefined ? pattern : serverName;
}
