/**
 * Words for the proxy's own problems rather than one connection's: an exception nothing caught, a
 * listener that stopped accepting, and a leaf the CA's folder would not take.
 */
import { detail, errorCode, type Explained } from "./explained";

/**
 * An exception nothing caught on the proxy's thread. The proxy goes on (one connection's bug must
 * not take every binding down), but what that connection was doing is lost.
 */
export function explainInternalError(error: unknown): Explained {
  const where = error instanceof Error && error.stack ? ` (${error.stack.split("\n")[1]?.trim() ?? ""})` : "";
  return {
    code: "INTERNAL_ERROR",
    explanation: `the proxy hit an internal error and kept running: ${detail(error)}${where}; a connection in flight may have been cut. If it happens again, restart the proxy (Switchyard: Restart Proxy, or stop and start switchyard serve) and report it with this log`,
  };
}

/** A listening socket that failed after it was bound (accept failed, the address went away). */
export function explainListenerFailure(error: unknown, where: string): Explained {
  const code = errorCode(error);
  const fix =
    code === "EMFILE" || code === "ENFILE"
      ? "the process ran out of file descriptors (raise `ulimit -n`, or close connections), then restart the proxy"
      : "restart the proxy (or change a proxy setting) to listen there again";
  return {
    code,
    explanation: `${where} stopped accepting connections (${detail(error)}): ${fix}`,
  };
}

/** A leaf that could not be saved in the CA's leaves folder. */
export function explainLeafCacheWriteFailure(file: string, error: unknown): Explained {
  return {
    code: "LEAF_CACHE_WRITE_FAILED",
    explanation: `a certificate could not be saved as ${file} (${detail(error)}): the proxy still serves it, but issues it again after each restart. Make that folder writable by this user (or move what is in its way); this is reported once until a save succeeds`,
  };
}
