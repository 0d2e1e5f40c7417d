// A connection's record shows its current state: a request that failed upstream (a 502 while the
// dev server was away) followed by good ones on the same kept-alive h2 connection reads "proxied",
// with the failure kept as history. A real proxy, a real upstream, Node's http2 client.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import http2 from "node:http2";
import { readFileSync } from "node:fs";
import { flakyUpstream, h2Get } from "./flakyUpstream";
import { startProxy, waitForRecord } from "./harness";

describe("a connection that recovers from an upstream failure", () => {
  it("reads proxied 200 after a 502 then 200s, with the 502 in its history", async () => {
    const upstream = await flakyUpstream();
    const f = await startProxy([{ host: "app.test", upstream: upstream.url }]);
    try {
      const session = http2.connect(`https://127.0.0.1:${f.port}`, {
        servername: "app.test",
        ca: readFileSync(f.rootFile),
      });
      const statuses: number[] = [];
      // Each request waits for the one before: the first meets the dropped upstream connection.
      for (const path of ["/a", "/b", "/c"]) statuses.push(await h2Get(session, path));
      assert.deepEqual(statuses, [502, 200, 200]);
      const closed = waitForRecord(f.proxy, (r) => r.clientHello?.serverName === "app.test");
      session.close();
      const rec = await closed;
      assert.deepEqual(rec.outcome, { kind: "proxied", status: 200, requests: 3 });
      assert.equal(rec.pastFailures?.length, 1);
      assert.equal(rec.pastFailures[0]!.stage, "upstream");
      assert.equal(rec.pastFailures[0]!.request, 1);
      assert.match(rec.pastFailures[0]!.explanation, /closed the connection without answering/);
      assert.deepEqual(
        rec.requests.map((q) => [q.path, q.status, q.error !== undefined]),
        [
          ["/a", 502, true],
          ["/b", 200, false],
          ["/c", 200, false],
        ],
      );
    } finally {
      await f.close();
      upstream.server.close();
    }
  });

  it("stays failed when the last request failed", async () => {
    // Nothing listens at the route's port: the upstream server is closed before the request (a port
    // where nothing listens is what this needs; Node cannot hold a TCP port bound without listening).
    const upstream = await flakyUpstream();
    const url = upstream.url;
    await new Promise((r) => upstream.server.close(r));
    const f = await startProxy([{ host: "down.test", upstream: url }]);
    try {
      const session = http2.connect(`https://127.0.0.1:${f.port}`, {
        servername: "down.test",
        ca: readFileSync(f.rootFile),
      });
      assert.equal(await h2Get(session, "/"), 502);
      const closed = waitForRecord(f.proxy, (r) => r.clientHello?.serverName === "down.test");
      session.close();
      const rec = await closed;
      assert.equal(rec.outcome.kind, "failed");
      assert.equal(rec.pastFailures, undefined);
    } finally {
      await f.close();
    }
  });
});
