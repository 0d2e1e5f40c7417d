/**
 * Lazy access to node-forge. Loading the whole package costs ~60 ms, so activation never does it:
 * issuance loads only forge's ASN.1 module (~6 ms, once), and PKCS#12 export loads the rest.
 */
import type * as Forge from "node-forge";

/** forge's ASN.1 API: what the X.509 builder uses. */
export type Asn1Api = typeof Forge.asn1;
/** One ASN.1 node. */
export type Asn1 = Forge.asn1.Asn1;
/** The whole of node-forge. */
export type ForgeApi = typeof Forge;

let asn1Loaded: Asn1Api | undefined;
let forgeLoaded: ForgeApi | undefined;

// A function-scoped require (the project is CommonJS) rather than import(): esbuild keeps it lazy in
// the bundle, and it resolves the same under tsx, node:test and the extension host.

/** forge's ASN.1 module, loaded on first use (the promise keeps callers free to move to import() later). */
export async function loadAsn1(): Promise<Asn1Api> {
  return asn1Sync();
}

/** forge's ASN.1 module, loading it synchronously on first use. */
export function asn1Sync(): Asn1Api {
  asn1Loaded ??= require("node-forge/lib/asn1") as Asn1Api;
  return asn1Loaded;
}

/** All of node-forge (PKCS#12, PBE), loaded on first use. */
export async function loadForge(): Promise<ForgeApi> {
  forgeLoaded ??= require("node-forge") as ForgeApi;
  return forgeLoaded;
}
