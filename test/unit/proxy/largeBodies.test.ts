/**
 * Large response bodies through the HTTP/1.1 path, byte for byte: plain upstream sockets read
 * into one shared buffer that is encrypted to the client without a copy when it can be
 * (upstream/upstreamLink.ts, h1/http1Exchange.ts), so every framing and a slow client (queued writes,
 * backpressure) must still deliver exactly the upstream's bytes.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import type net from "node:net";
import os from "node:os";
import tls from "node:tls";
import path from "node:path";
import { curl, startProxy, type ProxyFixture } from "./harness";

/** Odd sizes so reads and framing boundaries land everywhere. */
const BODY = randomBytes(6 * 1024 * 1024 + 321);
const WRITES = [1, 700, 65_536, 300_000, 17];
/** A burst larger than loopback socket buffers, then 200 pieces of 997 bytes a millisecond or so apart. */
const BURST = 16 * 1024 * 1024;
const DRIBBLE = randomBytes(BURST + 200 * 997);

function dribble(res: http.ServerResponse): void {
  res.writeHead(200, { "content-length": DRIBBLE.length });
  res.write(DRIBBLE.subarray(0, BURST));
  let off = BURST;
  const next = (): void => {
    if (off >= DRIBBLE.length) return void res.end();
    res.write(DRIBBLE.subarray(off, off + 997));
    off += 997;
    setTimeout(next, 1);
  };
  setTimeout(next, 50);
}

const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

/** GET over TLS that reads nothing for `stallMs`, then the whole Content-Length body. */
function stalledGet(port: number, name: string, target: string, caFile: string, stallMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ port, host: "127.0.0.1", servername: name, ca: readFileSync(caFile) }, () => {
      socket.write(`GET ${target} HTTP/1.1\r\nHost: ${name}\r\nConnection: close\r\n\r\n`);
      socket.pause();
      setTimeout(() => socket.resume(), stallMs);
    });
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", reject);
    socket.on("end", () => {
      const all = Buffer.concat(chunks);
      const end = all.indexOf("\r\n\r\n");
      resolve(all.subarray(end + 4));
    });
  });
}

describe("large bodies (HTTP/1.1)", () => {
  let f: ProxyFixture;
  let server: http.Server;
  let dir: string;

  before(async () => {
    server = http.createServer((req, res) => {
      if (req.url === "/dribble") return dribble(res);
      if (req.url === "/length") res.writeHead(200, { "content-length": BODY.length });
      else if (req.url === "/close") {
        res.useChunkedEncodingByDefault = false;
        res.shouldKeepAlive = false;
        res.writeHead(200);
      } else res.writeHead(200); // chunked
      let off = 0;
      let i = 0;
      const pump = (): void => {
        while (off < BODY.length) {
          const n = Math.min(BODY.length - off, WRITES[i++ % WRITES.length]!);
          const ok = res.write(BODY.subarray(off, off + n));
          off += n;
          if (!ok) return void res.once("drain", pump);
        }
        res.end();
      };
      pump();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as net.AddressInfo).port;
    f = await startProxy([{ host: "big.test", upstream: `http://127.0.0.1:${port}` }]);
    dir = mkdtempSync(path.join(os.tmpdir(), "switchyard-big-"));
  });

  after(async () => {
    await f.close();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const framing of ["length", "chunked", "close"]) {
    it(`relays a ${framing}-framed body intact, to a fast and to a slow client`, async () => {
      const fast = path.join(dir, `${framing}-fast`);
      const slow = path.join(dir, `${framing}-slow`);
      const url = `https://big.test:${f.port}/${framing}`;
      assert.equal((await curl(f, "big.test", ["--http1.1", "-o", fast, url])).code, 0);
      // A slow reader makes writes queue: those bytes must be copies, not views of the read buffer.
      const r = await curl(f, "big.test", ["--http1.1", "--limit-rate", "4M", "--max-time", "9", "-o", slow, url]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(sha(readFileSync(fast)), sha(BODY));
      assert.equal(sha(readFileSync(slow)), sha(BODY));
    });
  }

  it("does not let later reads overwrite small writes queued behind a stalled client", async () => {
    // The client stops reading: the burst fills the loopback buffers, so the proxy's TLS writes
    // stay pending while small pieces keep arriving. Each must be queued as a copy, not as a view
    // of the read buffer that the next read overwrites.
    const body = await stalledGet(f.port, "big.test", "/dribble", f.rootFile, 600);
    assert.equal(body.length, DRIBBLE.length);
    assert.equal(sha(body), sha(DRIBBLE));
  });

  it("keeps two large responses on one connection apart", async () => {
    const [a, b] = [path.join(dir, "a"), path.join(dir, "b")];
    const base = `https://big.test:${f.port}`;
    const r = await curl(f, "big.test", ["--http1.1", `${base}/length`, `${base}/chunked`, "-o", a, "-o", b]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(sha(readFileSync(a)), sha(BODY));
    assert.equal(sha(readFileSync(b)), sha(BODY));
  });
});
