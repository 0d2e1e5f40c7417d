import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type http from "node:http";
import { curl, echoUpstream, nextRecord, startProxy, type ProxyFixture } from "./harness";

const hello = readFileSync(path.join(__dirname, "../../fixtures/clienthello/node-tls.bin"));

/** Opens a raw connection, sends `bytes`, and resolves with what came back once the proxy closes (or after `waitMs`). */
function raw(port: number, bytes: Buffer | string, waitMs = 3000): Promise<{ data: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    const done = (closed: boolean): void => {
      clearTimeout(timer);
      s.destroy();
      resolve({ data: Buffer.concat(chunks), closed });
    };
    const timer = setTimeout(() => done(false), waitMs);
    s.on("data", (c: Buffer) => chunks.push(c));
    s.on("close", () => done(true));
    s.on("error", () => {});
    s.write(bytes);
  });
}

describe("bad input on the port, while normal requests still succeed", () => {
  let f: ProxyFixture;
  let up: { server: http.Server; url: string };
  const ok = async (): Promise<void> => {
    const r = await curl(f, "app.test", ["-o", "/dev/null", "-w", "%{http_code}", `https://app.test:${f.port}/ok`]);
    assert.equal(r.stdout, "200", r.stderr);
  };

  before(async () => {
    up = await echoUpstream();
    f = await startProxy([{ host: "app.test", upstream: up.url }], { "switchyard.proxy.sniffTimeoutMs": 1500 });
  });
  after(async () => {
    await f.close();
    up.server.close();
  });

  it("closes on random bytes and records them as hex with 'unknown protocol'", async () => {
    const [r] = await Promise.all([raw(f.port, Buffer.from([0x00, 0xde, 0xad, 0xbe, 0xef])), ok()]);
    assert.ok(r.closed);
    const rec = await nextRecord(f, (x) => x.firstBytesHex === "00deadbeef");
    assert.equal(rec.outcome.kind, "failed");
    assert.match(rec.outcome.kind === "failed" ? rec.outcome.explanation : "", /unknown protocol/);
  });

  it("closes a truncated ClientHello after the sniff timeout", async () => {
    const [r] = await Promise.all([raw(f.port, hello.subarray(0, 100)), ok()]);
    assert.ok(r.closed);
    await nextRecord(
      f,
      (x) => x.outcome.kind === "failed" && x.outcome.error === "SNIFF_TIMEOUT" && x.protocol === "tls",
    );
  });

  it("closes a TLS record claiming 65535 bytes at once", async () => {
    const [r] = await Promise.all([raw(f.port, Buffer.from([0x16, 0x03, 0x01, 0xff, 0xff])), ok()]);
    assert.ok(r.closed);
    // "At once" is what closed it, not how soon: the proxy refused the record for its size
    // (CLIENT_HELLO_RECORD_TOO_LARGE) rather than waiting for the rest until the sniff deadline
    // fired (SNIFF_TIMEOUT), whatever the machine's load.
    const rec = await nextRecord(f, (x) => x.protocol === "tls" && x.outcome.kind === "failed" && x.bytesIn === 5);
    assert.equal(rec.outcome.kind === "failed" && rec.outcome.error, "CLIENT_HELLO_RECORD_TOO_LARGE");
  });

  it("completes a handshake for a ClientHello dribbled one byte per 50 ms", async () => {
    const s = net.connect(f.port, "127.0.0.1");
    s.on("error", () => {});
    const got: Buffer[] = [];
    s.on("data", (c: Buffer) => got.push(c));
    const dribble = (async () => {
      // The first 16 bytes (record header, handshake header, version, part of the random) one at a time;
      // the whole 403 bytes at this pace would outlast any sane sniff timeout, which is the point of having one.
      for (let i = 0; i < 16; i++) {
        s.write(hello.subarray(i, i + 1));
        await sleep(50);
      }
      s.write(hello.subarray(16));
      for (let i = 0; i < 40 && got.length === 0; i++) await sleep(50);
    })();
    await Promise.all([dribble, ok()]);
    const reply = Buffer.concat(got);
    assert.equal(reply[0], 0x16, "the proxy answered with a TLS ServerHello");
    s.destroy();
  });

  it("closes 200 idle connections after the sniff timeout and serves a request meanwhile", async () => {
    const sockets = await Promise.all(
      Array.from(
        { length: 200 },
        () =>
          new Promise<net.Socket>((resolve) => {
            const s = net.connect(f.port, "127.0.0.1", () => resolve(s));
            s.on("error", () => {});
          }),
      ),
    );
    await ok();
    const closed = await Promise.all(
      sockets.map(
        (s) =>
          new Promise<boolean>((resolve) => {
            if (s.destroyed) return resolve(true);
            const t = setTimeout(() => resolve(false), 4000);
            s.once("close", () => {
              clearTimeout(t);
              resolve(true);
            });
          }),
      ),
    );
    assert.equal(closed.filter(Boolean).length, 200);
  });

  it("answers a 100 KB request header with 431 and closes", async () => {
    const big = `GET / HTTP/1.1\r\nHost: app.test\r\nX-Big: ${"a".repeat(100 * 1024)}\r\n\r\n`;
    const [r] = await Promise.all([raw(f.port, big), ok()]);
    assert.match(r.data.toString(), /^HTTP\/1\.1 431/);
    assert.ok(r.closed);
  });

  it("records a client that hangs up right after the certificate as most likely not trusting the root", async () => {
    const r = await curl(f, "app.test", [
      "--cacert",
      "/etc/ssl/certs/ca-certificates.crt",
      `https://app.test:${f.port}/`,
    ]);
    assert.notEqual(r.code, 0);
    const rec = await nextRecord(
      f,
      (x) => x.outcome.kind === "failed" && x.outcome.stage === "handshake" && x.clientHello?.serverName === "app.test",
    );
    assert.match(rec.outcome.kind === "failed" ? rec.outcome.explanation : "", /Trust Local CA/);
  });
});
