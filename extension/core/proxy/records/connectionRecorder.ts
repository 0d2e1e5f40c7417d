/**
 * Builds the one {@link ConnectionRecord} of a connection while it lives: publishes it as 'live'
 * once the handshake completed or failed (or the first request or outcome came, for plain HTTP),
 * again after each request, and hands it to the {@link RecordRing} when the client socket closes.
 * Publications are coalesced per turn of the event loop, so the record carries everything the
 * code that triggered it set in the same turn (TLS version, certificate) and a burst costs one.
 */
import type net from "node:net";
import { performance } from "node:perf_hooks";
import { explainClosedAfterHandshake, type Explained } from "./explain";
import { isLoopback, plainAddress } from "../../net/interfaces";
import {
  MAX_REQUESTS_PER_RECORD,
  type ConnectionOutcome,
  type ConnectionTimeline,
  type ConnectionRecord,
  type RecordRing,
  type RequestSummary,
} from "./records";

let nextId = 1;
/** Each proxy worker is a thread of its own, so this counts the connections of one proxy run. */
let nextSeq = 1;

/** How often an open connection's record is published again as it changes. */
export const LIVE_INTERVAL_MS = 100;

/**
 * Numbers the records of this thread from `first` on. Each proxy worker gets its own base, so
 * records stay unique across restarts of the proxy in one process (the panel keys rows by id).
 */
export function numberRecordsFrom(first: number): void {
  nextId = first;
}

type FailedOutcome = Extract<ConnectionOutcome, { kind: "failed" }>;

function toFailure(explained: Explained): Pick<FailedOutcome, "error" | "explanation"> {
  return { error: explained.code, explanation: explained.explanation };
}

/** Milliseconds since `started` (a performance.now() reading), rounded to µs: every duration in a record. */
export function msSince(started: number): number {
  return Math.round((performance.now() - started) * 1000) / 1000;
}

/** The record of one connection under construction. */
export class ConnectionRecorder {
  readonly record: ConnectionRecord;
  private readonly started = performance.now();
  private finished = false;
  private publishing = false;
  private lastPublished: number | undefined;
  private lastStatus: number | undefined;
  /** Set by closeWith: the socket's close does not end the record. */
  private closedByOwner = false;
  /** The request the current failure belongs to (1-based), when a later request may recover from it. */
  private failedRequest: number | undefined;
  private failedAt = 0;

  constructor(
    private readonly socket: net.Socket,
    private readonly log: RecordRing,
    interfaceName?: string,
  ) {
    this.record = {
      id: nextId++,
      seq: nextSeq++,
      time: new Date().toISOString(),
      client: { address: plainAddress(socket.remoteAddress), port: socket.remotePort ?? 0 },
      local: { address: plainAddress(socket.localAddress), port: socket.localPort ?? 0 },
      protocol: "none",
      outcome: { kind: "proxied", requests: 0 },
      requests: [],
      requestCount: 0,
      bytesIn: 0,
      bytesOut: 0,
      durationMs: 0,
      timeline: {},
    };
    if (interfaceName !== undefined) this.record.local.interfaceName = interfaceName;
    socket.once("close", () => {
      if (this.closedByOwner) return;
      // A TLS handshake cut short reports its failure from the TLS socket's own 'close', which
      // comes after this one: the record waits a turn so that failure is in it.
      if (this.record.protocol === "tls" && this.record.timeline.handshakeDone === undefined)
        setImmediate(() => this.finish());
      else this.finish();
    });
  }

  /**
   * The record closes when `owner` emits 'close' instead of when the socket does: an h2 session
   * reports its error (a client that broke the protocol) only after its socket closed, and that
   * error belongs in the record.
   */
  closeWith(owner: { once(event: "close", listener: () => void): unknown }): void {
    this.closedByOwner = true;
    owner.once("close", () => this.finish());
  }

  /** Milliseconds since accept, rounded to µs. */
  elapsed(): number {
    return msSince(this.started);
  }

  /** Notes when something first happened; later calls for the same event are ignored. */
  mark(event: keyof ConnectionTimeline): void {
    if (this.record.timeline[event] === undefined) this.record.timeline[event] = this.elapsed();
    if (event === "handshakeDone") this.publish();
  }

  /**
   * Adds a finished (or failed) request. A request that went through after a request failed on
   * this connection (a 502 while the dev server was down, then a 200) is its current state: the
   * outcome reads "proxied" again and the failure stays in `pastFailures`.
   */
  addRequest(summary: RequestSummary): void {
    this.record.requestCount++;
    if (summary.status !== undefined) this.lastStatus = summary.status;
    if (this.record.requests.length < MAX_REQUESTS_PER_RECORD) this.record.requests.push(summary);
    const { outcome } = this.record;
    if (outcome.kind === "failed" && this.failedRequest !== undefined && summary.error === undefined) {
      this.pastFailure(outcome, this.failedAt, this.failedRequest);
      this.failedRequest = undefined;
      this.record.outcome = { kind: "proxied", requests: this.record.requestCount };
    }
    if (this.record.outcome.kind === "proxied")
      this.record.outcome = { kind: "proxied", status: this.lastStatus, requests: this.record.requestCount };
    this.publish();
  }

  /**
   * Records a failure at `stage`, with its code and plain-words explanation. An upstream failure
   * belongs to the request under way (the next request may go through); the others end the connection.
   */
  fail(stage: FailedOutcome["stage"], explained: Explained): void {
    const previous = this.record.outcome;
    const failed: FailedOutcome = { kind: "failed", stage, error: explained.code, explanation: explained.explanation };
    // A second failure of the same request (a host-check refusal after its 502) keeps the first as history.
    if (previous.kind === "failed" && this.failedRequest !== undefined)
      this.pastFailure(previous, this.failedAt, this.failedRequest);
    this.failedRequest = stage === "upstream" ? this.record.requestCount + 1 : undefined;
    this.failedAt = this.elapsed();
    this.record.outcome = failed;
    this.publish();
  }

  private pastFailure(failed: FailedOutcome, at: number, request: number | undefined): void {
    const list = (this.record.pastFailures ??= []);
    if (list.length >= MAX_REQUESTS_PER_RECORD) return;
    list.push({
      stage: failed.stage,
      error: failed.error,
      explanation: failed.explanation,
      at,
      ...(request !== undefined ? { request } : {}),
    });
  }

  /** Sets how the connection ended; a failure is never overwritten by a later, vaguer outcome. */
  setOutcome(outcome: ConnectionOutcome): void {
    if (outcome.kind === "failed")
      return this.fail(outcome.stage, { code: outcome.error, explanation: outcome.explanation });
    if (this.record.outcome.kind === "failed") return;
    this.record.outcome = outcome;
    this.publish();
  }

  /**
   * Publishes the open connection's record as 'live': the first time at the end of this turn (the
   * row shows as soon as the handshake is done), later at most every {@link LIVE_INTERVAL_MS},
   * so a busy keep-alive connection costs a few publications a second, not one per request.
   */
  private publish(): void {
    if (this.finished || this.publishing) return;
    this.publishing = true;
    const wait = this.lastPublished === undefined ? 0 : LIVE_INTERVAL_MS - (performance.now() - this.lastPublished);
    const send = (): void => {
      this.publishing = false;
      if (this.finished || this.socket.destroyed) return;
      this.lastPublished = performance.now();
      this.record.open = true;
      this.record.durationMs = this.elapsed();
      this.record.bytesIn = this.socket.bytesRead;
      this.record.bytesOut = this.socket.bytesWritten;
      this.log.update(this.record);
    };
    if (wait <= 0) setImmediate(send);
    else setTimeout(send, wait).unref();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.mark("closed");
    delete this.record.open;
    this.record.durationMs = this.elapsed();
    this.record.bytesIn = this.socket.bytesRead;
    this.record.bytesOut = this.socket.bytesWritten;
    const hello = this.record.clientHello;
    if (
      this.record.outcome.kind === "proxied" &&
      this.record.requestCount === 0 &&
      this.record.timeline.handshakeDone !== undefined &&
      hello?.client.kind === "node"
    ) {
      const { address } = this.record.client;
      this.record.outcome = {
        kind: "failed",
        stage: "handshake",
        ...toFailure(explainClosedAfterHandshake({ client: hello.client, remote: !isLoopback(address), address })),
      };
    }
    if (this.record.outcome.kind === "proxied") {
      const outcome: ConnectionOutcome = { kind: "proxied", requests: this.record.requestCount };
      if (this.lastStatus !== undefined) outcome.status = this.lastStatus;
      this.record.outcome = outcome;
    }
    this.log.add(this.record);
  }
}
