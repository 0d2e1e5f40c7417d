/**
 * Bad input the main bad-input file does not pin down: the exact sniff timeout on a silent client
 * (and its record), an oversized request header over HTTPS as well as plain HTTP, and a burst of
 * garbage connections while normal requests are made at the same moment. Loopback only.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import type http from "node:http";
import net from "node:net";
import tls from "node:tls";
import { curl, echoUpstream, nextRecord, startProxy, type ProxyFixture } from "./harness";

const SNIFF_TIMEOUT_MS = 300;
/**
 * How long a test waits for the proxy to close a connection: far past every deadline, so that a
 * loaded machine firing them late does not fail a test; only a proxy that never closes does.
 */
const CLOSE_WAIT_MS = 15_000;

/** Sends `bytes` on a new connection; resolves with the reply and when the proxy closed it. */
function raw(
  connect: () => net.Socket,
  bytes: Buffer | string | undefined,
  waitMs = 3000,
): Promise<{ data: Buffer; closed: boolean; afterMs: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const s = connect();
    const chunks: Buffer[] = [];
    const done = (closed: boolean): void => {
      clearTimeout(timer);
      s.destroy();
      resolve({ data: Buffer.concat(chunks), closed, afterMs: Date.now() - started });
    };
    const timer = setTimeout(() => done(false), waitMs);
    s.on("data", (c: Buffer) => chunks.push(c));
    s.on("close", () => done(true));
    s.on("error", () => {});
    if (bytes !== undefined) s.write(bytes);
  });
}

describe("bad input: timeouts, big headers, garbage bursts", () => {
  let f: ProxyFixture;
  let up: { server: http.Server; url: string };
  const ok = async (args: string[] = []): Promise<void> => {
    const r = await curl(f, "app.test", [
      ...args,
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      `https://app.test:${f.port}/ok`,
    ]);
    assert.equal(r.stdout, "200", r.stderr);
  };
  const plain = (): net.Socket => net.connect(f.port, "127.0.0.1");

  before(async () => {
    up = await echoUpstream();
    f = await startProxy([{ host: "app.test", upstream: up.url }], {
      "switchyard.proxy.sniffTimeoutMs": SNIFF_TIMEOUT_MS,
    });
  });
  after(async () => {
    await f.close();
    up.server.close();
  });

  it(`closes a client that connects and sends nothing after sniffTimeoutMs (${SNIFF_TIMEOUT_MS} ms) and records it`, async () => {
    // What is asserted is that the sniff deadline closed it (the record below: SNIFF_TIMEOUT with
    // nothing received), not how soon; a close for any other reason would record another error.
    const [r] = await Promise.all([raw(plain, undefined, CLOSE_WAIT_MS), ok()]);
    assert.ok(r.closed, "the proxy closed the silent connection");
    assert.equal(r.data.length, 0, "nothing is sent to a client that said nothing");
    const rec = await nextRecord(
      f,
      (x) => x.outcome.kind === "failed" && x.outcome.error === "SNIFF_TIMEOUT" && x.bytesIn === 0,
    );
    assert.equal(rec.outcome.kind === "failed" && rec.outcome.stage, "sniff");
    assert.match(rec.outcome.kind === "failed" ? rec.outcome.explanation : "", /sent nothing within 300 ms/);
    assert.match(rec.outcome.kind === "failed" ? rec.outcome.explanation : "", /sniffTimeoutMs/);
  });

  it("answers a 100 KB request header with 431 over plain HTTP and over HTTPS, serving others meanwhile", async () => {
    const big = `GET /big HTTP/1.1\r\nHost: app.test\r\nX-Big: ${"a".repeat(100 * 1024)}\r\n\r\n`;
    const overTls = (): net.Socket =>
      tls.connect({
        port: f.port,
        host: "127.0.0.1",
        servername: "app.test",
        ca: f.leaves.rootPem(),
        ALPNProtocols: ["http/1.1"],
      });
    const [h, s] = await Promise.all([raw(plain, big), raw(overTls, big), ok(), ok(["--http1.1"])]);
    assert.match(h.data.toString(), /^HTTP\/1\.1 431/);
    assert.match(s.data.toString(), /^HTTP\/1\.1 431/);
    assert.ok(h.closed && s.closed, "both connections were closed after the 431");
  });

  it("serves normal requests made at the same moment as a burst of garbage connections", async () => {
    const garbage = [
      randomBytes(64),
      Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x00, 0x40]), randomBytes(64)]), // a "ClientHello" of noise
      Buffer.from("GET\x00\x01\x02 nonsense\r\n\r\n", "latin1"),
      Buffer.from([0xff, 0xff, 0xff, 0xff]),
    ];
    const burst = Array.from({ length: 40 }, (_, i) => raw(plain, garbage[i % garbage.length], 3000));
    const normals = [ok(), ok(["--http1.1"]), ok(), ok(["--http1.1"])];
    const [results] = await Promise.all([Promise.all(burst), Promise.all(normals)]);
    assert.equal(results.filter((r) => r.closed).length, burst.length, "every garbage connection was closed");
    // And right after the garbage, on new connections, everything still works.
    await ok();
    await ok(["--http1.1"]);
  });

  it("closes a client whose first line is complete but not an HTTP request line (HELO x) within the sniff timeout", async () => {
    const [r] = await Promise.all([raw(plain, "HELO example.test\r\n", CLOSE_WAIT_MS), ok()]);
    assert.ok(r.closed, `still open after ${r.afterMs} ms`);
  });
  it("answers 400 at once to a first line that is not an HTTP request line", async () => {
    const r = await raw(plain, "HELO example.test\r\n", CLOSE_WAIT_MS);
    assert.ok(r.closed);
    // "At once" is shown by what came back, not by elapsed time: a 400 answers the line itself,
    // where the sniff deadline would have closed the connection with nothing sent (see the silent
    // client above) and the head deadline would have answered 408.
    assert.match(r.data.toString("latin1"), /^HTTP\/1\.1 400 /);
  });

  it("closes a request head that never ends (408) within the sniff timeout, counted from its first byte", async () => {
    const r = await raw(plain, "GET / HTTP/1.1\r\nHost: my-awesome-service.test\r\n", CLOSE_WAIT_MS);
    assert.ok(r.closed, `still open after ${r.afterMs} ms`);
    assert.match(r.data.toString("latin1"), /^HTTP\/1\.1 408 /);
  });
});
