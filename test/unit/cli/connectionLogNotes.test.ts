/**
 * serve's text log says why Switchyard closed a connection (an idle h2 client) and when a
 * certificate could not be described, as the ndjson lines carry in the record (issue 21).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { formatRecord } from "../../../extension/cli/connectionLog";
import type { ConnectionRecord } from "../../../extension/core/proxy/records/records";

const base: ConnectionRecord = {
  id: 9,
  seq: 9,
  time: "2026-12-06T10:00:00.000Z",
  client: { address: "127.0.0.1", port: 50001 },
  local: { address: "127.0.0.1", port: 8443 },
  protocol: "tls",
  tls: { version: "TLSv1.3", alpn: "h2" },
  outcome: { kind: "proxied", status: 200, requests: 1 },
  requests: [],
  requestCount: 1,
  bytesIn: 10,
  bytesOut: 20,
  durationMs: 120_000,
  timeline: {},
};

describe("switchyard serve's close line", () => {
  it("says why Switchyard closed the connection and what was wrong with its certificate", () => {
    const line = formatRecord(
      {
        ...base,
        tls: { ...base.tls, certificateProblem: "the certificate for app.test was presented, but not described" },
        closeReason: { code: "CLIENT_IDLE", explanation: "the client sent no request for 120000 ms" },
      },
      false,
    );
    assert.match(line, /\n {2}closed by Switchyard \(CLIENT_IDLE\): the client sent no request for 120000 ms\n/);
    assert.match(line, /\n {2}the certificate for app\.test was presented, but not described\n$/);
  });

  it("adds nothing to a connection the client closed", () => {
    assert.doesNotMatch(formatRecord(base, false), /\n./);
  });
});
