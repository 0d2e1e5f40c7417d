/**
 * A name for each detected dev server that no route and no pending offer uses: the app's name for
 * the first (shop.localhost), then the port beside it for the next (shop-5174.localhost), so two
 * servers are never offered the same name.
 */
import { appHostFor } from "./devServerEnv";

/** How many numbered variants are tried before giving up on a readable name. */
const MAX_SUFFIX = 100;

/**
 * `base` (a host such as shop.localhost or shop.test) if no name in `taken` is it, else the same
 * name with `-PORT` on its first label, then `-PORT-2`, `-PORT-3`… Names compare case-insensitively.
 */
export function uniqueServerHost(base: string, port: number, taken: Iterable<string>): string {
  const used = new Set([...taken].map((h) => h.toLowerCase()));
  const host = appHostFor(base);
  if (!used.has(host)) return host;
  const dot = host.indexOf(".");
  const [label, rest] = [host.slice(0, dot), host.slice(dot)];
  for (let n = 1; n <= MAX_SUFFIX; n++) {
    const suffix = n === 1 ? `-${port}` : `-${port}-${n}`;
    // A DNS label is at most 63 characters: the app's part gives way to the suffix.
    const candidate = `${label.slice(0, 63 - suffix.length).replace(/-+$/, "")}${suffix}${rest}`;
    if (!used.has(candidate)) return candidate;
  }
  throw new Error(`no free name for the dev server on port ${port}: ${MAX_SUFFIX} names like ${host} are taken`);
}
