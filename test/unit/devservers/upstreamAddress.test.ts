import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { DevServerDetector } from "../../../extension/core/devservers/detector";
import { pickServedSocket, upstreamUrlFor, type ListeningSocket } from "../../../extension/core/devservers/treeSockets";

const s = (address: string, port: number): ListeningSocket => ({
  pid: 1,
  family: address.includes(":") ? 6 : 4,
  address,
  port,
});

describe("the upstream address of a dev server's socket", () => {
  it("dials exactly the loopback address the server bound, and a wildcard's loopback of the same family", () => {
    assert.equal(upstreamUrlFor(s("127.0.0.1", 5173)), "http://127.0.0.1:5173");
    assert.equal(upstreamUrlFor(s("127.0.0.2", 5173)), "http://127.0.0.2:5173");
    assert.equal(upstreamUrlFor(s("::1", 5173)), "http://[::1]:5173");
    assert.equal(upstreamUrlFor(s("0.0.0.0", 3000)), "http://127.0.0.1:3000");
    assert.equal(upstreamUrlFor(s("::", 3000)), "http://[::1]:3000");
    assert.equal(upstreamUrlFor(s("::ffff:127.0.0.1", 3000)), "http://127.0.0.1:3000");
  });

  it("prefers an exact loopback socket over a wildcard on the served port", () => {
    const both = [s("::", 4000), s("0.0.0.0", 4000), s("::1", 4000), s("127.0.0.1", 4000), s("127.0.0.1", 9229)];
    assert.deepEqual(pickServedSocket(both, 4000), s("127.0.0.1", 4000));
    assert.deepEqual(pickServedSocket([s("::", 4000), s("0.0.0.0", 4000)], 4000), s("0.0.0.0", 4000));
    assert.deepEqual(pickServedSocket([s("::1", 5173), s("127.0.0.1", 9229)]), s("::1", 5173));
    assert.equal(pickServedSocket([s("127.0.0.1", 9229)]), undefined);
  });
});

describe("the detector's dev servers", () => {
  it("carry the upstream of exactly the socket found, the exact loopback address over a wildcard", async () => {
    const detector = new DevServerDetector({
      scan: async () => [s("0.0.0.0", 3000), s("127.0.0.1", 3000), s("::1", 5173)],
      command: () => "node server.js",
    });
    detector.watch(4242);
    await detector.scanOnce();
    assert.deepEqual(
      detector
        .servers()
        .map((d) => `${d.port} ${d.upstream}`)
        .sort(),
      ["3000 http://127.0.0.1:3000", "5173 http://[::1]:5173"],
    );
    detector.dispose();
  });
});
