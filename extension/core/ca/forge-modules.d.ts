/** Types for the one node-forge sub-module loaded on the issuance hot path (the full package costs ~60 ms to load). */
declare module "node-forge/lib/asn1" {
  import type { asn1 } from "node-forge";
  const api: typeof asn1;
  export = api;
}
