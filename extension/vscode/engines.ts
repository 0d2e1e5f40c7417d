/**
 * The core engines, loaded on first use. scripts/build.mjs bundles `../core/engines` into its own
 * file (dist/engines.js) and keeps it out of dist/extension.js, so activation does not pay for
 * parsing node-forge, the proxy or the hosts editor.
 */
export type Engines = typeof import("../core/engines");

let loading: Promise<Engines> | undefined;

export function engines(): Promise<Engines> {
  loading ??= import("../core/engines");
  return loading;
}
