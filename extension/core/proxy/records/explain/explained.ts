/**
 * The shape every failure's words take (`Explained`), and the two readings of an error that the
 * stages' explanations share: its code, and its detail.
 */

/** A failure ready for a record and an error page. */
export interface Explained {
  /** The socket error code, TLS alert or our own code (TLS_FROM_PLAIN_UPSTREAM, …). */
  code: string;
  explanation: string;
}

/** Error codes that carry a `code` property (Node system and OpenSSL errors). */
export function errorCode(error: unknown): string {
  if (typeof error === "object" && error !== null && "code" in error && typeof error.code === "string")
    return error.code;
  return error instanceof Error ? error.name : "UNKNOWN";
}

/** What went wrong, for an explanation: the error's message, else its code. */
export function detail(error: unknown): string {
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  return message && message !== code ? `${code}: ${message}` : code;
}
