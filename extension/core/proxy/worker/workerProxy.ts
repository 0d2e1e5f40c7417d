/**
 * The dev proxy on a worker thread, with the same surface as {@link DevProxy} (start, update,
 * stop, bindings, problems, records, 'live', 'record', 'binding' and 'problem' events). What the extension and the CLI run:
 * - the extension host's event loop (shared with every other extension) never runs a TLS
 *   handshake or moves a proxied byte;
 * - the worker's young generation is capped: under sustained connection churn V8 otherwise grows
 *   it to ~100 MB and keeps the pages resident (measured in test/unit/proxy/load.test.ts).
 * - the records' ring buffer lives in the worker only: a second copy on this side measured +25% RSS
 *   after 10,000 connections (V8 grew this thread's young generation to keep 1,000 records that
 *   are replaced all the time), and the extension keeps its own list of record views for the panel anyway.
 * If the worker dies, every binding is reported failed with the reason.
 */
import { EventEmitter } from "node:events";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { Worker } from "node:worker_threads";
import type { SwitchyardSettings } from "../../settings";
import type { ProxyTimeouts } from "../context";
import { MAX_PROBLEMS_KEPT, type BindingRecord, type ConnectionRecord, type ProxyProblem } from "../records/records";
import type { ProxyCommand, ProxyWorkerData, ProxyWorkerMessage } from "./workerProtocol";
import type { DevProxyEvents } from "../devProxy";
import { lanOff, type LanState } from "../../lan/lanState";

/** What a WorkerProxy needs: the CA is opened in the worker from its directory (create it first). */
export interface WorkerProxyOptions {
  settings: SwitchyardSettings;
  ca: ProxyWorkerData["ca"];
  recordCapacity?: number;
  timeouts?: Partial<ProxyTimeouts>;
  /** The worker's young-generation cap in MB; default 16. */
  youngGenerationMb?: number;
  /** Tests only: listen specs may ask for port 0. */
  ephemeralPorts?: boolean;
}

/**
 * dist/proxyWorker.js next to the bundle, run with no inherited node options (the extension host's
 * own flags are not all valid in a worker). From source (the tests), a small CommonJS entry that
 * registers tsx's require hook in the worker itself and then loads proxyWorker.ts: on Node 20 a
 * worker does not inherit the parent's `--import tsx` hooks, and Node's loader refuses a `.ts` entry.
 */
function workerScript(): { file: string; eval: boolean; execArgv: string[] } {
  const built = path.join(__dirname, "proxyWorker.js");
  if (existsSync(built)) return { file: built, eval: false, execArgv: [] };
  const tsx = createRequire(__filename).resolve("tsx/cjs/api");
  const source = path.join(__dirname, "proxyWorker.ts");
  const entry = `require(${JSON.stringify(tsx)}).register();\nrequire(${JSON.stringify(source)});\n`;
  return { file: entry, eval: true, execArgv: [] };
}

/**
 * Each worker of this process numbers its records from its own base, so ids stay unique across
 * restarts (a panel keyed by id would otherwise draw a new worker's records over the old ones).
 */
const RECORD_IDS_PER_WORKER = 2 ** 32;
let workersStarted = 0;

/** A command before it gets its id (the protocol's commands, one by one, without `id`). */
type Command = ProxyCommand extends infer C ? (C extends ProxyCommand ? Omit<C, "id"> : never) : never;
type Reply = Extract<ProxyWorkerMessage, { kind: "reply" }>;

/** The running proxy's handle on the host side. */
export class WorkerProxy extends EventEmitter<DevProxyEvents> {
  private readonly worker: Worker;
  private readonly live = new Map<string, BindingRecord>();
  private readonly recentProblems: ProxyProblem[] = [];
  private readonly waiting = new Map<number, { resolve: (m: Reply) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private exited: Error | undefined;
  private lan: LanState = lanOff();

  constructor(options: WorkerProxyOptions) {
    super();
    const recordCapacity = options.recordCapacity ?? 1000;
    const workerData: ProxyWorkerData = {
      settings: options.settings,
      ca: options.ca,
      recordCapacity,
      firstRecordId: workersStarted++ * RECORD_IDS_PER_WORKER + 1,
      ...(options.timeouts ? { timeouts: options.timeouts } : {}),
      ...(options.ephemeralPorts ? { ephemeralPorts: true } : {}),
    };
    const script = workerScript();
    this.worker = new Worker(script.file, {
      workerData,
      eval: script.eval,
      execArgv: script.execArgv,
      resourceLimits: { maxYoungGenerationSizeMb: options.youngGenerationMb ?? 16 },
    });
    this.worker.on("message", (m: ProxyWorkerMessage) => this.onMessage(m));
    this.worker.on("error", (e) => this.died(e));
    this.worker.on("exit", (code) => this.died(new Error(`the proxy worker exited with code ${code}`)));
  }

  /** Every binding: listening, failed (with the reason), or closed. */
  get bindings(): BindingRecord[] {
    return [...this.live.values()];
  }

  /** Sharing on the LAN as last reported by the worker; changes arrive as 'lan' events. */
  get lanState(): LanState {
    return this.lan;
  }

  /** The latest problems of the proxy itself (an internal error, leaves not saved), oldest first; each also came as 'problem'. */
  get problems(): ProxyProblem[] {
    return [...this.recentProblems];
  }

  /** The worker's V8 heap (used and resident bytes), for diagnostics; undefined where node lacks worker.getHeapStatistics. */
  async heapStatistics(): Promise<{ usedBytes: number; physicalBytes: number } | undefined> {
    const worker = this.worker as Worker & { getHeapStatistics?: () => Promise<Record<string, number>> };
    const stats = await worker.getHeapStatistics?.();
    if (!stats) return undefined;
    return { usedBytes: stats.used_heap_size ?? 0, physicalBytes: stats.total_physical_size ?? 0 };
  }

  /** The latest handshake records (the worker's ring buffer), oldest first; new ones arrive as 'record' events. */
  async recentRecords(): Promise<ConnectionRecord[]> {
    return (await this.command({ cmd: "records" })).records ?? [];
  }

  /**
   * Runs a full garbage collection on the proxy thread, for diagnostics and the load test: only
   * when this process runs with --expose-gc; resolves whether it ran.
   */
  async collectGarbage(): Promise<boolean> {
    return (await this.command({ cmd: "gc" })).collected === true;
  }

  /** Issues leaves from the CA in `ca` from now on (after it was recreated or a CA setting changed). */
  async reloadCa(ca: ProxyWorkerData["ca"]): Promise<void> {
    await this.command({ cmd: "reloadCa", ca });
  }

  /** Binds every listen address; resolves with the binding records (a bind failure is a failed record). */
  async start(): Promise<BindingRecord[]> {
    return (await this.command({ cmd: "start" })).bindings ?? [];
  }

  /** Applies new settings live (see DevProxy.update). */
  async update(settings: SwitchyardSettings): Promise<BindingRecord[]> {
    return (await this.command({ cmd: "update", settings })).bindings ?? [];
  }

  /** Stops listening, ends open connections, and ends the worker. Never rejects: a proxy that failed to start has nothing to stop. */
  async stop(): Promise<void> {
    if (this.exited) return;
    await this.command({ cmd: "stop" }).catch(() => {});
    this.exited ??= new Error("the proxy was stopped");
    await this.worker.terminate();
    // Commands sent after the stop get no reply from a terminated worker.
    for (const { reject } of this.waiting.values()) reject(this.exited);
    this.waiting.clear();
  }

  private command(c: Command): Promise<Reply> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ ...c, id } as ProxyCommand);
    });
  }

  private onMessage(m: ProxyWorkerMessage): void {
    if (m.kind === "records") {
      for (const r of m.live ?? []) this.emit("live", r);
      for (const r of m.records) this.emit("record", r);
      return;
    }
    if (m.kind === "binding") {
      this.track(m.binding);
      this.emit("binding", m.binding);
      return;
    }
    if (m.kind === "lan") {
      this.lan = m.lan;
      this.emit("lan", m.lan);
      return;
    }
    if (m.kind === "problem") {
      this.recentProblems.push(m.problem);
      if (this.recentProblems.length > MAX_PROBLEMS_KEPT) this.recentProblems.shift();
      this.emit("problem", m.problem);
      return;
    }
    const waiter = this.waiting.get(m.id);
    this.waiting.delete(m.id);
    if (m.bindings) {
      this.live.clear();
      for (const b of m.bindings) this.track(b);
    }
    if (m.error !== undefined) waiter?.reject(new Error(m.error));
    else waiter?.resolve(m);
  }

  private track(b: BindingRecord): void {
    if (b.state === "closed") this.live.delete(liveKey(b));
    else this.live.set(liveKey(b), b);
  }

  private died(e: Error): void {
    if (this.exited) return;
    this.exited = e;
    for (const { reject } of this.waiting.values()) reject(e);
    this.waiting.clear();
    // The worker's LAN listeners and mDNS sockets ended with it: the views say sharing is off.
    if (this.lan.sharing) {
      this.lan = lanOff();
      this.emit("lan", this.lan);
    }
    for (const b of this.live.values()) {
      const failed: BindingRecord = { ...b, state: "failed", reason: `the proxy stopped unexpectedly: ${e.message}` };
      this.live.set(liveKey(b), failed);
      this.emit("binding", failed);
    }
  }
}

/** One binding across the records the worker sends about it (the port is the bound one). */
function liveKey(b: BindingRecord): string {
  return `${b.role}|${b.spec}|${b.address}|${b.port}`;
}
