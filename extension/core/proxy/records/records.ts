/**
 * The last step of a connection: what happened, as plain JSON the panel can render and
 * `switchyard serve --log ndjson` can print. One {@link ConnectionRecord} per connection, one
 * {@link BindingRecord} per bound (or failed) socket address. A record is published while its
 * connection is open ('live', from the handshake on, again after each request) and once more when
 * it closes ('record'); every publication carries the whole record, so consumers replace by id.
 */
import { EventEmitter } from "node:events";
import type { ClientHello } from "../accept/clientHello";
import { cipherSuiteName, groupName, isGrease, tlsVersionName } from "../accept/tlsNames";
import { identifyClient, type ClientIdentity } from "./clientIdentity";

/** One listen address and whether the proxy got it. */
export interface BindingRecord {
  /** The spec as written (`localhost:8443`), or `httpPort:80` for the redirect-only port. */
  spec: string;
  address: string;
  family: 4 | 6;
  port: number;
  interfaceName?: string;
  /** "tls+http" for the sniffing port, "http-redirect" for the optional plain-HTTP port. */
  role: "tls+http" | "http-redirect";
  state: "listening" | "failed" | "closed";
  /** Why it failed, in words, with what to do. */
  reason?: string;
  /** Set when the address is 0.0.0.0 or :: and so reachable from other machines. */
  warning?: string;
}

/** The ClientHello fields, with code points named (GREASE dropped) so they read like openssl output. */
export interface ClientHelloSummary {
  legacyVersion: string;
  supportedVersions: string[];
  serverName?: string;
  alpn: string[];
  cipherSuites: string[];
  supportedGroups: string[];
  keyShares: string[];
  recordCount: number;
  byteLength: number;
  /** The program the hello most likely came from (clientIdentity.ts). */
  client: ClientIdentity;
}

/** What the TLS handshake settled on. */
export interface NegotiatedTls {
  version?: string;
  cipher?: string;
  alpn?: string;
  /** The client resumed an earlier session (TLS 1.3 ticket): no certificate was sent on this connection. */
  resumed?: boolean;
  certificate?: { subject: string; sans: string[]; fingerprint256: string; issuer: string };
  /** Set when SNI named something the CA may not issue for: the reason, and which name was used instead. */
  certificateNote?: string;
  /** Set when the certificate presented could not be described (its leaf could not be read back): why, in words. */
  certificateProblem?: string;
}

/** One HTTP request carried on the connection (the first {@link MAX_REQUESTS_PER_RECORD} are kept). */
export interface RequestSummary {
  method: string;
  host?: string;
  path: string;
  status?: number;
  upstream?: string;
  /** The socket address the request went to (`[::1]:3000` or `127.0.0.1:3000` for a `localhost` upstream). */
  dialled?: string;
  /** Response bytes sent to the client, headers included. */
  bytes: number;
  durationMs: number;
  /** For failed requests: what went wrong in words. */
  error?: string;
}

/** How the connection ended. */
export type ConnectionOutcome =
  | { kind: "proxied"; status?: number; requests: number }
  | { kind: "redirected"; status: number; location: string }
  | { kind: "passed-through"; upstream: string }
  | { kind: "no-route"; host?: string }
  | {
      kind: "failed";
      stage: "sniff" | "handshake" | "http" | "upstream";
      /** The socket error code, TLS alert or parser code. */
      error: string;
      /** What it most likely means and what to do, in plain words. */
      explanation: string;
    };

/** A failure a later exchange on the same connection recovered from (a 502 while the dev server was down, then 200s). */
export interface PastFailure {
  stage: Extract<ConnectionOutcome, { kind: "failed" }>["stage"];
  error: string;
  explanation: string;
  /** Milliseconds since the connection was accepted. */
  at: number;
  /** The 1-based number of the request it belongs to, when it belongs to one. */
  request?: number;
}

/** Milliseconds since the connection was accepted. */
export interface ConnectionTimeline {
  firstByte?: number;
  clientHello?: number;
  handshakeDone?: number;
  upstreamConnected?: number;
  firstResponse?: number;
  closed?: number;
}

/** Everything about one connection, from accept to close. JSON-serialisable. */
export interface ConnectionRecord {
  /**
   * Unique in this process, also across proxy restarts (each worker numbers from its own base, so
   * the second worker's ids start at 4294967297): a key, not for people to read; {@link seq} is.
   */
  id: number;
  /** The connection's number in this proxy's own count, from 1: what the panel and logs show (#17). */
  seq: number;
  /** Set while the connection is open (a 'live' publication); absent once it closed. */
  open?: true;
  /** ISO time the connection was accepted. */
  time: string;
  client: { address: string; port: number };
  local: { address: string; port: number; interfaceName?: string };
  protocol: "tls" | "http" | "unknown" | "none";
  clientHello?: ClientHelloSummary;
  tls?: NegotiatedTls;
  route?: { host: string; upstream: string; pathPrefix?: string };
  /**
   * The connection's current state: how its last exchange went (and, once closed, how it ended).
   * A failed request followed by good ones reads "proxied"; the failure moves to `pastFailures`.
   */
  outcome: ConnectionOutcome;
  /** Failures the connection recovered from, oldest first (the first {@link MAX_REQUESTS_PER_RECORD}). */
  pastFailures?: PastFailure[];
  requests: RequestSummary[];
  requestCount: number;
  bytesIn: number;
  bytesOut: number;
  durationMs: number;
  timeline: ConnectionTimeline;
  /** The first bytes as hex, for connections that spoke no known protocol. */
  firstBytesHex?: string;
  /**
   * Why the proxy itself closed a connection that did not fail (an h2 client idle past the
   * timeout), or an h2 session error that ended it; absent when the client closed it.
   */
  closeReason?: { code: string; explanation: string };
}

/** Requests beyond this many on one keep-alive connection are counted but not listed. */
export const MAX_REQUESTS_PER_RECORD = 20;

/** Names the code points of a parsed hello for a record. */
export function summarizeClientHello(hello: ClientHello): ClientHelloSummary {
  const named = (values: number[], name: (v: number) => string): string[] =>
    values.filter((v) => !isGrease(v)).map(name);
  const summary: ClientHelloSummary = {
    legacyVersion: tlsVersionName(hello.legacyVersion),
    supportedVersions: named(hello.supportedVersions, tlsVersionName),
    alpn: hello.alpn,
    cipherSuites: named(hello.cipherSuites, cipherSuiteName),
    supportedGroups: named(hello.supportedGroups, groupName),
    keyShares: hello.keyShares
      .filter((k) => !isGrease(k.group))
      .map((k) => `${groupName(k.group)} (${k.length} bytes)`),
    recordCount: hello.recordCount,
    byteLength: hello.byteLength,
    client: identifyClient(hello),
  };
  if (hello.serverName !== undefined) summary.serverName = hello.serverName;
  return summary;
}

/**
 * Something that went wrong in the proxy itself rather than on one connection (an internal error
 * on its thread, leaves that cannot be saved): for serve's log, the output channel and the views.
 */
export interface ProxyProblem {
  /** ISO time it happened. */
  time: string;
  /** Our code: INTERNAL_ERROR, LEAF_CACHE_WRITE_FAILED, … */
  code: string;
  /** What happened and what to do, in plain words (from explain.ts). */
  explanation: string;
}

/** Problems a proxy keeps for a view that asks late (the newest last). */
export const MAX_PROBLEMS_KEPT = 20;

/** Events of a running proxy ({@link DevProxy}, {@link WorkerProxy}) and of its {@link RecordRing}. */
export interface ProxyEvents {
  /** A connection closed: its final record. */
  record: [ConnectionRecord];
  /** An open connection's record changed (handshake done or failed, a request finished). */
  live: [ConnectionRecord];
  binding: [BindingRecord];
  /** The proxy itself hit a problem (not one connection's): for the log and the views. */
  problem: [ProxyProblem];
}

/**
 * A bounded ring buffer of the latest closed connections' records plus an event stream: 'live'
 * for records of open connections as they change, 'record' when one closes (and enters the buffer).
 */
export class RecordRing extends EventEmitter<ProxyEvents> {
  private readonly ring: (ConnectionRecord | undefined)[];
  private next = 0;
  private count = 0;

  constructor(readonly capacity = 1000) {
    super();
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`record log capacity must be a positive integer, not ${capacity}`);
    this.ring = new Array<ConnectionRecord | undefined>(capacity);
  }

  /** Stores a record (evicting the oldest when full) and emits 'record'. */
  add(record: ConnectionRecord): void {
    this.ring[this.next] = record;
    this.next = (this.next + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
    this.emit("record", record);
  }

  /** Publishes the current state of an open connection's record as 'live' (not stored). */
  update(record: ConnectionRecord): void {
    this.emit("live", record);
  }

  /** The retained records, oldest first. */
  list(): ConnectionRecord[] {
    const out: ConnectionRecord[] = [];
    const start = (this.next - this.count + this.capacity) % this.capacity;
    for (let i = 0; i < this.count; i++) out.push(this.ring[(start + i) % this.capacity]!);
    return out;
  }

  get size(): number {
    return this.count;
  }

  clear(): void {
    this.ring.fill(undefined);
    this.next = 0;
    this.count = 0;
  }
}
