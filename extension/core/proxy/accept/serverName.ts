/**
 * The SNI host name of a ClientHello as the proxy uses it: one spelling per host, or nothing. A
 * client can put any bytes in server_name; only a host name goes on to routes, certificates and
 * leaf files, so `app.test.`, `APP.test` and `app.test` share one leaf, and `" app.test"` or
 * `"app.test\n"` get none of their own (issue 22 item 5). Pure.
 */
// Borrowed from hosts/ (as ca/ does): one label rule for hosts entries, certificates and SNI.
import { isLdhLabel } from "../../hosts/validate";

/** RFC 1035 2.3.4: a name (without its trailing dot) is at most 253 characters. */
const MAX_SERVER_NAME_LENGTH = 253;
/** How much of a refused name a record shows. */
const MAX_SHOWN_LENGTH = 80;

/** The name to use, or why the client's name is none (with the name as sent, printable). */
export type ServerNameReading = { name: string } | { refused: string };

/**
 * RFC 6066 3: HostName is an ASCII DNS host name without a trailing dot. Accepted: letters, digits
 * and inner hyphens in labels of at most 63 characters, compared in lower case, with one trailing
 * dot (an absolute name, which some clients send) dropped. Anything else (spaces, control
 * characters, "_", "*", empty labels, IPv6 literals) is refused.
 */
export function readServerName(sent: string): ServerNameReading {
  const lower = sent.toLowerCase();
  const name = lower.endsWith(".") ? lower.slice(0, -1) : lower;
  const valid = name.length > 0 && name.length <= MAX_SERVER_NAME_LENGTH && name.split(".").every(isLdhLabel);
  return valid ? { name } : { refused: printable(sent) };
}

/** A JSON string literal of at most {@link MAX_SHOWN_LENGTH} characters: no control character reaches a log or terminal. */
function printable(sent: string): string {
  const cut = sent.length > MAX_SHOWN_LENGTH ? `${sent.slice(0, MAX_SHOWN_LENGTH)}…` : sent;
  // JSON escapes C0 controls and quotes; C1 controls and DEL it leaves as they are.
  return JSON.stringify(cut).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
