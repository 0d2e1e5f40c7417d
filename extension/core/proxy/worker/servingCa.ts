/**
 * Which CA a running {@link WorkerProxy} issues from, so it is told to reload only when that
 * changes: the extension after "Create Local CA" or a CA setting, and `switchyard serve` when the
 * CA folder is replaced under it (core/ca/caWatch.ts). One mechanism for both.
 */
import type { ProxyWorkerData } from "./workerProtocol";

/** The CA files a proxy worker opens, as in its protocol. */
export type WorkerCa = ProxyWorkerData["ca"];

/** What a reload needs of the proxy (WorkerProxy). */
export interface ReloadsCa {
  reloadCa(ca: WorkerCa): Promise<void>;
}

/** What makes two CAs the same for a proxy: the root it chains to, the folder and the leaves' key type. */
function servingKey(rootPem: string, ca: WorkerCa): string {
  return `${rootPem}|${ca.keyType ?? ""}|${ca.dir}`;
}

/** The CA one proxy issues from. */
export class ServingCa {
  private serving: string | undefined;

  /** `rootPem` and `ca`: what the proxy was started with. */
  constructor(
    private readonly proxy: ReloadsCa,
    rootPem: string,
    ca: WorkerCa,
  ) {
    this.serving = servingKey(rootPem, ca);
  }

  /**
   * Has the proxy issue from `ca` (whose root is `rootPem`) from now on, unless it already does.
   * Resolves true when it reloaded; connections past their handshake keep their certificate.
   */
  async switchTo(rootPem: string, ca: WorkerCa): Promise<boolean> {
    const next = servingKey(rootPem, ca);
    if (next === this.serving) return false;
    await this.proxy.reloadCa(ca);
    this.serving = next;
    return true;
  }
}
