/**
 * Failures in plain words. Every failed connection or request gets an explanation a user can act
 * on, because "ECONNRESET" or "alert 48" alone does not say what to do.
 *
 * The words live in explain/, one file per stage of a connection in the proxy's folder order:
 * accept.ts, http.ts, h2.ts, upstream.ts, then proxy.ts for the proxy's own problems; explained.ts
 * holds the shape they share. This index re-exports them, so callers import from one place.
 */
export { errorCode, type Explained } from "./explain/explained";
export * from "./explain/accept";
export * from "./explain/client";
export * from "./explain/http";
export * from "./explain/h2";
export * from "./explain/upstream";
export * from "./explain/proxy";
