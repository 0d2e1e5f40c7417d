/**
 * Words for http/ and the HTTP/1.1 front end: a client's request the proxy refuses with an error
 * page and a close (slow or oversized head, unreadable head, broken body framing).
 */
import type { Explained } from "./explained";

/** A request the HTTP/1.1 front end answers with an error page and a close. */
export interface Refusal {
  status: number;
  /** The page's title. */
  title: string;
  explained: Explained;
}

function refusal(status: number, title: string, explanation: string): Refusal {
  return { status, title, explained: { code: `HTTP_${status}`, explanation } };
}

/** The client started a request head and did not finish it in time. */
export function refuseSlowHead(timeoutMs: number): Refusal {
  return refusal(408, "Request timeout", `the request head did not end within ${timeoutMs} ms`);
}

/** The request head did not end within the limit. */
export function refuseHeadTooLarge(maxBytes: number): Refusal {
  return refusal(431, "Request header too large", `the request head is over ${maxBytes / 1024} KB`);
}

/** The request head does not parse (status 400, or what the parser chose, e.g. 501). */
export function refuseUnreadableHead(problem: string, status = 400): Refusal {
  return refusal(status, "Bad request", `Switchyard could not read this request: ${problem}`);
}

/** The request body broke its framing. */
export function refuseBadBody(problem: string): Refusal {
  return refusal(400, "Bad request body", problem);
}
