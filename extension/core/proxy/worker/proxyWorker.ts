/**
 * The proxy's own thread (started by {@link WorkerProxy}): opens the local CA read-only from its
 * directory, runs one {@link DevProxy}, answers the host's commands and sends records (batched
 * for 20 ms) and binding changes back. TLS handshakes and proxied bytes never
 * touch the extension host's event loop, and the worker's young generation is capped by the
 * host, so memory settles after a burst of connections.
 */
import { parentPort, workerData } from "node:worker_threads";
import { LocalCa } from "../../ca/authority";
import { resolveListenSpec } from "../../net/listenSpec";
import { numberRecordsFrom } from "../records/connectionRecorder";
import { explainInternalError } from "../records/explain";
import { DevProxy } from "../devProxy";
import type { ConnectionRecord } from "../records/records";
import type { ProxyCommand, ProxyWorkerData, ProxyWorkerMessage } from "./workerProtocol";

const port = parentPort;
if (!port) throw new Error("proxyWorker.ts runs as a worker thread (see workerProxy.ts)");
const data = workerData as ProxyWorkerData;
const send = (m: ProxyWorkerMessage): void => port.postMessage(m);

if (data.firstRecordId !== undefined) numberRecordsFrom(data.firstRecordId);

// Closed records in order, and the latest state of each open one (a connection's updates within
// one batch collapse into one); an open record that closed in the same batch goes as closed only.
// A batch collects for RECORD_BATCH_MS: each message wakes the host's thread, so under a burst of
// short connections (a new TLS connection per request) a few messages a turn would cost the host
// a wake-up per connection; a connection that opens and closes within one batch goes once, closed.
const RECORD_BATCH_MS = 20;
let pending: ConnectionRecord[] = [];
let pendingLive = new Map<number, ConnectionRecord>();
let batch: NodeJS.Timeout | undefined;
const flush = (): void => {
  clearTimeout(batch);
  batch = undefined;
  const records = pending;
  const live = [...pendingLive.values()].filter((r) => r.open);
  pending = [];
  pendingLive = new Map();
  if (records.length > 0 || live.length > 0) send({ kind: "records", records, ...(live.length > 0 ? { live } : {}) });
};
const queueFlush = (): void => {
  batch ??= setTimeout(flush, RECORD_BATCH_MS);
};
const openCa = (ca: ProxyWorkerData["ca"]): Promise<LocalCa> =>
  LocalCa.open({ dir: ca.dir, keyType: ca.keyType, diskCache: ca.diskCache });

const proxyReady = openCa(data.ca).then((ca) => {
  const proxy = new DevProxy({
    settings: data.settings,
    leaves: ca,
    recordCapacity: data.recordCapacity,
    ...(data.timeouts ? { timeouts: data.timeouts } : {}),
    ...(data.ephemeralPorts
      ? { resolveListen: (spec: string) => resolveListenSpec(spec, { allowEphemeralPort: true }) }
      : {}),
  });
  proxy.on("record", (r) => {
    queueFlush();
    pending.push(r);
  });
  proxy.on("live", (r) => {
    queueFlush();
    pendingLive.set(r.id, r);
  });
  proxy.on("binding", (b) => send({ kind: "binding", binding: b }));
  proxy.on("problem", (p) => send({ kind: "problem", problem: p }));
  proxy.on("lan", (lan) => send({ kind: "lan", lan }));
  return proxy;
});

// A CA that cannot be opened is reported to each command, not as an unhandled rejection.
proxyReady.catch(() => {});

// A bug on one connection must not take every binding down with the thread: it is reported as a
// problem of the proxy (serve's log, the output channel, the views' state) and the proxy goes on
// (in-process, the extension host would have caught it the same way). An unhandled rejection
// arrives here too (Node's default --unhandled-rejections=throw).
process.on("uncaughtException", (e) => {
  const explained = explainInternalError(e);
  proxyReady.then(
    (proxy) => proxy.reportProblem(explained),
    // No proxy (its CA could not be opened): straight to the host.
    () => send({ kind: "problem", problem: { time: new Date().toISOString(), ...explained } }),
  );
});

// Commands run one after another, in the order sent: a stop never overtakes a start or an update.
let queue: Promise<unknown> = Promise.resolve();
port.on("message", (m: ProxyCommand) => {
  const run = async (): Promise<ProxyWorkerMessage> => {
    if (m.cmd === "gc") {
      // The most V8 can give back: repeated full GCs that also shrink the young generation and
      // release pooled pages ("last-resort"), as before an out-of-memory error.
      const gc = (globalThis as { gc?: (options?: object) => void }).gc;
      gc?.({ type: "major", execution: "sync", flavor: "last-resort" });
      return { kind: "reply", id: m.id, collected: gc !== undefined };
    }
    const proxy = await proxyReady;
    if (m.cmd === "records") {
      // Records not yet sent go first, so every record in the reply has already reached the host
      // as an event: nothing in the snapshot arrives again after it.
      if (pending.length > 0 || pendingLive.size > 0) flush();
      return { kind: "reply", id: m.id, records: proxy.records.list() };
    }
    if (m.cmd === "reloadCa") {
      proxy.setLeaves(await openCa(m.ca));
      return { kind: "reply", id: m.id };
    }
    if (m.cmd === "start") return { kind: "reply", id: m.id, bindings: await proxy.start() };
    if (m.cmd === "update") return { kind: "reply", id: m.id, bindings: await proxy.update(m.settings) };
    await proxy.stop();
    if (pending.length > 0 || pendingLive.size > 0) flush();
    return { kind: "reply", id: m.id, bindings: proxy.bindings };
  };
  queue = queue
    .then(run)
    .then(send, (e: unknown) => send({ kind: "reply", id: m.id, error: (e as Error).message ?? String(e) }));
});
