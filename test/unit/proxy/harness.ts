/**
 * The one harness of the proxy tests: a proxy on an OS-picked loopback port, either in front of the
 * openssl test root (startProxy: fast, any name) or of the real local CA with its name constraints
 * (startRealProxy: in-process or on its worker thread); small upstreams; the external clients
 * (curl, openssl s_client, Node's https) and record waits. Loopback only.
 */
import { execFile, execFileSync, type ExecFileOptions } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import type net from "node:net";
import { tmpdir } from "node:os";
import type tls from "node:tls";
import path from "node:path";
import { LocalCa } from "../../../extension/core/ca/index";
import { resolveListenSpec } from "../../../extension/core/net/listenSpec";
import { DevProxy, type DevProxyOptions } from "../../../extension/core/proxy/devProxy";
import type { ProxyTimeouts } from "../../../extension/core/proxy/context";
import type { BindingRecord, ConnectionRecord } from "../../../extension/core/proxy/records/records";
import { WorkerProxy } from "../../../extension/core/proxy/worker/workerProxy";
import { parseSettings, type SwitchyardSettings } from "../../../extension/core/settings";
import { OpensslLeafSource } from "./testLeafSource";

/** A running proxy for one test file. */
export interface ProxyFixture {
  proxy: DevProxy;
  port: number;
  leaves: OpensslLeafSource;
  /** The test root as a PEM file, for curl --cacert and openssl -CAfile. */
  rootFile: string;
  settings(routes: unknown[], extra?: Record<string, unknown>): SwitchyardSettings;
  close(): Promise<void>;
}

let shared: OpensslLeafSource | undefined;

/** One test CA per process: issuing with the openssl CLI costs ~20 ms per name. */
export function testLeaves(): OpensslLeafSource {
  shared ??= new OpensslLeafSource();
  return shared;
}

/** Starts a proxy on 127.0.0.1 with an OS-picked port. */
export async function startProxy(
  routes: unknown[],
  extra: Record<string, unknown> = {},
  timeouts: Partial<ProxyTimeouts> = {},
  options: Pick<DevProxyOptions, "upstreamConnectionsPerOrigin"> = {},
): Promise<ProxyFixture> {
  const leaves = testLeaves();
  const settings = (r: unknown[], e: Record<string, unknown> = extra): SwitchyardSettings => proxySettings(r, e);
  const proxy = new DevProxy({
    settings: settings(routes),
    leaves,
    timeouts,
    ...options,
    resolveListen: async (spec) => [{ spec, address: "127.0.0.1", family: 4, port: 0, wildcard: false }],
  });
  const bindings = await proxy.start();
  const port = bindings[0]!.port;
  const rootFile = path.join(leaves.dir, "root.pem");
  writeFileSync(rootFile, leaves.rootPem());
  return { proxy, port, leaves, rootFile, settings, close: () => proxy.stop() };
}

/**
 * An upstream that echoes what it received as JSON. Its `url` names the address it bound, never
 * `localhost`: another program holding the same port on the other loopback address would answer.
 */
export async function echoUpstream(host = "127.0.0.1"): Promise<{ server: http.Server; port: number; url: string }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = JSON.stringify({
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      res.writeHead(200, {
        "content-type": "application/json",
        "x-upstream-port": String((server.address() as net.AddressInfo).port),
      });
      res.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  const port = (server.address() as net.AddressInfo).port;
  return { server, port, url: `http://${urlHost(host)}:${port}` };
}

/** An address as a URL's host: IPv6 in brackets. */
export function urlHost(address: string): string {
  return address.includes(":") ? `[${address}]` : address;
}

/** Runs a command; resolves with stdout/stderr/exit code, never rejects on a non-zero exit. */
export function run(
  cmd: string,
  args: string[],
  options: ExecFileOptions & { input?: string } = {},
): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { timeout: 10_000, encoding: "utf8", ...options }, (err, stdout, stderr) => {
      const code = err
        ? typeof (err as NodeJS.ErrnoException & { code?: unknown }).code === "number"
          ? Number((err as { code?: unknown }).code)
          : 1
        : 0;
      resolve({ stdout: String(stdout), stderr: String(stderr), code });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** A running proxy as the clients below need it: its port and the root its leaves chain to. */
export type ProxyTarget = Pick<ProxyFixture, "port" | "rootFile">;

/** curl against the proxy with the test root trusted and `name` resolved to loopback. */
export function curl(
  f: ProxyTarget,
  name: string,
  args: string[],
): Promise<{ stdout: string; stderr: string; code: number }> {
  return run("curl", ["-sS", "--cacert", f.rootFile, "--resolve", `${name}:${f.port}:127.0.0.1`, ...args]);
}

/** Resolves with the first record (already stored or yet to come) that matches. */
export function nextRecord(
  f: ProxyFixture,
  match: (r: ConnectionRecord) => boolean,
  timeoutMs = 5000,
): Promise<ConnectionRecord> {
  return waitForRecord(f.proxy, match, timeoutMs);
}

/** openssl s_client to the proxy on 127.0.0.1, trusting only its root and failing on any verify error. */
export function sClient(f: ProxyTarget, args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  const base = ["s_client", "-connect", `127.0.0.1:${f.port}`, "-CAfile", f.rootFile, "-verify_return_error"];
  return run("openssl", [...base, ...args], { input: "" });
}

/**
 * One GET with Node's https client (a new connection unless `options.agent` says otherwise);
 * resolves with the status, body, the certificate the proxy served and whether the TLS session
 * was resumed.
 */
export function getWithPeer(
  options: https.RequestOptions,
): Promise<{ status?: number; body: string; peer: tls.PeerCertificate; reused: boolean }> {
  return new Promise((resolve, reject) => {
    https
      .get({ host: "127.0.0.1", agent: false, ...options }, (res) => {
        const socket = res.socket as tls.TLSSocket;
        const peer = socket.getPeerCertificate();
        const reused = socket.isSessionReused();
        let body = "";
        res.on("data", (c: Buffer) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode, body, peer, reused }));
      })
      .on("error", reject);
  });
}

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

/**
 * GET `path` through the proxy over HTTP/1.1 as a browser with a hosts entry for `name` does:
 * dialled at 127.0.0.1 with SNI and Host `name`, trusting only the CA's root.
 */
export function httpsGetVia(
  f: Pick<RealProxy, "port" | "rootPem">,
  name: string,
  path = "/",
): Promise<{ status?: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(
        {
          host: "127.0.0.1",
          port: f.port,
          servername: name,
          headers: { host: `${name}:${f.port}` },
          path,
          ca: f.rootPem,
          agent: false,
        },
        (res) => {
          let s = "";
          res.on("data", (c: Buffer) => (s += c));
          res.on("end", () => resolve({ status: res.statusCode, body: s }));
        },
      )
      .on("error", reject);
  });
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

export { needTools } from "../requirements";

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
