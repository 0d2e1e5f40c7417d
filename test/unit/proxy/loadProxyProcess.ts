/**
 * The proxy side of load.test.ts, run in its own process (forked with --expose-gc) so its RSS is
 * the proxy's alone, not the load generator's or the upstream's, and they share the machine's
 * cores. Talks over IPC: sends { port, rootPem } once listening; answers "rss" with its RSS after
 * full GCs of both threads; exits on "stop". Loopback only.
 */
import { readFileSync } from "node:fs";
import { getHeapSpaceStatistics } from "node:v8";
import { startRealProxy } from "./harness";

/** Messages the test sends. */
export type LoadCommand = { cmd: "rss" } | { cmd: "stop" };
/** Messages this process sends. */
export type LoadReply =
  | { kind: "ready"; port: number; rootPem: string }
  | {
      kind: "rss";
      rss: number;
      /** Anonymous resident memory (RssAnon): what the process allocated, without mapped files. */
      rssAnon: number;
      heapUsed: number;
      external: number;
      gc: boolean;
      records: number;
      /** Live libuv resources by type (sockets, timers); newSpaceMB: this thread's V8 young generation; workerHeap*: the proxy thread's V8 heap. */
      resources: Record<string, number>;
    };

async function main(): Promise<void> {
  const send = (m: LoadReply): void => void process.send?.(m);
  const [name = "load.test", upstreamPort = ""] = process.argv.slice(2);
  // On its worker thread, as the extension and the CLI run it. The upstream lives in the test's
  // process, so this process's memory is the proxy's alone.
  const f = await startRealProxy(
    [{ host: name, upstream: `http://127.0.0.1:${upstreamPort}` }],
    {},
    { clientIdleMs: 30_000 },
    "worker",
  );
  let records = 0;
  f.proxy.on("record", () => records++);
  const gc = (globalThis as { gc?: (options?: object) => void }).gc;
  process.on("message", (m: LoadCommand) => {
    if (m.cmd === "stop") {
      void f.close().then(() => process.exit(0));
      return;
    }
    void (async () => {
      let workerGcs = 0;
      for (let i = 0; i < 3; i++) {
        // Both heaps: this thread's (the record mirror) and the proxy thread's, where the connections live.
        gc?.({ type: "major", execution: "sync", flavor: "last-resort" });
        if (await f.proxy.collectGarbage?.()) workerGcs++;
        await new Promise((r) => setTimeout(r, gc ? 200 : 1500));
      }
      const { rss, heapUsed, external } = process.memoryUsage();
      const rssAnon = anonymousRss() ?? rss;
      const resources: Record<string, number> = { workerGcs };
      for (const type of process.getActiveResourcesInfo()) resources[type] = (resources[type] ?? 0) + 1;
      // V8's young generation: its committed size is part of RSS but not of heapUsed.
      const young = getHeapSpaceStatistics().find((s) => s.space_name === "new_space");
      if (young) resources.newSpaceMB = Math.round(young.physical_space_size / 1048576);
      // The proxy's own thread: its V8 heap is part of this RSS too.
      const worker = await f.proxy.heapStatistics?.();
      if (worker) {
        resources.workerHeapUsedMB = Math.round(worker.usedBytes / 1048576);
        resources.workerHeapResidentMB = Math.round(worker.physicalBytes / 1048576);
      }
      send({
        kind: "rss",
        rss,
        rssAnon,
        heapUsed,
        external,
        gc: gc !== undefined,
        records,
        resources,
      });
    })();
  });
  send({ kind: "ready", port: f.port, rootPem: f.rootPem });
}

void main();

/** RssAnon from /proc/self/status in bytes (Linux), or undefined elsewhere. */
function anonymousRss(): number | undefined {
  try {
    const kb = /^RssAnon:\s+(\d+) kB/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
    return kb ? Number(kb) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
