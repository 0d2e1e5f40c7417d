import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { RecordView } from "../../../webview/protocol";
import { RecordLog } from "../../../webview/recordLog";

const row = (id: number, outcome: string, extra: Partial<RecordView> = {}): RecordView => ({
  id,
  seq: id,
  time: 0,
  client: "127.0.0.1:5000",
  local: "127.0.0.1:8443",
  protocol: "tls",
  sni: `app${id}.test`,
  alpnOffered: [],
  outcome,
  ok: true,
  detail: {},
  ...extra,
});

describe("the panel's record log", () => {
  it("updates a record it already holds in place instead of adding a row", () => {
    const log = new RecordLog();
    assert.equal(log.add([row(1, "open · 0 requests", { open: true }), row(2, "proxied 200 (1 request)")]), 2);
    assert.equal(log.add([row(1, "open · 1 request, last 200", { open: true })]), 0, "no new row");
    assert.equal(log.size, 2);
    assert.deepEqual(
      log.shown.map((r) => [r.id, r.outcome]),
      [
        [2, "proxied 200 (1 request)"],
        [1, "open · 1 request, last 200"],
      ],
    );
    log.add([row(1, "proxied 200 (3 requests)")]);
    assert.equal(log.find(1)?.outcome, "proxied 200 (3 requests)");
    assert.equal(log.find(1)?.open, undefined);
  });

  it("keeps records with the same number from different proxy runs apart when their ids differ", () => {
    const log = new RecordLog();
    log.add([row(1, "a"), row(2, "b")]);
    log.add([row(2 ** 32 + 1, "c"), row(2 ** 32 + 2, "d")]);
    assert.equal(log.size, 4);
    assert.equal(log.shown.length, 4);
  });

  it("re-filters an updated record: one that now fails shows under a 'failed' filter", () => {
    const log = new RecordLog();
    log.setFilter("failed");
    log.add([row(1, "open · 0 requests", { open: true })]);
    assert.equal(log.shown.length, 0);
    log.add([row(1, "failed at upstream: ECONNREFUSED", { ok: false })]);
    assert.deepEqual(
      log.shown.map((r) => r.id),
      [1],
    );
  });

  it("forgets evicted records, so a late update of one comes back as a new row", () => {
    const log = new RecordLog(2);
    log.add([row(1, "a"), row(2, "b"), row(3, "c")]);
    assert.equal(log.find(1), undefined);
    assert.equal(log.add([row(1, "a again")]), 1);
    assert.equal(log.size, 2);
  });
});
