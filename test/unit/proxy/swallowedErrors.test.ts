/**
 * Errors the proxy used to swallow (issue 21): each one now reaches the connection's record, the
 * proxy's problems ('problem' events, serve's log, the views) or its bindings, in words from
 * records/explain.ts. Real sockets on 127.0.0.1, a real worker thread, real h2 clients.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import tls from "node:tls";
import { Worker } from "node:worker_threads";
import { createRequire } from "node:module";
import { LocalCa } from "../../../extension/core/ca/index";
import { DevProxy } from "../../../extension/core/proxy/devProxy";
import type { BindingRecord, ConnectionRecord, ProxyProblem } from "../../../extension/core/proxy/records/records";
import type { ProxyWorkerData, ProxyWorkerMessage } from "../../../extension/core/proxy/worker/workerProtocol";
import { WorkerProxy } from "../../../extension/core/proxy/worker/workerProxy";
import { proxySettings, startProxy, testLeaves, waitForRecord, type ProxyFixture } from "./harness";

const WORKER_SOURCE = path.join(__dirname, "..", "..", "..", "extension", "core", "proxy", "worker", "proxyWorker.ts");

/** Resolves with the first event of `emitter` that matches, or rejects after `timeoutMs`. */
function eventMatching<T>(
  on: (listener: (value: T) => void) => void,
  off: (listener: (value: T) => void) => void,
  match: (value: T) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off(listener);
      reject(new Error(`no ${what} within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (value: T): void => {
      if (!match(value)) return;
      clearTimeout(timer);
      off(listener);
      resolve(value);
    };
    on(listener);
  });
}

/** An upstream on 127.0.0.1 that answers 200 "ok", or holds requests to /hold until closed. */
async function upstream(): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer((req, res) => {
    if (req.url === "/hold") return; // never answers: the client resets the stream meanwhile
    req.resume();
    res.end("ok");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}` };
}

describe("the proxy worker's uncaught exceptions", () => {
  let dir: string;
  let worker: Worker | undefined;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "switchyard-uncaught-"));
    await LocalCa.openOrCreate({ dir: path.join(dir, "ca"), diskCache: false });
  });
  after(async () => {
    await worker?.terminate();
    rmSync(dir, { recursive: true, force: true });
  });

  it("reach the host as a problem with words to act on, and the proxy goes on", async () => {
    // The real worker entry, as WorkerProxy starts it from source, with one fault injected after it
    // loaded: an exception nothing catches, on the proxy's own thread.
    const tsx = createRequire(__filename).resolve("tsx/cjs/api");
    const entry = [
      `require(${JSON.stringify(tsx)}).register();`,
      `require(${JSON.stringify(WORKER_SOURCE)});`,
      `setTimeout(() => { throw new Error("injected fault for the test"); }, 0);`,
    ].join("\n");
    const data: ProxyWorkerData = {
      settings: proxySettings([]),
      ca: { dir: path.join(dir, "ca"), diskCache: false },
      recordCapacity: 10,
      ephemeralPorts: true,
    };
    const w = new Worker(entry, { eval: true, workerData: data, stderr: true });
    worker = w;
    const messages: ProxyWorkerMessage[] = [];
    w.on("message", (m: ProxyWorkerMessage) => messages.push(m));
    const message = (match: (m: ProxyWorkerMessage) => boolean, what: string): Promise<ProxyWorkerMessage> => {
      const seen = messages.find(match);
      if (seen) return Promise.resolve(seen);
      return eventMatching<ProxyWorkerMessage>(
        (l) => w.on("message", l),
        (l) => w.off("message", l),
        match,
        what,
      );
    };
    const problem = await message((m) => m.kind === "problem", "problem message from the worker");
    assert.equal(problem.kind, "problem");
    if (problem.kind !== "problem") return;
    assert.equal(problem.problem.code, "INTERNAL_ERROR");
    assert.match(problem.problem.explanation, /injected fault for the test/);
    assert.match(problem.problem.explanation, /kept running/);
    assert.match(problem.problem.explanation, /restart the proxy/i);

    // Still answering commands: it started, listens, and stops.
    w.postMessage({ id: 1, cmd: "start" });
    const started = await message((m) => m.kind === "reply" && m.id === 1, "reply to start");
    assert.ok(started.kind === "reply" && started.bindings?.some((b) => b.state === "listening"));
    w.postMessage({ id: 2, cmd: "stop" });
    await message((m) => m.kind === "reply" && m.id === 2, "reply to stop");
  });
});

describe("a listening socket that fails after it was bound", () => {
  let proxy: DevProxy;
  before(async () => {
    proxy = new DevProxy({
      settings: proxySettings([]),
      leaves: testLeaves(),
      resolveListen: async (spec) => [{ spec, address: "127.0.0.1", family: 4, port: 0, wildcard: false }],
    });
    await proxy.start();
  });
  after(() => proxy.stop());

  it("turns its binding failed, with the reason, through the 'binding' event and bindings", async () => {
    const port = proxy.bindings[0]!.port;
    // The proxy's own server for that port. Node emits 'error' on a listening server when accept()
    // fails; on Linux libuv absorbs EMFILE itself (it keeps a spare descriptor), so the test emits
    // the error as Node would for an accept that failed (ENFILE: the system's file table is full).
    const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
    const server = handles.find(
      (h): h is net.Server => h instanceof net.Server && (h.address() as net.AddressInfo | null)?.port === port,
    );
    assert.ok(server, "the binding's server is among this process's handles");
    const event = eventMatching<BindingRecord>(
      (l) => proxy.on("binding", l),
      (l) => proxy.off("binding", l),
      (b) => b.port === port && b.state === "failed",
      "failed binding event",
    );
    server.emit("error", Object.assign(new Error("accept ENFILE"), { code: "ENFILE", errno: -23, syscall: "accept" }));
    const failed = await event;
    assert.match(failed.reason ?? "", /127\.0\.0\.1:\d+ stopped accepting connections/);
    assert.match(failed.reason ?? "", /ENFILE/);
    assert.match(failed.reason ?? "", /ulimit -n/);
    // What start() and the views read says the same, and the address is really let go.
    assert.equal(proxy.bindings[0]?.state, "failed");
    const refused = await new Promise<string>((resolve) => {
      const s = net.connect(port, "127.0.0.1");
      s.on("connect", () => {
        s.destroy();
        resolve("connected");
      });
      s.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "error"));
    });
    assert.equal(refused, "ECONNREFUSED");
  });
});

describe("h2 errors and idle h2 clients", () => {
  let f: ProxyFixture;
  let up: { server: http.Server; url: string };
  before(async () => {
    up = await upstream();
    f = await startProxy([{ host: "h2err.test", upstream: up.url }], {}, { clientIdleMs: 300 });
  });
  after(async () => {
    up.server.closeAllConnections();
    up.server.close();
    await f.close();
  });

  it("records an h2 session the client broke as failed, with what happened", async () => {
    const socket = tls.connect({
      host: "127.0.0.1",
      port: f.port,
      servername: "h2err.test",
      ca: f.leaves.rootPem(),
      ALPNProtocols: ["h2"],
    });
    socket.on("error", () => {});
    await once(socket, "secureConnect");
    const local = socket.localPort;
    // Not the client connection preface (RFC 9113 3.4): nghttp2 refuses the session.
    socket.write("GET / HTTP/1.1\r\nHost: h2err.test\r\n\r\n");
    const record = await waitForRecord(f.proxy, (r) => r.client.port === local, 10_000);
    socket.destroy();
    assert.equal(record.outcome.kind, "failed", JSON.stringify(record.outcome));
    if (record.outcome.kind !== "failed") return;
    assert.equal(record.outcome.stage, "http");
    assert.match(record.outcome.error, /ERR_HTTP2/);
    assert.match(record.outcome.explanation, /broke the HTTP\/2 protocol/);
  });

  it("records a stream the client reset with an error code as a failed request", async () => {
    const client = http2.connect(`https://127.0.0.1:${f.port}`, { ca: f.leaves.rootPem(), servername: "h2err.test" });
    client.on("error", () => {});
    await once(client, "connect");
    const local = (client.socket as net.Socket).localPort;
    const req = client.request({ ":method": "POST", ":path": "/hold", ":authority": "h2err.test" });
    req.on("error", () => {});
    req.write("part of a body");
    // Once the proxy has the request (the upstream got its head), the client resets the stream.
    await eventMatching<http.IncomingMessage>(
      (l) => up.server.on("request", l),
      (l) => up.server.off("request", l),
      (r) => r.url === "/hold",
      "the held request upstream",
    );
    req.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    await new Promise((r) => req.on("close", r)); // (once() would reject on the reset's 'error')
    client.close();
    const record = await waitForRecord(f.proxy, (r) => r.client.port === local, 10_000);
    const entry = record.requests.find((q) => q.path === "/hold");
    assert.ok(entry, `the reset request is in the record: ${JSON.stringify(record.requests)}`);
    assert.match(entry.error ?? "", /reset with INTERNAL_ERROR/);
  });

  it("closes an idle h2 client with GOAWAY after clientIdleMs, and the record says why", async () => {
    const client = http2.connect(`https://127.0.0.1:${f.port}`, { ca: f.leaves.rootPem(), servername: "h2err.test" });
    client.on("error", () => {});
    const goaway = once(client, "goaway");
    const closed = once(client, "close");
    await once(client, "connect");
    const local = (client.socket as net.Socket).localPort;
    const req = client.request({ ":path": "/", ":authority": "h2err.test" });
    req.resume();
    await once(req, "end");
    // Now the client stays idle: the proxy ends the session (bounded wait, not a timing assertion).
    const ended = await Promise.race([
      Promise.all([goaway, closed]).then(() => true),
      new Promise<false>((r) => setTimeout(() => r(false), 10_000).unref()),
    ]);
    client.destroy();
    assert.ok(ended, "the idle session got a GOAWAY and closed");
    const [code] = await goaway;
    assert.equal(code, http2.constants.NGHTTP2_NO_ERROR);
    const record = await waitForRecord(f.proxy, (r) => r.client.port === local, 10_000);
    assert.equal(record.outcome.kind, "proxied");
    assert.equal(record.closeReason?.code, "CLIENT_IDLE");
    assert.match(record.closeReason?.explanation ?? "", /sent no request for 300 ms/);
  });
});

describe("a certificate whose details cannot be read back", () => {
  let proxy: DevProxy;
  before(async () => {
    const leaves = testLeaves();
    // The context comes (the handshake works), the leaf's details do not.
    const broken = {
      secureContextFor: (name: string) => leaves.secureContextFor(name),
      refusalFor: (name: string) => leaves.refusalFor(name),
      rootPem: () => leaves.rootPem(),
      leafFor: () => Promise.reject(new Error("the leaf store went away")),
    };
    proxy = new DevProxy({
      // Only names a route covers get a leaf of their own (issue 22); nothing listens on port 9.
      settings: proxySettings([{ host: "nocert.test", upstream: "http://127.0.0.1:9" }]),
      leaves: broken,
      resolveListen: async (spec) => [{ spec, address: "127.0.0.1", family: 4, port: 0, wildcard: false }],
    });
    await proxy.start();
  });
  after(() => proxy.stop());

  it("is recorded with its explanation instead of leaving the record silently without one", async () => {
    const port = proxy.bindings[0]!.port;
    const socket = tls.connect({ host: "127.0.0.1", port, servername: "nocert.test", ca: testLeaves().rootPem() });
    socket.on("error", () => {});
    await once(socket, "secureConnect");
    const local = socket.localPort;
    // The record's certificate is filled in after the handshake; give it a request's time.
    socket.write("GET / HTTP/1.1\r\nHost: nocert.test\r\nConnection: close\r\n\r\n");
    socket.resume();
    await once(socket, "close");
    const record: ConnectionRecord = await waitForRecord(proxy, (r) => r.client.port === local, 10_000);
    assert.equal(record.tls?.certificate, undefined);
    assert.match(record.tls?.certificateProblem ?? "", /certificate for nocert\.test was presented/);
    assert.match(record.tls?.certificateProblem ?? "", /the leaf store went away/);
  });
});

describe("leaves the proxy cannot save", () => {
  let dir: string;
  let proxy: WorkerProxy | undefined;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "switchyard-leafwrite-"));
    await LocalCa.openOrCreate({ dir: path.join(dir, "ca") });
    // A file where the leaves folder should be: no leaf can be written (also as root).
    writeFileSync(path.join(dir, "ca", "leaves"), "not a folder\n");
  });
  after(async () => {
    await proxy?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("are a problem of the proxy (event and list) with what to do, and the leaf is still served", async () => {
    const p = new WorkerProxy({
      settings: proxySettings([{ host: "saved.test", upstream: "http://127.0.0.1:9" }]),
      ca: { dir: path.join(dir, "ca") },
      ephemeralPorts: true,
    });
    proxy = p;
    const problem = eventMatching<ProxyProblem>(
      (l) => p.on("problem", l),
      (l) => p.off("problem", l),
      (x) => x.code === "LEAF_CACHE_WRITE_FAILED",
      "LEAF_CACHE_WRITE_FAILED problem",
    );
    const bindings = await p.start();
    const port = bindings.find((b) => b.state === "listening")!.port;
    const root = LocalCa.open({ dir: path.join(dir, "ca") }).then((ca) => ca.rootPem());
    const socket = tls.connect({ host: "127.0.0.1", port, servername: "saved.test", ca: await root });
    socket.on("error", () => {});
    await once(socket, "secureConnect");
    socket.destroy();
    const reported = await problem;
    assert.match(reported.explanation, /could not be saved as .*leaves/);
    assert.match(reported.explanation, /issues it again after each restart/);
    assert.match(reported.explanation, /writable/);
    assert.ok(p.problems.some((x) => x.code === "LEAF_CACHE_WRITE_FAILED"));
  });
});
