/**
 * Credentials in URLs (`https://user:password@host/`) are never shown: not in serve's log, the
 * connection records, the CLI's route listings, the probe's output or the VS Code views. Every place
 * that prints or records a URL a user typed passes it, or the text holding it, through
 * {@link redactUrlCredentials}.
 */

/**
 * `scheme://user:password@` anywhere in a text. The password runs to the last `@` before the path
 * (as WHATWG URL parsing reads `http://u:p@ss@host`), so no part of it is left after the mask; it
 * stops at a quote, backslash or angle bracket (a URL parser percent-encodes those), so a URL inside
 * JSON or markup is masked without reaching into the text after it.
 */
const USERINFO_WITH_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@:"\\<>]*):[^\s/?#"\\<>]*@/gi;

/** The mask that stands for a password. */
export const REDACTED_PASSWORD = "***";

/**
 * `text` (a URL or a sentence holding URLs) with every URL password replaced by `***`: the user
 * name stays so a reader can tell which account a route uses (`https://user:***@host/`).
 */
export function redactUrlCredentials(text: string): string {
  return text.replace(USERINFO_WITH_PASSWORD, `$1$2:${REDACTED_PASSWORD}@`);
}
