// Issue 22 item 9: the control socket had no connection cap and no idle timeout (5,000 idle
// connections held 5,028 descriptors). Now a connection beyond the cap gets one error line and is
// closed, and a silent connection holding nothing is closed after the idle timeout.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ControlClient } from "../../../extension/core/control/controlClient";
import { ControlServer, MAX_CONNECTIONS } from "../../../extension/core/control/controlServer";

/** A raw connection that collects what the proxy sends and notes when it closes. */
interface RawConnection {
  socket: net.Socket;
  received: () => string;
  closed: Promise<void>;
}

async function connectRaw(socketPath: string): Promise<RawConnection> {
  const socket = net.connect(socketPath);
  let got = "";
  socket.setEncoding("utf8");
  socket.on("data", (d: string) => (got += d));
  socket.on("error", () => {});
  const closed = once(socket, "close").then(() => undefined);
  await once(socket, "connect");
  return { socket, received: () => got, closed };
}

/** Resolves with "closed", or "open" after a generous bound (a hang becomes a failure, not a stuck run). */
function closedWithin(connection: RawConnection, boundMs = 10_000): Promise<"closed" | "open"> {
  let timer: NodeJS.Timeout | undefined;
  const open = new Promise<"open">((resolve) => (timer = setTimeout(() => resolve("open"), boundMs)));
  return Promise.race([connection.closed.then(() => "closed" as const), open]).finally(() => clearTimeout(timer));
}

/** Sends one request and waits for the reply line to it. */
async function ask(connection: RawConnection, id: number): Promise<Record<string, unknown>> {
  const before = connection.received().length;
  connection.socket.write(`${JSON.stringify({ v: 1, id, op: "hello" })}\n`);
  for (let i = 0; i < 500 && !connection.received().slice(before).includes("\n"); i++)
    await new Promise((r) => setTimeout(r, 10));
  const line = connection.received().slice(before).split("\n")[0];
  assert.ok(line, `no reply to request ${id}`);
  return JSON.parse(line) as Record<string, unknown>;
}

describe("the control socket's limits", () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), "switchyard-limits-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it(`refuses connection ${MAX_CONNECTIONS + 1} with an error line and closes it; the others still work`, async () => {
    const socketPath = join(dir, "cap.sock");
    const server = await ControlServer.listen({ socketPath, configuredRoutes: () => [], bindings: () => [] });
    const connections: RawConnection[] = [];
    try {
      for (let i = 0; i < MAX_CONNECTIONS; i++) connections.push(await connectRaw(socketPath));
      // The server has accepted the earlier ones once each answers (accepting is asynchronous).
      assert.equal((await ask(connections[0]!, 1)).ok, true);
      assert.equal((await ask(connections.at(-1)!, 2)).ok, true);
      const extra = await connectRaw(socketPath);
      connections.push(extra);
      assert.equal(await closedWithin(extra), "closed", "the connection over the cap stays open");
      const refusal = JSON.parse(extra.received().split("\n")[0] ?? "") as Record<string, unknown>;
      assert.equal(refusal.ok, false);
      assert.equal(refusal.code, "busy");
      assert.match(String(refusal.error), new RegExp(`already serves ${MAX_CONNECTIONS} control connections`));
      for (const [i, c] of connections.slice(0, MAX_CONNECTIONS).entries())
        assert.equal((await ask(c, 10 + i)).ok, true, `connection ${i} no longer answers`);
    } finally {
      for (const c of connections) c.socket.destroy();
      await server.close();
    }
  });

  it("closes a silent connection that holds nothing after the idle timeout, and keeps one holding a route", async () => {
    const socketPath = join(dir, "idle.sock");
    const server = await ControlServer.listen({
      socketPath,
      configuredRoutes: () => [],
      bindings: () => [],
      idleTimeoutMs: 200,
    });
    const holder = await ControlClient.connect(socketPath);
    let idle: RawConnection | undefined;
    try {
      const added = await holder.request({
        op: "add",
        route: {
          host: "shop.localhost",
          upstream: "http://127.0.0.1:5173",
          source: "run",
          owner: { pid: process.pid, command: "vite" },
        },
      });
      assert.ok(added.ok, JSON.stringify(added));
      // Connected after the holder's last request: by the time it is closed, the holder was silent longer.
      idle = await connectRaw(socketPath);
      assert.equal(await closedWithin(idle), "closed", "a silent connection without routes stayed open");
      assert.match(idle.received(), /"code":"idle"/);
      const listed = await holder.request({ op: "list" });
      assert.ok(listed.ok, JSON.stringify(listed));
      assert.deepEqual(
        listed.routes?.map((r) => r.host),
        ["shop.localhost"],
      );
    } finally {
      idle?.socket.destroy();
      holder.close();
      await server.close();
    }
  });
});
