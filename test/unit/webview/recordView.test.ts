// A connection record as the panel's row: its current state, the client its hello names, the
// fixes for that client (the root's file filled in), and the failures it recovered from. Records
// are built from a real ClientHello capture; recordView is pure, so no extension host is needed.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseClientHello } from "../../../extension/core/proxy/accept/clientHello";
import { explainHandshakeFailure } from "../../../extension/core/proxy/records/explain";
import { summarizeClientHello, type ConnectionRecord } from "../../../extension/core/proxy/records/records";
import { recordView } from "../../../extension/vscode/recordView";

function hello(file: string) {
  const parsed = parseClientHello(readFileSync(path.join(__dirname, "../../fixtures/clienthello", file)));
  assert.equal(parsed.kind, "complete");
  return summarizeClientHello((parsed as Extract<typeof parsed, { kind: "complete" }>).hello);
}

function record(extra: Partial<ConnectionRecord>): ConnectionRecord {
  return {
    id: 7,
    seq: 7,
    time: "2026-12-06T10:00:00.000Z",
    client: { address: "127.0.0.1", port: 50000 },
    local: { address: "127.0.0.1", port: 8443 },
    protocol: "tls",
    outcome: { kind: "proxied", requests: 0 },
    requests: [],
    requestCount: 0,
    bytesIn: 0,
    bytesOut: 0,
    durationMs: 1,
    timeline: {},
    ...extra,
  };
}

const alert = Object.assign(new Error("alert number 48"), { code: "ERR_SSL_TLSV1_ALERT_UNKNOWN_CA" });

function untrusted(file: string, address = "127.0.0.1", remote = false): ConnectionRecord {
  const clientHello = hello(file);
  const explained = explainHandshakeFailure(alert, true, { client: clientHello.client, remote, address });
  return record({
    clientHello,
    client: { address, port: 50000 },
    outcome: { kind: "failed", stage: "handshake", error: explained.code, explanation: explained.explanation },
  });
}

describe("recordView", () => {
  const context = { rootFile: "/home/dev/ca dir/root.pem", isThisMachine: (a: string) => a === "127.0.0.1" };

  it("names a Node client and offers NODE_EXTRA_CA_CERTS with the root's file, Trust Local CA only while a store lacks it", () => {
    const view = recordView(untrusted("node-tls.bin"), context);
    assert.equal(view.ok, false);
    assert.equal(view.clientName, "a Node.js program");
    assert.match(view.explanation ?? "", /Node\.js[\s\S]*NODE_EXTRA_CA_CERTS/);
    assert.deepEqual(view.fixes, [
      { label: "Copy the ca env command", copy: 'eval "$(switchyard ca env)"' },
      { label: "Copy NODE_EXTRA_CA_CERTS", copy: "export NODE_EXTRA_CA_CERTS='/home/dev/ca dir/root.pem'" },
      { label: "Trust Local CA", action: "trustCa", whenStoreUntrusted: true },
    ]);
  });

  it("sends a browser whose profile lacks the root to import it, and Firefox to its own profile store", () => {
    assert.match(recordView(untrusted("chromium.bin"), context).explanation ?? "", /Import the root into this browser/);
    const firefox = recordView(untrusted("firefox.bin"), context);
    assert.match(firefox.explanation ?? "", /Firefox keeps its own certificate store in each profile/);
    assert.equal(firefox.fixes?.[0]?.action, "exportRoot");
  });

  it("sends a client on another device to the device page", () => {
    const view = recordView(untrusted("chromium.bin", "192.168.1.20", true), context);
    assert.match(view.explanation ?? "", /another device \(192\.168\.1\.20\)/);
    assert.deepEqual(
      view.fixes?.map((f) => f.action),
      ["openDeviceOnboarding", "exportRoot"],
    );
  });

  it("shows the current state and keeps the failures it recovered from as history", () => {
    const view = recordView(
      record({
        outcome: { kind: "proxied", status: 200, requests: 3 },
        requestCount: 3,
        pastFailures: [
          {
            stage: "upstream",
            error: "ECONNREFUSED",
            explanation: "nothing listens at 127.0.0.1:5173",
            at: 12.5,
            request: 1,
          },
        ],
      }),
    );
    assert.equal(view.ok, true);
    assert.equal(view.outcome, "proxied 200 (3 requests) · recovered");
    assert.equal(view.explanation, undefined, "no failure banner");
    assert.deepEqual(view.history, [
      {
        at: 12.5,
        text: "request 1 failed at upstream: ECONNREFUSED",
        explanation: "nothing listens at 127.0.0.1:5173",
      },
    ]);
  });
});
