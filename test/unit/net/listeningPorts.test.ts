import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import net from "node:net";
import { listeningLoopbackPorts } from "../../../extension/core/net/listeningPorts";
import { onlyOn } from "../requirements";

describe("the loopback ports Add Route offers", () => {
  it("lists a port listening on 127.0.0.1 with this process as its owner", { skip: onlyOn("linux") }, async () => {
    const server = net.createServer().listen({ host: "127.0.0.1", port: 0 });
    await once(server, "listening");
    const port = (server.address() as net.AddressInfo).port;
    try {
      const found = listeningLoopbackPorts().find((p) => p.port === port);
      assert.deepEqual(found, { port, address: "127.0.0.1", process: "node", pid: process.pid });
    } finally {
      server.close();
    }
    await once(server, "close");
    assert.equal(
      listeningLoopbackPorts().some((p) => p.port === port),
      false,
      "a closed port is gone",
    );
  });
});
