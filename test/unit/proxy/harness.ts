/**
 * Shared setup for the proxy tests: a DevProxy on an ephemeral loopback port with the test CA,
 * small upstreams, and a promisified client runner. Loopback only.
 */
import { execFile, type ExecFileOptions } from "node:child_process";
import { writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import type net from "node:net";
import type tls from "node:tls";
import path from "node:path";
import { DevProxy, type DevProxyOptions } from "../../../extension/core/proxy/devProxy";
import type { ProxyTimeouts } from "../../../extension/core/proxy/context";
import type { ConnectionRecord } from "../../../extension/core/proxy/records/records";
import { parseSettings, type SwitchyardSettings } from "../../../extension/core/settings";
import { waitForRecord } from "./realProxy";
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
  const settings = (r: unknown[], e: Record<string, unknown> = extra): SwitchyardSettings => {
    const { settings: s, problems } = parseSettings({
      "switchyard.proxy.listen": ["127.0.0.1:0"],
      "switchyard.proxy.routes": r,
      ...e,
    });
    if (problems.length > 0) throw new Error(`bad test settings: ${JSON.stringify(problems)}`);
    return s;
  };
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

/** An upstream that echoes what it received as JSON. */
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
  return { server, port, url: `http://localhost:${port}` };
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
