import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { formatRecord } from "../../../extension/cli/serve";
import type { HandshakeRecord } from "../../../extension/core/proxy/records";

const record = (tls: HandshakeRecord["tls"]): HandshakeRecord => ({
  id: 7,
  time: "2026-11-26T10:00:00.000Z",
  client: { address: "127.0.0.1", port: 50000 },
  local: { address: "127.0.0.1", port: 8443, interfaceName: "lo" },
  protocol: "tls",
  ...(tls ? { tls } : {}),
  outcome: { kind: "proxied", status: 200, requests: 1 },
  requests: [{ method: "GET", host: "app.test", path: "/", status: 200, bytes: 12, durationMs: 1.5 }],
  requestCount: 1,
  bytesIn: 100,
  bytesOut: 200,
  durationMs: 3.25,
  timeline: {},
});

describe("switchyard serve's connection log lines", () => {
  it("says when a TLS session was resumed, in text and in ndjson", () => {
    const resumed = record({ version: "TLSv1.3", alpn: "h2", cipher: "TLS_AES_128_GCM_SHA256", resumed: true });
    assert.match(
      formatRecord(resumed, false),
      / tls TLSv1\.3\/h2 \(resumed\) app\.test: 1 request\(s\), last 200 \(3\.3 ms\)\n$/,
    );
    assert.equal(JSON.parse(formatRecord(resumed, true)).tls.resumed, true);
    const full = record({ version: "TLSv1.3", alpn: "h2", cipher: "TLS_AES_128_GCM_SHA256" });
    assert.doesNotMatch(formatRecord(full, false), /resumed/);
  });
});
