/**
 * Every engine of the core, in one module. The extension loads it on first use (bundled separately
 * as dist/engines.js), so activation parses only the thin adapter; the CLI bundles it directly.
 */
export * as ca from "./ca";
export * as hosts from "./hosts";
export { WorkerProxy } from "./proxy/worker/workerProxy";
export { listInterfaces } from "./net/interfaces";
export { resolveName } from "./net/resolution";
export { findMismatches } from "./net/mismatches";
export { probeUrl } from "./net/probe";
export { formatProbeReport } from "./net/probeText";
