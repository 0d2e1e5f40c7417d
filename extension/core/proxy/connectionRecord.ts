/**
 * Builds the one {@link HandshakeRecord} of a connection while it lives, and hands it to the
 * {@link RecordLog} when the client socket closes.
 */
import type net from "node:net";
import { performance } from "node:perf_hooks";
import type { Explained } from "./explain";
import { plainAddress } from "./forwarding";
import {
  MAX_REQUESTS_PER_RECORD,
  type ConnectionOutcome,
  type ConnectionTimeline,
  type HandshakeRecord,
  type RecordLog,
  type RequestSummary,
} from "./records";

let nextId = 1;

type FailedOutcome = Extract<ConnectionOutcome, { kind: "failed" }>;

/** The record of one connection under construction. */
export class ConnectionRecorder {
  readonly record: HandshakeRecord;
  private readonly started = performance.now();
  private finished = false;
  private lastStatus: number | undefined;

  constructor(
    private readonly socket: net.Socket,
    private readonly log: RecordLog,
    interfaceName?: string,
  ) {
    this.record = {
      id: nextId++,
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
    socket.once("close", () => this.finish());
  }

  /** Milliseconds since accept, rounded to µs. */
  elapsed(): number {
    return Math.round((performance.now() - this.started) * 1000) / 1000;
  }

  /** Notes when something first happened; later calls for the same event are ignored. */
  mark(event: keyof ConnectionTimeline): void {
    if (this.record.timeline[event] === undefined) this.record.timeline[event] = this.elapsed();
  }

  /** Adds a finished (or failed) request. */
  addRequest(summary: RequestSummary): void {
    this.record.requestCount++;
    if (summary.status !== undefined) this.lastStatus = summary.status;
    if (this.record.requests.length < MAX_REQUESTS_PER_RECORD) this.record.requests.push(summary);
    if (this.record.outcome.kind === "proxied")
      this.record.outcome = { kind: "proxied", status: this.lastStatus, requests: this.record.requestCount };
  }

  /** Records a failure at `stage`, with its code and plain-words explanation. */
  fail(stage: FailedOutcome["stage"], explained: Explained): void {
    this.setOutcome({ kind: "failed", stage, error: explained.code, explanation: explained.explanation });
  }

  /** Sets how the connection ended; a failure is never overwritten by a later, vaguer outcome. */
  setOutcome(outcome: ConnectionOutcome): void {
    if (this.record.outcome.kind === "failed" && outcome.kind !== "failed") return;
    this.record.outcome = outcome;
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.mark("closed");
    this.record.durationMs = this.elapsed();
    this.record.bytesIn = this.socket.bytesRead;
    this.record.bytesOut = this.socket.bytesWritten;
    if (this.record.outcome.kind === "proxied") {
      const outcome: ConnectionOutcome = { kind: "proxied", requests: this.record.requestCount };
      if (this.lastStatus !== undefined) outcome.status = this.lastStatus;
      this.record.outcome = outcome;
    }
    this.log.add(this.record);
  }
}
