// A record's number as a person reads it: each proxy run counts its connections from 1 (`seq`),
// while `id` stays unique across runs in one process (each worker numbers ids from its own base,
// 2^32 apart). The panel's row, the details title and Copy as JSON all carry that `seq`. Real
// worker proxies on their own threads, as the extension runs them, and real TLS connections.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { recordView } from "../../../extension/vscode/recordView";
import { parseRecord } from "../../../webview/hostMessage";
import type { ConnectionRecord } from "../../../extension/core/proxy/records/records";
import { echoUpstream, getWithPeer, startRealProxy, waitForRecord, type RealProxy } from "./harness";

const NAME = "numbers.test";

describe("record numbers across two proxy runs on worker threads", () => {
  let upstream: Awaited<ReturnType<typeof echoUpstream>>;
  const runs: RealProxy[] = [];
  after(async () => {
    for (const run of runs) await run.close().catch(() => {});
    upstream?.server.close();
  });

  /** Starts a worker proxy, makes `n` connections through it, and returns their records in order. */
  async function run(n: number): Promise<ConnectionRecord[]> {
    upstream ??= await echoUpstream();
    const proxy = await startRealProxy([{ host: NAME, upstream: upstream.url }], {}, {}, "worker");
    runs.push(proxy);
    const records: ConnectionRecord[] = [];
    for (let i = 0; i < n; i++) {
      const path = `/run${runs.length}-${i}`;
      const got = await getWithPeer({
        port: proxy.port,
        servername: NAME,
        headers: { host: NAME },
        path,
        ca: proxy.rootPem,
      });
      assert.equal(got.status, 200);
      records.push(await waitForRecord(proxy.proxy, (r) => !r.open && r.requests.some((q) => q.path === path), 15_000));
    }
    await proxy.close();
    return records;
  }

  it("counts each run's connections from 1, keeps ids unique, and shows the count in the row and its JSON", async () => {
    const first = await run(2);
    const second = await run(1);
    assert.deepEqual(
      first.map((r) => r.seq),
      [1, 2],
    );
    assert.deepEqual(
      second.map((r) => r.seq),
      [1],
      "a new proxy run counts from 1 again",
    );
    const ids = [...first, ...second].map((r) => r.id);
    assert.equal(new Set(ids).size, ids.length, `ids stay unique across runs: ${ids.join(", ")}`);
    for (const r of [...first, ...second]) {
      // As the panel gets it: the row through the adapter, then the webview's parse of the message.
      const row = parseRecord(JSON.parse(JSON.stringify(recordView(r))));
      assert.ok(row);
      assert.equal(row.seq, r.seq, "the details title shows #seq");
      assert.equal(row.id, r.id, "the row's key stays the unique id");
      // Copy as JSON is the row's detail: the same number a person read in the title.
      assert.equal((JSON.parse(JSON.stringify(row.detail)) as { seq: number }).seq, r.seq);
    }
  });
});
