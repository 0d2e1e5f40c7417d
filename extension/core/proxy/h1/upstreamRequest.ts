/**
 * The request head an HTTP/1.1 client's request becomes upstream: the client's hop-by-hop fields
 * dropped (an Upgrade kept for WebSockets), the forwarding fields added, Host preserved or
 * rewritten per route, and whether it may be sent again on a fresh socket. Pure.
 */
import { forwardedLines, upstreamHostHeader, type ConnectionForwarding } from "../http/forwarding";
import { stripHopByHop } from "../http/hopByHop";
import type { RequestHead } from "../http/httpHead";
import { isIdempotent } from "../http/requestHead";
import { messageHead, requestLine } from "../http/messageHead";
import type { RequestDecision } from "../requestDecision";

/** What the upstream gets, and whether a stale pooled socket may be replaced for it. */
export interface UpstreamRequest {
  /** The head as latin1 text: written as is (the socket encodes it), and kept for a retry. */
  headText: string;
  /** Idempotent, no body, no upgrade: safe to send twice. */
  retryable: boolean;
}

/** The head for the route `decision` chose; `conn` says who asked and how. */
export function upstreamRequest(
  head: RequestHead,
  decision: Extract<RequestDecision, { kind: "forward" }>,
  conn: ConnectionForwarding,
): UpstreamRequest {
  const { route, origin, host } = decision;
  const upgrade = head.upgrade;
  const stripped = stripHopByHop(head.headers, { upgrade, teTrailers: true });
  const headers = forwardedLines(stripped, conn, host, route.rewriteHost ? upstreamHostHeader(origin) : undefined);
  return {
    headText: messageHead(requestLine(head.method, head.target, head.version), headers),
    retryable: !upgrade && head.framing.kind === "none" && isIdempotent(head.method),
  };
}
