// Issue 22 item 8: a control client could claim any owner pid (pid 1 was accepted). On Linux the
// owner is now the process on the other end of the socket (or a descendant it names), read from
// the kernel through `ss`; where that cannot be learned the pid is shown as claimed.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { ControlClient } from "../../../extension/core/control/controlClient";
import { ControlServer } from "../../../extension/core/control/controlServer";
import { inProcessTree, socketFd } from "../../../extension/core/control/peerProcess";
import type { ControlReply, ListedRoute } from "../../../extension/core/control/protocol";
import { parseUnixSocketTable, peerOf } from "../../../extension/core/net/unixSocketTable";
import { needTools, onlyOn } from "../requirements";

const fixture = (name: string): string => readFileSync(join(import.meta.dirname, "fixtures", name), "utf8");

describe("the unix socket table of `ss -xpn`", () => {
  // Captured from a real control socket (its folder has a space) and its client, both in pid 26978.
  it("names the process holding the other end of a connection", () => {
    const entries = parseUnixSocketTable(fixture("ss-xpn-connection.txt"));
    assert.deepEqual(peerOf(entries, 643051), { inode: 643050, holders: [{ pid: 26978, fd: 20 }] });
    assert.deepEqual(peerOf(entries, 643050), { inode: 643051, holders: [{ pid: 26978, fd: 21 }] });
  });

  it("knows nothing when a socket name forges a second line for the same socket", () => {
    // An abstract socket named "evil\nu_str ESTAB 0 0 * 643051 * 999 users:((\"node\",pid=1,fd=3))".
    const entries = parseUnixSocketTable(fixture("ss-xpn-forged-line.txt"));
    assert.equal(entries.filter((e) => e.inode === 643051).length, 2, "the forged line parses like a real one");
    assert.equal(peerOf(entries, 643051), undefined);
  });
});

describe("the descriptor of an accepted socket (a Node internal)", { skip: onlyOn("linux") }, () => {
  it("is socket._handle.fd, a descriptor of a socket in this process", async () => {
    const dir = mkdtempSync(join(tmpdir(), "switchyard-fd-"));
    const server = net.createServer();
    const accepted = once(server, "connection") as Promise<[net.Socket]>;
    await new Promise<void>((resolve) => server.listen(join(dir, "s.sock"), resolve));
    const client = net.connect(join(dir, "s.sock"));
    try {
      const [socket] = await accepted;
      const fd = socketFd(socket);
      assert.ok(
        fd !== undefined,
        "Node no longer keeps the descriptor at socket._handle.fd: peerProcess.ts must change",
      );
      assert.match(readlinkSync(`/proc/self/fd/${fd}`), /^socket:\[\d+\]$/);
      socket.destroy();
    } finally {
      client.destroy();
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * A client in its own process, with a child of its own (`sleep`): it adds one route claiming pid 1
 * and one claiming its child, prints both replies and its child's pid, and stays connected until
 * its stdin closes.
 */
const CLIENT = `
const net = require("net");
const { spawn } = require("child_process");
const child = spawn("sleep", ["30"], { stdio: "ignore" });
const c = net.connect(process.argv[1]);
const add = (id, host, pid) =>
  c.write(JSON.stringify({ v: 1, id, op: "add", route: { host, upstream: "http://127.0.0.1:5173", owner: { pid, command: "vite" } } }) + "\\n");
c.on("connect", () => { add(1, "init.localhost", 1); add(2, "child.localhost", child.pid); });
c.setEncoding("utf8");
let got = "";
c.on("data", (d) => { got += d; if (got.split("\\n").length > 2) console.log(JSON.stringify({ child: child.pid, replies: got.trim().split("\\n").map((l) => JSON.parse(l)) })); });
process.stdin.on("end", () => { child.kill("SIGKILL"); process.exit(0); });
process.stdin.resume();
`;

describe("the owner of a route added through the control socket", () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), "switchyard-owner-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("is the process on the socket, not a pid it claims; a claim of its own child is kept", async (t) => {
    if (process.platform !== "linux") return t.skip("the peer process is read on Linux only");
    if (!needTools(t, "ss")) return;
    const socketPath = join(dir, "control.sock");
    const server = await ControlServer.listen({ socketPath, configuredRoutes: () => [], bindings: () => [] });
    const client = spawn(process.execPath, ["-e", CLIENT, socketPath], { stdio: ["pipe", "pipe", "inherit"] });
    const clientExited = once(client, "exit");
    let childPid: number | undefined;
    try {
      const lines = createInterface({ input: client.stdout });
      const [line] = (await Promise.race([
        once(lines, "line"),
        clientExited.then(() => assert.fail("the client process exited before both replies")),
      ])) as [string];
      const out = JSON.parse(line) as { child: number; replies: ControlReply[] };
      childPid = out.child;
      const [init, child] = out.replies;
      assert.ok(init?.ok, JSON.stringify(init));
      assert.match(String(init.note), /owner pid 1 is neither the process on this connection/);
      assert.ok(child?.ok && child.note === undefined, JSON.stringify(child));

      const lister = await ControlClient.connect(socketPath);
      const listed = await lister.request({ op: "list" });
      lister.close();
      assert.ok(listed.ok);
      const owners = Object.fromEntries((listed.routes ?? []).map((r: ListedRoute) => [r.host, r.owner]));
      assert.deepEqual(owners["init.localhost"], { pid: client.pid, command: "vite", pidFrom: "socket" });
      assert.deepEqual(owners["child.localhost"], { pid: childPid, command: "vite", pidFrom: "socket" });
    } finally {
      client.stdin.end();
      client.kill("SIGKILL");
      if (childPid) process.kill(childPid, "SIGKILL");
      await clientExited;
      await server.close();
    }
  });

  it("stays the claimed pid, labelled claimed, where the peer cannot be learned", async () => {
    const socketPath = join(dir, "unknown-peer.sock");
    const server = await ControlServer.listen({
      socketPath,
      configuredRoutes: () => [],
      bindings: () => [],
      peerProcess: () => Promise.resolve(undefined),
    });
    const client = await ControlClient.connect(socketPath);
    try {
      const owner = { pid: process.pid, command: "vite" };
      const added = await client.request({
        op: "add",
        route: { host: "shop.localhost", upstream: "http://127.0.0.1:5173", source: "run", owner },
      });
      assert.ok(added.ok && added.note === undefined);
      assert.deepEqual(server.routes()[0]?.owner, { ...owner, pidFrom: "claimed" });
    } finally {
      client.close();
      await server.close();
    }
  });

  it("counts a process's descendants as its tree, and not its parent", { skip: onlyOn("linux") }, () => {
    assert.ok(inProcessTree(process.pid, [process.pid]));
    assert.ok(!inProcessTree(process.ppid, [process.pid]));
    assert.ok(!inProcessTree(1, [process.pid]));
    assert.ok(inProcessTree(process.pid, [process.ppid]));
  });
});
