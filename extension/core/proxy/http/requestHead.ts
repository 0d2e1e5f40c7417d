/**
 * Reading a client's request head off the bytes received so far (the HTTP/1.1 front end's side of
 * responseHead.ts): the head, or "need more", or the refusal to answer with. Pure.
 */
import { findHeadEnd, MAX_HEAD_BYTES, parseRequestHead, type HttpHeadError } from "./httpHead";
import type { RequestHead } from "./httpHead";
import { refuseHeadTooLarge, refuseUnreadableHead, type Refusal } from "../records/explain";

/** What {@link takeRequestHead} found; `partial`: a head has started (its deadline runs). */
export type RequestHeadRead =
  | { kind: "empty" }
  | { kind: "partial" }
  | { kind: "refused"; refusal: Refusal }
  | { kind: "head"; head: RequestHead; rest: Buffer };

/** Takes one request head off the front of `buf`. */
export function takeRequestHead(buf: Buffer): RequestHeadRead {
  const end = findHeadEnd(buf);
  if (end < 0 || end > MAX_HEAD_BYTES) {
    if (buf.length > MAX_HEAD_BYTES) return { kind: "refused", refusal: refuseHeadTooLarge(MAX_HEAD_BYTES) };
    const problem = incompleteHeadProblem(buf);
    if (problem) return { kind: "refused", refusal: refuseUnreadableHead(problem) };
    return buf.length > 0 ? { kind: "partial" } : { kind: "empty" };
  }
  try {
    return { kind: "head", head: parseRequestHead(buf.subarray(0, end)), rest: buf.subarray(end) };
  } catch (e) {
    const err = e as HttpHeadError;
    return { kind: "refused", refusal: refuseUnreadableHead(err.message, err.status ?? 400) };
  }
}

const REQUEST_LINE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+ \S+ HTTP\/\d\.\d\r?$/;

/**
 * For a request head that has not ended yet: why it can never become a valid request, or
 * undefined while it still may. Lets the proxy answer a client whose first line is already wrong
 * (`HELO example.test`, a line that merely looked like a method to the sniffer) instead of
 * waiting for a blank line that will never come.
 */
export function incompleteHeadProblem(buf: Buffer): string | undefined {
  const nl = buf.indexOf(0x0a);
  if (nl < 0) return undefined;
  const line = buf.subarray(0, nl).toString("latin1");
  if (REQUEST_LINE.test(line)) return undefined;
  return `the first line ${JSON.stringify(line.replace(/\r$/, "").slice(0, 80))} is not an HTTP request line (METHOD TARGET HTTP/1.1)`;
}

const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);

/** RFC 9110 9.2.2: sending it twice means the same as once, so a request lost on a stale pooled socket may be resent. */
export function isIdempotent(method: string): boolean {
  return IDEMPOTENT.has(method);
}
