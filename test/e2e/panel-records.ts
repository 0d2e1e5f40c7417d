// Real connection records for the panel's browser tests: a real proxy (the unit tests' harness, on
// loopback), real clients, and the adapter's own recordView, so the rows the panel shows are the
// ones the extension would send.
import http2 from "node:http2";
import { readFileSync } from "node:fs";
import type { ConnectionRecord } from "../../extension/core/proxy/records/records";
import { recordView } from "../../extension/vscode/recordView";
import type { RecordView } from "../../webview/protocol";
import { flakyUpstream, h2Get } from "../unit/proxy/flakyUpstream";
import { run, startProxy, waitForRecord } from "../unit/proxy/harness";

/** What the panel gets for one connection over its life: its row after the 502, and once it closed. */
export interface RecoveredConnection {
  afterFailure: RecordView;
  closed: RecordView;
}

const copy = (r: ConnectionRecord): ConnectionRecord => JSON.parse(JSON.stringify(r)) as ConnectionRecord;

/**
 * One kept-alive h2 connection: the first request meets a dev server that drops it (502), the next
 * two get 200. Returns the connection's row as published right after the 502 and once it closed.
 */
export async function recoveredConnection(): Promise<RecoveredConnection> {
  const upstream = await flakyUpstream();
  const f = await startProxy([{ host: "my-awesome-service.test", upstream: upstream.url }]);
  const live: ConnectionRecord[] = [];
  f.proxy.on("live", (r) => live.push(copy(r)));
  try {
    const session = http2.connect(`https://127.0.0.1:${f.port}`, {
      servername: "my-awesome-service.test",
      ca: readFileSync(f.rootFile),
    });
    const first = await h2Get(session, "/");
    if (first !== 502) throw new Error(`expected a 502 first, got ${first}`);
    // The live record is published at most every 100 ms: wait until the failure is in one.
    for (let i = 0; i < 50 && !live.some((r) => r.outcome.kind === "failed"); i++)
      await new Promise((r) => setTimeout(r, 50));
    const failed = live.find((r) => r.outcome.kind === "failed");
    if (!failed) throw new Error("no live record with the 502's failure");
    for (const path of ["/app.js", "/style.css"]) await h2Get(session, path);
    const closing = waitForRecord(f.proxy, (r) => r.id === failed.id);
    session.close();
    const closed = copy(await closing);
    return { afterFailure: recordView(failed), closed: recordView(closed) };
  } finally {
    await f.close();
    upstream.server.close();
  }
}

/** curl without --cacert against a real proxy: the failed connection's row, with `rootFile` in its fixes. */
export async function untrustedCurl(rootFile: string): Promise<RecordView> {
  const f = await startProxy([{ host: "my-awesome-service.test", upstream: "http://127.0.0.1:9" }]);
  try {
    const failed = waitForRecord(f.proxy, (r) => r.outcome.kind === "failed", 15_000);
    await run("curl", [
      "-sS",
      "--resolve",
      `my-awesome-service.test:${f.port}:127.0.0.1`,
      `https://my-awesome-service.test:${f.port}/`,
    ]);
    return recordView(copy(await failed), { rootFile, isThisMachine: () => true });
  } finally {
    await f.close();
  }
}
