/**
 * Reading an upstream's response head off the bytes received so far, for both front ends (the
 * HTTP/1.1 session and the h2 streams): the head, or "need more", or what went wrong in words,
 * including the mismatch this product exists to explain, TLS bytes from an http:// upstream.
 */
import { bodyCursor, type BodyCursor } from "./bodyFraming";
import {
  explainInvalidStatus,
  explainUnusableFraming,
  explainUpstreamFailure,
  explainUpstreamHeadTooLarge,
  explainUpstreamNotHttp,
  type Explained,
  type UpstreamTarget,
} from "../records/explain";
import {
  findHeadEnd,
  InvalidStatusError,
  MAX_HEAD_BYTES,
  parseResponseHead,
  responseFraming,
  type ResponseHead,
} from "./httpHead";
import { dialledAddresses, triedAddresses, UpstreamError, type UpstreamOrigin } from "../upstream/dial";

/** What {@link takeResponseHead} found. `rest` is what follows the head (body bytes, or another head after a 1xx). */
export type HeadRead =
  | { kind: "need-more" }
  | { kind: "failed"; explained: Explained }
  | { kind: "head"; response: ResponseHead; rest: Buffer };

/**
 * The upstream as the explanations name it: the address a connection reached (`connected`), else
 * the addresses a failed dial tried (`dialError`), else every address a dial of it tries.
 */
export function upstreamTarget(origin: UpstreamOrigin, connected?: string, dialError?: unknown): UpstreamTarget {
  if (connected !== undefined) return { url: origin.url, dialled: [connected], connected };
  return { url: origin.url, dialled: triedAddresses(dialError) ?? dialledAddresses(origin) };
}

/**
 * `atStart`: nothing of this response has been relayed yet (where TLS bytes from a plain upstream
 * show); `connected`: the address the connection reached, for the explanations.
 */
export function takeResponseHead(buf: Buffer, origin: UpstreamOrigin, atStart: boolean, connected?: string): HeadRead {
  if (atStart && !origin.secure && buf.length >= 2 && (buf[0] === 0x16 || buf[0] === 0x15) && buf[1] === 0x03) {
    const e = new UpstreamError("TLS_FROM_PLAIN_UPSTREAM", "TLS record");
    return { kind: "failed", explained: explainUpstreamFailure(e, upstreamTarget(origin, connected)) };
  }
  const end = findHeadEnd(buf);
  if (end < 0) {
    if (buf.length <= MAX_HEAD_BYTES) return { kind: "need-more" };
    return { kind: "failed", explained: explainUpstreamHeadTooLarge(origin.url, MAX_HEAD_BYTES) };
  }
  try {
    return { kind: "head", response: parseResponseHead(buf.subarray(0, end)), rest: buf.subarray(end) };
  } catch (e) {
    if (e instanceof InvalidStatusError)
      return { kind: "failed", explained: explainInvalidStatus(origin.url, e.received) };
    return { kind: "failed", explained: explainUpstreamNotHttp(origin.url, e) };
  }
}

/** Where the response's body ends (`untilClose`: at the upstream's close), or why its framing is unusable. */
export function responseBody(
  response: ResponseHead,
  requestMethod: string,
  origin: UpstreamOrigin,
): { kind: "body"; cursor: BodyCursor; untilClose: boolean } | { kind: "failed"; explained: Explained } {
  try {
    const framing = responseFraming(response, requestMethod);
    return { kind: "body", cursor: bodyCursor(framing), untilClose: framing.kind === "until-close" };
  } catch (e) {
    return { kind: "failed", explained: explainUnusableFraming(origin.url, e) };
  }
}
