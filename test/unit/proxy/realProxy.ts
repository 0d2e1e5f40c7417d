/**
 * Shared setup for the proxy tests that use the real local CA (LocalCa in a temp directory, with
 * its name constraints) instead of the openssl test root, and real external clients. Loopback only.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestContext } from "node:test";
import { LocalCa } from "../../../extension/core/ca/index";
import { resolveListenSpec } from "../../../extension/core/net/listenSpec";
import type { ProxyTimeouts } from "../../../extension/core/proxy/context";
import { DevProxy } from "../../../extension/core/proxy/devProxy";
import { WorkerProxy } from "../../../extension/core/proxy/worker/workerProxy";
import type { BindingRecord, ConnectionRecord } from "../../../extension/core/proxy/records/records";
import { parseSettings, type SwitchyardSettings } from "../../../extension/core/settings";

/** What the tests use of a proxy, in-process or on its worker thread. */
export interface AnyProxy {
  start(): Promise<BindingRecord[]>;
  update(settings: SwitchyardSettings): Promise<BindingRecord[]>;
  stop(): Promise<void>;
  readonly bindings: BindingRecord[];
  recentRecords(): Promise<ConnectionRecord[]>;
  /** Only on the worker thread: its V8 heap. */
  heapStatistics?(): Promise<{ usedBytes: number; physicalBytes: number } | undefined>;
  collectGarbage?(): Promise<boolean>;
  on(event: "record", listener: (r: ConnectionRecord) => void): unknown;
  off(event: "record", listener: (r: ConnectionRecord) => void): unknown;
}

/** A proxy in front of the real CA, on an OS-picked loopback port. */
export interface RealProxy {
  proxy: AnyProxy;
  port: number;
  ca: LocalCa;
  rootPem: string;
  /** The root as a PEM file, for curl --cacert, openssl -CAfile and certutil -i. */
  rootFile: string;
  /** The temp directory holding the CA (and anything else the test puts there). */
  dir: string;
  close(): Promise<void>;
}

/** The proxy settings for `routes`, failing loudly on a settings problem. */
export function proxySettings(
  routes: unknown[],
  extra: Record<string, unknown> = {},
  listen: string[] = ["127.0.0.1:0"],
): SwitchyardSettings {
  const { settings, problems } = parseSettings({
    "switchyard.proxy.listen": listen,
    "switchyard.proxy.routes": routes,
    ...extra,
  });
  if (problems.length > 0) throw new Error(`bad test settings: ${JSON.stringify(problems)}`);
  return settings;
}

/** Creates a name-constrained CA in a fresh temp dir and starts a proxy with it on 127.0.0.1:0. */
export async function startRealProxy(
  routes: unknown[],
  extra: Record<string, unknown> = {},
  timeouts: Partial<ProxyTimeouts> = {},
  /** "worker": on its own thread, as the extension and the CLI run it (workerProxy.ts). */
  host: "in-process" | "worker" = "in-process",
): Promise<RealProxy> {
  const dir = mkdtempSync(path.join(tmpdir(), "switchyard-realca-"));
  const { ca } = await LocalCa.openOrCreate({ dir: path.join(dir, "ca"), diskCache: false });
  const settings = proxySettings(routes, extra);
  const proxy: AnyProxy =
    host === "worker"
      ? new WorkerProxy({ settings, ca: { dir: ca.material.dir, diskCache: false }, timeouts, ephemeralPorts: true })
      : new DevProxy({
          settings,
          leaves: ca,
          timeouts,
          // The real listen-spec engine; port 0 is allowed only here so parallel test files never collide.
          resolveListen: (spec) => resolveListenSpec(spec, { allowEphemeralPort: true }),
        });
  const bindings = await proxy.start();
  const listening = bindings.find((b) => b.state === "listening");
  if (!listening) throw new Error(`proxy did not bind: ${JSON.stringify(bindings)}`);
  const rootPem = ca.rootPem();
  const rootFile = path.join(dir, "root.pem");
  writeFileSync(rootFile, rootPem);
  return {
    proxy,
    port: listening.port,
    ca,
    rootPem,
    rootFile,
    dir,
    close: async () => {
      await proxy.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * True when every tool is installed. A missing tool fails the test under CI=true (a CI image
 * without chromium or openssl must not pass by testing less) and skips it, saying why, elsewhere.
 */
export function needTools(t: TestContext, ...tools: string[]): boolean {
  const missing = tools.filter((tool) => spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0);
  if (missing.length === 0) return true;
  const message = `${missing.join(", ")} required for this test but not installed`;
  if (process.env.CI === "true") throw new Error(`${message} (CI=true)`);
  t.skip(message);
  return false;
}

/** Resolves with the first record (already stored or yet to come) that matches. */
export function waitForRecord(
  proxy: AnyProxy,
  match: (r: ConnectionRecord) => boolean,
  timeoutMs = 5000,
): Promise<ConnectionRecord> {
  return new Promise((resolve, reject) => {
    const done = (r: ConnectionRecord): void => {
      clearTimeout(timer);
      proxy.off("record", on);
      resolve(r);
    };
    const timer = setTimeout(() => {
      proxy.off("record", on);
      reject(new Error("no matching handshake record"));
    }, timeoutMs);
    const on = (r: ConnectionRecord): void => {
      if (match(r)) done(r);
    };
    // Subscribed before asking for the stored ones, so a record arriving in between is not missed.
    proxy.on("record", on);
    proxy.recentRecords().then((stored) => {
      const existing = stored.find(match);
      if (existing) done(existing);
    }, reject);
  });
}

/** A temp NSS database at `$home/.pki/nssdb`, where Chromium on Linux looks, optionally trusting `rootFile`. */
export function nssHome(rootFile?: string): string {
  const home = mkdtempSync(path.join(tmpdir(), "switchyard-nss-"));
  const db = `sql:${path.join(home, ".pki", "nssdb")}`;
  mkdirSync(path.join(home, ".pki", "nssdb"), { recursive: true });
  execFileSync("certutil", ["-N", "-d", db, "--empty-password"], { stdio: "ignore" });
  if (rootFile) execFileSync("certutil", ["-A", "-d", db, "-t", "C,,", "-n", "switchyard-test", "-i", rootFile]);
  return home;
}
