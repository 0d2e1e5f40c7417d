/**
 * Messages between {@link WorkerProxy} (the extension host or CLI thread) and the proxy worker
 * (proxyWorker.ts). Everything here is structured-clone data.
 */
import type { KeyType, SwitchyardSettings } from "../../settings";
import type { LanState } from "../../lan/lanShare";
import type { ProxyTimeouts } from "../context";
import type { BindingRecord, ConnectionRecord, ProxyProblem } from "../records/records";

/** What the worker needs to open the CA (already created by the host) and run the proxy. */
export interface ProxyWorkerData {
  settings: SwitchyardSettings;
  ca: { dir: string; keyType?: KeyType; diskCache?: boolean };
  recordCapacity: number;
  /** The id of this worker's first record (each worker of a process gets its own range). */
  firstRecordId?: number;
  timeouts?: Partial<ProxyTimeouts>;
  /** Tests only: listen specs may ask for port 0 (the OS picks). */
  ephemeralPorts?: boolean;
}

/** Host -> worker: a command with an id the reply carries. */
export type ProxyCommand =
  | { id: number; cmd: "start" }
  | { id: number; cmd: "update"; settings: SwitchyardSettings }
  | { id: number; cmd: "stop" }
  /** Open the CA again (it was recreated, or its settings changed) and issue leaves from it. */
  | { id: number; cmd: "reloadCa"; ca: ProxyWorkerData["ca"] }
  /** The worker's ring buffer of records, oldest first. */
  | { id: number; cmd: "records" }
  /** A full GC on the proxy thread, when the process runs with --expose-gc (diagnostics, the load test). */
  | { id: number; cmd: "gc" };

/** Worker -> host. */
export type ProxyWorkerMessage =
  | {
      kind: "reply";
      id: number;
      bindings?: BindingRecord[];
      records?: ConnectionRecord[];
      collected?: boolean;
      error?: string;
    }
  /** Closed connections' records, and (before them) the latest state of open ones. */
  | { kind: "records"; records: ConnectionRecord[]; live?: ConnectionRecord[] }
  | { kind: "binding"; binding: BindingRecord }
  /** A problem of the proxy itself: an internal error caught on the worker, leaves that cannot be saved. */
  | { kind: "problem"; problem: ProxyProblem }
  /** Sharing on the LAN changed: addresses, `.local` names (claimed, renamed), onboarding URLs. */
  | { kind: "lan"; lan: LanState };
