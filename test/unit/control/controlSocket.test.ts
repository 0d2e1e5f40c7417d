import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { once } from "node:events";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ControlClient, NoProxyRunningError } from "../../../extension/core/control/controlClient";
import { ControlServer, ControlSocketInUseError } from "../../../extension/core/control/controlServer";
import type { DynamicRoute } from "../../../extension/core/control/protocol";
import { newPipeName } from "../../../extension/core/control/pipeAddress";
import {
  controlSocketPath,
  ensurePrivateDir,
  stateDirFor,
  UnsafeStateDirError,
} from "../../../extension/core/control/stateDir";
import { parseSettings } from "../../../extension/core/settings";
import { needRoot, needTools } from "../requirements";

const configured = parseSettings({
  "switchyard.proxy.routes": [{ host: "api.test", upstream: "http://localhost:4000" }],
}).settings.proxy.routes;

function route(host: string, pid = process.pid): DynamicRoute {
  return { host, upstream: "http://localhost:5173", source: "run", owner: { pid, command: "vite" } };
}

/** Sends raw bytes and reads one reply line. */
function rawExchange(socketPath: string, bytes: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const c = net.connect(socketPath, () => c.write(bytes));
    let got = "";
    c.setEncoding("utf8");
    c.on("data", (d: string) => {
      got += d;
      const nl = got.indexOf("\n");
      if (nl >= 0) {
        c.destroy();
        resolve(JSON.parse(got.slice(0, nl)) as Record<string, unknown>);
      }
    });
    c.on("error", reject);
  });
}

describe("the control socket of a running proxy", () => {
  let dir: string;
  let socketPath: string;
  let server: ControlServer;
  const changes: DynamicRoute[][] = [];
  before(async () => {
    dir = join(mkdtempSync(join(tmpdir(), "switchyard-control-")), "state");
    socketPath = join(dir, "control.sock");
    server = await ControlServer.listen({
      socketPath,
      configuredRoutes: () => configured,
      bindings: () => [{ address: "127.0.0.1", port: 8443, family: 4 }],
      ownerPollMs: 100,
    });
    server.on("routes", (r) => changes.push(r));
  });
  after(async () => {
    await server?.close();
    rmSync(join(dir, ".."), { recursive: true, force: true });
  });

  it("lives in a 0700 folder as a 0600 socket", () => {
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(socketPath).mode & 0o777, 0o600);
  });

  it("adds a route, lists it beside the configured ones with its owner, and drops it when the client leaves", async () => {
    const client = await ControlClient.connect(socketPath);
    const hello = await client.request({ op: "hello" });
    assert.ok(hello.ok && hello.bindings?.[0]?.port === 8443);
    const added = await client.request({ op: "add", route: route("shop.localhost") });
    assert.equal(added.ok, true);
    const listed = await client.request({ op: "list" });
    assert.ok(listed.ok);
    assert.deepEqual(
      listed.routes?.map((r) => `${r.host} ${r.source} ${r.owner?.pid ?? "-"}`),
      ["api.test settings -", `shop.localhost run ${process.pid}`],
    );
    client.close();
    await waitFor(() => server.routes().length === 0);
    assert.deepEqual(changes.at(-1), []);
  });

  it("refuses a name another client holds, naming its owner, and a name from the settings", async () => {
    const first = await ControlClient.connect(socketPath);
    const second = await ControlClient.connect(socketPath);
    try {
      assert.equal((await first.request({ op: "add", route: route("shop.localhost") })).ok, true);
      const refused = await second.request({ op: "add", route: route("shop.localhost") });
      assert.ok(!refused.ok);
      assert.equal(refused.code, "taken");
      // "(claimed: vite)" where the peer process cannot be read from the socket (not Linux, no ss).
      assert.match(refused.error, new RegExp(`pid ${process.pid} \\((claimed: )?vite\\)`));
      const settingsName = await second.request({ op: "add", route: route("api.test") });
      assert.ok(!settingsName.ok && /in your settings/.test(settingsName.error));
      const notMine = await second.request({ op: "remove", host: "shop.localhost" });
      assert.ok(!notMine.ok && notMine.code === "not-found");
    } finally {
      first.close();
      second.close();
    }
  });

  it("refuses a name a wildcard route in the settings covers", async () => {
    const wild = await ControlServer.listen({
      socketPath: join(dir, "wild.sock"),
      configuredRoutes: () =>
        parseSettings({ "switchyard.proxy.routes": [{ host: "*.localhost", upstream: "http://localhost:1" }] }).settings
          .proxy.routes,
      bindings: () => [],
    });
    const c = await ControlClient.connect(join(dir, "wild.sock"));
    const refused = await c.request({ op: "add", route: route("shop.localhost") });
    assert.ok(!refused.ok && /covered by the route \*\.localhost/.test(refused.error));
    c.close();
    await wild.close();
  });

  it("closes at once while a client without routes is still connected", async () => {
    const other = await ControlServer.listen({
      socketPath: join(dir, "idle.sock"),
      configuredRoutes: () => [],
      bindings: () => [],
    });
    const idle = await ControlClient.connect(join(dir, "idle.sock"));
    assert.equal((await idle.request({ op: "hello" })).ok, true);
    // The idle client never disconnects by itself, so a close() that waited for it would never
    // resolve: the generous bound only turns that hang into a failure.
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<"hung">((resolve) => (timer = setTimeout(() => resolve("hung"), 30_000)));
    const closed = await Promise.race([other.close().then(() => "closed" as const), hung]);
    clearTimeout(timer);
    assert.equal(closed, "closed", "close() waited for a connected client");
    await idle.closed();
  });

  it("drops a route when its owner process exits, even while the client stays connected", async () => {
    const owner = spawn("sleep", ["30"]);
    try {
      const client = await ControlClient.connect(socketPath);
      try {
        assert.equal((await client.request({ op: "add", route: route("gone.localhost", owner.pid) })).ok, true);
        owner.kill("SIGKILL");
        await waitFor(() => !server.routes().some((r) => r.host === "gone.localhost"));
      } finally {
        client.close();
      }
    } finally {
      owner.kill("SIGKILL"); // also when the test failed before its own kill
    }
  });

  it("answers garbage, another protocol version and a bad route with an error line, and keeps serving", async () => {
    assert.match(String((await rawExchange(socketPath, "\x16\x03\x01garbage\n")).error), /one JSON object/);
    const v2 = await rawExchange(socketPath, `${JSON.stringify({ v: 2, id: 7, op: "list" })}\n`);
    assert.equal(v2.code, "version");
    assert.equal(v2.id, 7);
    const bad = await rawExchange(
      socketPath,
      `${JSON.stringify({ v: 1, id: 3, op: "add", route: { host: "a b\nc", upstream: "x", owner: { pid: 1 } } })}\n`,
    );
    assert.equal(bad.code, "invalid-route");
    const addUpstream = async (upstream: string): Promise<{ code?: string; error?: string }> =>
      rawExchange(
        socketPath,
        `${JSON.stringify({ v: 1, id: 4, op: "add", route: { host: "meta.test", upstream, owner: { pid: process.pid } } })}\n`,
      );
    const metadata = await addUpstream("http://169.254.169.254");
    assert.equal(metadata.code, "invalid-route", "the control socket refuses what settings refuse");
    assert.match(String(metadata.error), /link-local|metadata/);
    const withPassword = await addUpstream("ftp://dev:hunter2@127.0.0.1:21");
    assert.equal(withPassword.code, "invalid-route");
    assert.doesNotMatch(String(withPassword.error), /hunter2/, "the refusal masks the password");
    const client = await ControlClient.connect(socketPath);
    assert.equal((await client.request({ op: "list" })).ok, true);
    client.close();
  });

  it("refuses a second server on a socket that answers, and replaces a leftover socket file", async () => {
    await assert.rejects(
      ControlServer.listen({ socketPath, configuredRoutes: () => [], bindings: () => [] }),
      ControlSocketInUseError,
    );
    const leftoverDir = mkdtempSync(join(tmpdir(), "switchyard-control-left-"));
    chmodSync(leftoverDir, 0o700);
    const leftover = join(leftoverDir, "control.sock");
    // A socket file whose proxy was killed with -9: the file stays, nothing answers on it.
    const holder = spawn(process.execPath, [
      "-e",
      `require("net").createServer().listen(${JSON.stringify(leftover)},()=>console.log("up"))`,
    ]);
    const holderExited = once(holder, "exit");
    try {
      await once(holder.stdout!, "data");
    } finally {
      holder.kill("SIGKILL");
    }
    await holderExited;
    assert.ok(existsSync(leftover), "kill -9 leaves the socket file behind");
    const replaced = await ControlServer.listen({
      socketPath: leftover,
      configuredRoutes: () => [],
      bindings: () => [],
    });
    const c = await ControlClient.connect(leftover);
    assert.equal((await c.request({ op: "hello" })).ok, true);
    c.close();
    await replaced.close();
    rmSync(leftoverDir, { recursive: true, force: true });
  });

  it("says no proxy runs when nothing answers", async () => {
    await assert.rejects(ControlClient.connect(join(dir, "nothing.sock")), NoProxyRunningError);
  });

  it("cannot be reached by another local user (setpriv to nobody)", async (t) => {
    if (!needRoot(t, "to switch to another user (nobody)") || !needTools(t, "setpriv")) return;
    const script = `require("net").connect(${JSON.stringify(socketPath)}).on("connect",()=>{console.log("connected");process.exit(0)}).on("error",e=>{console.log(e.code);process.exit(0)})`;
    const r = spawnSync(
      "setpriv",
      ["--reuid=nobody", "--regid=nogroup", "--clear-groups", process.execPath, "-e", script],
      {
        encoding: "utf8",
        cwd: "/",
      },
    );
    assert.equal(r.stdout.trim(), "EACCES", r.stderr);
  });
});

describe("the state folder", () => {
  it("defaults per OS and honours SWITCHYARD_STATE_DIR", () => {
    assert.equal(stateDirFor({ SWITCHYARD_STATE_DIR: "/x" }, "/home/u", "linux"), "/x");
    assert.equal(stateDirFor({ XDG_RUNTIME_DIR: "/run/user/1000" }, "/home/u", "linux"), "/run/user/1000/switchyard");
    assert.equal(stateDirFor({}, "/home/u", "linux"), "/home/u/.local/state/switchyard");
    assert.equal(stateDirFor({}, "/Users/u", "darwin"), "/Users/u/Library/Application Support/Switchyard/control");
    assert.match(
      stateDirFor({ LOCALAPPDATA: "C:\\Users\\u\\AppData\\Local" }, "C:\\Users\\u", "win32"),
      /Switchyard.control$/,
    );
  });

  it("refuses a folder others can enter, and one that is a symlink", () => {
    const base = mkdtempSync(join(tmpdir(), "switchyard-state-"));
    const open = join(base, "open");
    mkdirSync(open, { mode: 0o777 });
    chmodSync(open, 0o777);
    assert.throws(() => ensurePrivateDir(open), UnsafeStateDirError);
    assert.throws(() => ensurePrivateDir(open), /chmod 700/);
    writeFileSync(join(base, "target"), "");
    const link = join(base, "link");
    spawnSync("ln", ["-s", open, link]);
    assert.throws(() => ensurePrivateDir(link), UnsafeStateDirError);
    rmSync(base, { recursive: true, force: true });
  });
});

async function waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out waiting for the condition");
    await new Promise((r) => setTimeout(r, 20));
  }
}

// Windows: a named pipe's name is global, so it is random per start and published in a file in the
// user's private state folder. The same code runs here with Unix sockets as the endpoints.
describe("the control address on Windows: a random pipe published in the private state folder", () => {
  const base = mkdtempSync(join(tmpdir(), "switchyard-pipe-"));
  const dir = join(base, "state");
  const pointer = controlSocketPath(dir, "win32");
  let n = 0;
  const endpoint = (): string => join(base, `endpoint-${++n}.sock`);
  const options = {
    socketPath: pointer,
    configuredRoutes: () => configured,
    bindings: () => [],
    newEndpoint: endpoint,
  };
  after(() => rmSync(base, { recursive: true, force: true }));

  it("names a pointer file in the state folder on Windows and a socket elsewhere", () => {
    assert.equal(pointer, join(dir, "control.pipe"));
    assert.equal(controlSocketPath(dir, "linux"), join(dir, "control.sock"));
  });

  it("gives every start a fresh pipe name nobody can guess ahead", () => {
    const a = newPipeName();
    assert.match(a, /^\\\\\.\\pipe\\switchyard-control-[0-9a-f]{32}$/);
    assert.notEqual(a, newPipeName());
  });

  it("publishes the endpoint for the user alone; clients find it there; a second proxy is refused; closing withdraws it", async () => {
    const server = await ControlServer.listen(options);
    try {
      const published = readFileSync(pointer, "utf8").trim();
      assert.equal(published, join(base, "endpoint-1.sock"));
      assert.equal(statSync(pointer).mode & 0o777, 0o600);
      const client = await ControlClient.connect(pointer);
      const hello = await client.request({ op: "hello" });
      assert.equal(hello.ok, true);
      client.close();
      await assert.rejects(ControlServer.listen(options), ControlSocketInUseError);
      assert.equal(readFileSync(pointer, "utf8").trim(), published, "the running proxy's pointer stays");
    } finally {
      await server.close();
    }
    assert.equal(existsSync(pointer), false, "withdrawn on close");
    await assert.rejects(ControlClient.connect(pointer), NoProxyRunningError);
  });

  it("replaces a pointer left by a proxy that was killed, and a client of the stale one hears 'no proxy'", async () => {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(pointer, `${join(base, "dead.sock")}\n`, { mode: 0o600 });
    await assert.rejects(ControlClient.connect(pointer), NoProxyRunningError);
    const server = await ControlServer.listen(options);
    try {
      assert.notEqual(readFileSync(pointer, "utf8").trim(), join(base, "dead.sock"));
      const client = await ControlClient.connect(pointer);
      assert.equal((await client.request({ op: "list" })).ok, true);
      client.close();
    } finally {
      await server.close();
    }
  });
});
