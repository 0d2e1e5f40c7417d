/**
 * Reading a client's request head off the bytes received so far (the HTTP/1.1 front end's side of
 * responseHead.ts): the head, or "need more", or the refusal to answer with. Pure.
 */
import { findHeadEnd, incompleteHeadProblem, MAX_HEAD_BYTES, parseRequestHead, type HttpHeadError } from "./httpHead";
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
