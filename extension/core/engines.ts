/**
 * Every engine of the core, in one module. The extension loads it on first use (bundled separately
 * as dist/engines.js), so activation parses only the thin adapter; the VSIX's elevated trust step
 * (cli/elevatedTrust.ts) loads it too. The CLI bundles the core directly.
 */
export * as ca from "./ca";
export * as hosts from "./hosts";
export { WorkerProxy } from "./proxy/worker/workerProxy";
export { ServingCa } from "./proxy/worker/servingCa";
export { watchCaDir } from "./ca/caWatch";
export { listInterfaces } from "./net/interfaces";
export { resolveName } from "./net/resolution";
export { findMismatches } from "./net/mismatches";
export { probeUrl } from "./net/probe";
export { formatProbeReport } from "./net/probeText";
export { invokingUser } from "./ca/trust/sudoUser";
export { rootWithProbe } from "./ca/check/probeLeaf";
