/**
 * Bytes two parsers could read differently are refused or normalised before they are forwarded:
 * a raw upstream records exactly what reaches it (RFC 9112 §2.2, §7.1; RFC 9110 §8.6).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { bodyCursor, BodyFramingError } from "../../../extension/core/proxy/http/bodyFraming";
import { parseRequestHead, parseResponseHead } from "../../../extension/core/proxy/http/httpHead";
import { startProxy, type ProxyFixture } from "./harness";

const chunked = (s: string): Buffer => Buffer.from(s, "latin1");
const HEAD = "POST /up HTTP/1.1\r\nHost: plain.test\r\nTransfer-Encoding: chunked\r\n\r\n";

describe("chunk lines and trailers are held to the rules of a head", () => {
  const refused: [string, string][] = [
    ["a bare CR in a trailer line", "3\r\nabc\r\n0\r\nX-T: a\rb\r\n\r\n"],
    ["an obs-folded trailer line", "3\r\nabc\r\n0\r\nX-T: a\r\n b\r\n\r\n"],
    ["a trailer line with no field name", "3\r\nabc\r\n0\r\njunk\r\n\r\n"],
    ["a NUL in a trailer value", "3\r\nabc\r\n0\r\nX-T: a\0b\r\n\r\n"],
    ["a control byte in a chunk extension", "3;x=\x01\r\nabc\r\n0\r\n\r\n"],
    ["a bare CR in a chunk size line", "3\r;x\r\nabc\r\n0\r\n\r\n"],
  ];
  for (const [what, body] of refused) {
    it(`refuses ${what}`, () => {
      assert.throws(() => bodyCursor({ kind: "chunked" }).feed(chunked(body)), BodyFramingError);
    });
  }

  it("accepts valid extensions (token and quoted) and trailers", () => {
    const c = bodyCursor({ kind: "chunked" });
    const body = chunked('3;a=1;b="x y"\r\nabc\r\n0\r\nX-Checksum: 1234\r\n\r\n');
    assert.deepEqual(c.feed(body), { take: body.length, done: true });
  });

  it("sends agreeing Content-Length values on as one header, and keeps disagreeing ones for framing to refuse", () => {
    const req = parseRequestHead(
      chunked("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\nContent-Length: 5\r\n\r\n"),
    );
    assert.deepEqual(
      req.headers.filter(([n]) => n.toLowerCase() === "content-length"),
      [["Content-Length", "5"]],
    );
    const res = parseResponseHead(chunked("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n"));
    assert.equal(res.headers.filter(([n]) => n.toLowerCase() === "content-length").length, 2);
  });
});

describe("what reaches the upstream", () => {
  let f: ProxyFixture;
  let upstream: net.Server;
  let received = "";

  before(async () => {
    upstream = net.createServer((s) => {
      s.on("data", (d: Buffer) => {
        received += d.toString("latin1");
        if (received.includes("\r\n\r\n")) s.write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
      });
      s.on("error", () => {});
    });
    await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
    const port = (upstream.address() as net.AddressInfo).port;
    f = await startProxy([{ host: "plain.test", upstream: `http://127.0.0.1:${port}`, redirect: false }]);
  });
  after(async () => {
    await f.close();
    upstream.close();
  });

  /** Sends `bytes` over plain HTTP and resolves with the answer once the proxy closes or 3 s pass. */
  const send = (bytes: string): Promise<string> =>
    new Promise((resolve) => {
      const s = net.connect(f.port, "127.0.0.1");
      let got = "";
      const done = (): void => {
        clearTimeout(timer);
        s.destroy();
        resolve(got);
      };
      const timer = setTimeout(done, 3000);
      s.on("data", (d: Buffer) => (got += d.toString("latin1")));
      s.on("close", done);
      s.on("error", () => {});
      s.write(Buffer.from(bytes, "latin1"));
    });

  it("answers 400 to a junk trailer line and never relays it", async () => {
    received = "";
    const answer = await send(`${HEAD}3\r\nabc\r\n0\r\nX-Evil: a\r\n  folded\r\n\r\n`);
    assert.match(answer, /^HTTP\/1\.1 400 /);
    await sleep(100);
    assert.doesNotMatch(received, /X-Evil|folded/);
  });

  it("forwards Content-Length: 5, 5 as a single Content-Length: 5", async () => {
    received = "";
    const answer = await send(
      "POST /x HTTP/1.1\r\nHost: plain.test\r\nContent-Length: 5, 5\r\nConnection: close\r\n\r\nhello",
    );
    assert.match(answer, /^HTTP\/1\.1 200 /);
    const head = received.slice(0, received.indexOf("\r\n\r\n"));
    assert.deepEqual(head.match(/^content-length:.*$/gim), ["Content-Length: 5"]);
    assert.ok(received.endsWith("\r\n\r\nhello"));
  });
});
