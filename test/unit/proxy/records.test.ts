import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { RecordLog, type HandshakeRecord } from "../../../extension/core/proxy/records";

const record = (id: number): HandshakeRecord => ({
  id,
  time: new Date(0).toISOString(),
  client: { address: "127.0.0.1", port: 1 },
  local: { address: "127.0.0.1", port: 2 },
  protocol: "none",
  outcome: { kind: "failed", stage: "sniff", error: "SNIFF_TIMEOUT", explanation: "sent nothing" },
  requests: [],
  requestCount: 0,
  bytesIn: 0,
  bytesOut: 0,
  durationMs: 1,
  timeline: { closed: 1 },
});

describe("RecordLog", () => {
  it("keeps the newest records up to its capacity, oldest first", () => {
    const log = new RecordLog(3);
    for (let i = 1; i <= 5; i++) log.add(record(i));
    assert.deepEqual(
      log.list().map((r) => r.id),
      [3, 4, 5],
    );
    assert.equal(log.size, 3);
  });

  it("emits each record as it is added", async () => {
    const log = new RecordLog(2);
    const got = once(log, "record");
    log.add(record(7));
    assert.equal(((await got)[0] as HandshakeRecord).id, 7);
  });

  it("holds records that survive a JSON round trip unchanged", () => {
    const r = record(1);
    assert.deepEqual(JSON.parse(JSON.stringify(r)), r);
  });

  it("refuses a capacity that is not a positive integer", () => {
    assert.throws(() => new RecordLog(0), /positive integer/);
  });
});
