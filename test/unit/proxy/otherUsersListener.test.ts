/**
 * Issue 22 item 1 (the proxy's half): another local user listening on a route's loopback port must
 * not get the developer's requests. The second user is real: `nobody`, through setpriv, listening
 * beside (or instead of) the developer's dev server. Needs root and setpriv: skipped with the reason
 * elsewhere, a failure under CI=true.
 */
import { after, before, describe, it, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import net from "node:net";
import {
  acceptingListeners,
  parseOwnedListeners,
  userNameIn,
  type OwnedListener,
} from "../../../extension/core/net/listenerOwners";
import { checkConnected, checkListeners } from "../../../extension/core/proxy/upstream/listenerCheck";
import { dialUpstream, type UpstreamOrigin } from "../../../extension/core/proxy/upstream/dial";
import { curl, needTools, nextRecord, startProxy, type ProxyFixture } from "./harness";

const origin = (host: string, port: number): UpstreamOrigin => ({
  url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
  secure: false,
  host,
  port,
  insecure: false,
  key: `http://${host}:${port}#false`,
});

describe("who listens on a loopback port (pure)", () => {
  // Rows as Linux prints them (little-endian): 127.0.0.1:3000 by uid 1000, [::1]:3000 by 65534.
  const tcp = [
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
    "   0: 0100007F:0BB8 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0000000000000000 100 0 0 10 0",
    "   1: 0100007F:0BB8 0100007F:D431 01 00000000:00000000 00:00000000 00000000  1000        0 4343 1 0000000000000000 20 4 30 10 -1",
    "   2: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4444 1 0000000000000000 100 0 0 10 0",
  ].join("\n");
  const tcp6 = [
    "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
    "   0: 00000000000000000000000001000000:0BB8 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000 65534        0 5151 1 0000000000000000 100 0 0 10 0",
  ].join("\n");

  it("reads each listening socket's owner uid from /proc/net/tcp and tcp6", () => {
    assert.deepEqual(parseOwnedListeners([tcp, tcp6], 3000), [
      { address: "127.0.0.1", port: 3000, uid: 1000 },
      { address: "::1", port: 3000, uid: 65534 },
    ]);
    assert.deepEqual(parseOwnedListeners([tcp, tcp6], 8080), [{ address: "0.0.0.0", port: 8080, uid: 0 }]);
  });

  it("picks the listener the kernel would: the exact address, then the family's wildcard, then ::", () => {
    const l = (address: string, uid: number): OwnedListener => ({ address, port: 1, uid });
    assert.deepEqual(acceptingListeners([l("0.0.0.0", 1), l("127.0.0.1", 2)], "127.0.0.1"), [l("127.0.0.1", 2)]);
    assert.deepEqual(acceptingListeners([l("::", 3), l("0.0.0.0", 1)], "127.0.0.1"), [l("0.0.0.0", 1)]);
    assert.deepEqual(acceptingListeners([l("::", 3)], "127.0.0.1"), [l("::", 3)]);
    assert.deepEqual(acceptingListeners([l("0.0.0.0", 1)], "::1"), []);
    assert.deepEqual(acceptingListeners([l("::", 3), l("::1", 4)], "::1"), [l("::1", 4)]);
  });

  it("names a uid from passwd text", () => {
    const passwd = "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
    assert.equal(userNameIn(passwd, 65534), "nobody");
    assert.equal(userNameIn(passwd, 0), "root");
    assert.equal(userNameIn(passwd, 42), undefined);
  });

  it("dials only the addresses of localhost this user holds, and refuses when only others hold the port", async () => {
    const deps = (listeners: OwnedListener[]) => ({ uid: 1000, listeners: async () => listeners });
    const split = [
      { address: "::1", port: 3000, uid: 65534 },
      { address: "0.0.0.0", port: 3000, uid: 1000 },
    ];
    assert.deepEqual(await checkListeners(origin("localhost", 3000), deps(split)), {
      kind: "dial",
      addresses: ["127.0.0.1"],
    });
    const rootOwned = [{ address: "127.0.0.1", port: 3000, uid: 0 }];
    assert.deepEqual(await checkListeners(origin("127.0.0.1", 3000), deps(rootOwned)), {
      kind: "dial",
      addresses: ["127.0.0.1"],
    });
    assert.deepEqual(await checkListeners(origin("localhost", 3000), deps([])), { kind: "dial" });
    assert.deepEqual(await checkListeners(origin("192.0.2.1", 3000), deps(split)), { kind: "dial" });
    const refused = await checkListeners(origin("localhost", 3000), deps([split[0]!]));
    assert.equal(refused.kind, "refuse");
    if (refused.kind !== "refuse") return;
    assert.equal(refused.error.code, "UPSTREAM_OTHER_USER");
    assert.deepEqual(
      refused.error.foreign.map((f) => [f.address, f.uid]),
      [["[::1]:3000", 65534]],
    );
    assert.equal(refused.error.self.uid, 1000);
  });

  it("checks the address a dial reached when nothing listened before it, before a byte is sent", async () => {
    const deps = { uid: 1000, listeners: async () => [{ address: "::", port: 3000, uid: 65534 }] };
    const error = await checkConnected(origin("localhost", 3000), "127.0.0.1", deps);
    assert.deepEqual(
      error?.foreign.map((f) => f.address),
      ["127.0.0.1:3000"],
    );
    assert.equal(await checkConnected(origin("192.0.2.1", 3000), "192.0.2.1", deps), undefined);

    let received = 0;
    const server = net.createServer((s) => s.on("data", (d: Buffer) => (received += d.length)).on("error", () => {}));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const port = (server.address() as net.AddressInfo).port;
      const refusal = new Error("held by someone else");
      await assert.rejects(
        dialUpstream(origin("127.0.0.1", port), { timeoutMs: 5000, vetConnected: async () => refusal }),
        (e) => e === refusal,
      );
      const socket = await dialUpstream(origin("127.0.0.1", port), {
        timeoutMs: 5000,
        vetConnected: async () => undefined,
      });
      socket.destroy();
      assert.equal(received, 0);
    } finally {
      server.close();
    }
  });
});

/** A program of user nobody listening on `host` (port 0: its own pick); it prints each request it gets. */
interface NobodyListener {
  child: ChildProcess;
  port: number;
  requests(): string[];
}

const NOBODY_SERVER = `
const http = require("node:http");
const [host, port] = [process.argv[1], Number(process.argv[2])];
const s = http.createServer((q, r) => { console.log("GOT " + q.url + " " + (q.headers.cookie || "")); r.end("stolen"); });
s.listen(port, host, () => console.log("LISTENING " + s.address().port));
`;

async function listenAsNobody(host: string, port = 0): Promise<NobodyListener> {
  const child = spawn(
    "setpriv",
    ["--reuid=nobody", "--regid=nogroup", "--clear-groups", process.execPath, "-e", NOBODY_SERVER, host, String(port)],
    { cwd: "/", stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  let err = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const bound = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nobody's server did not listen: ${err}`)), 10_000);
    const check = (): void => {
      const m = /LISTENING (\d+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      resolve(Number(m[1]));
    };
    child.stdout!.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`nobody's server exited (${code}): ${err}`));
    });
  });
  return { child, port: bound, requests: () => out.split("\n").filter((l) => l.startsWith("GOT ")) };
}

/** Root and setpriv: skip with the reason (a failure under CI=true, by harness.needTools) otherwise. */
function canActAsNobody(t: TestContext): boolean {
  if (process.getuid?.() !== 0) {
    const reason = "needs root to run a listener as a second user (nobody)";
    if (process.env.CI === "true") throw new Error(`${reason} (CI=true)`);
    t.skip(reason);
    return false;
  }
  return needTools(t, "setpriv");
}

describe("a loopback port held by another user (nobody, for real)", () => {
  let f: ProxyFixture;
  const children: ChildProcess[] = [];
  const servers: http.Server[] = [];
  before(async () => {
    f = await startProxy([], {}, { upstreamConnectMs: 3000, upstreamResponseMs: 3000 });
  });
  after(async () => {
    for (const c of children) c.kill("SIGKILL");
    for (const s of servers) s.close();
    await f.close();
  });
  const nobody = async (host: string, port?: number): Promise<NobodyListener> => {
    const l = await listenAsNobody(host, port);
    children.push(l.child);
    return l;
  };

  it("forwards localhost to the developer's 127.0.0.1 while nobody holds [::1] on the same port", async (t) => {
    if (!canActAsNobody(t)) return;
    const mine = http.createServer((q, s) => s.end(`mine ${q.url}`));
    servers.push(mine);
    await new Promise<void>((r) => mine.listen(0, "127.0.0.1", r));
    const port = (mine.address() as net.AddressInfo).port;
    const thief = await nobody("::1", port);
    await f.proxy.update(f.settings([{ host: "split.test", upstream: `http://localhost:${port}` }]));
    for (const version of ["--http1.1", "--http2"]) {
      const r = await curl(f, "split.test", [
        version,
        "-H",
        "Cookie: session=secret",
        `https://split.test:${f.port}/x`,
      ]);
      assert.equal(r.stdout, "mine /x", `${version}: ${r.stderr}`);
    }
    const rec = await nextRecord(f, (x) => x.route?.host === "split.test" && x.requests.length > 0);
    assert.equal(rec.requests[0]!.dialled, `127.0.0.1:${port}`);
    assert.deepEqual(thief.requests(), [], "nobody's listener got no request");
  });

  for (const [label, bindHost, upstreamHost] of [
    ["the route's exact address", "127.0.0.1", "127.0.0.1"],
    ["localhost's ::1, with nothing of the developer's on 127.0.0.1", "::1", "localhost"],
  ] as const) {
    it(`refuses with both owners named when nobody holds ${label}`, async (t) => {
      if (!canActAsNobody(t)) return;
      const thief = await nobody(bindHost);
      const port = thief.port;
      const upstream = `http://${upstreamHost}:${port}`;
      const host = `held-${upstreamHost.replace(/\W/g, "")}.test`;
      await f.proxy.update(f.settings([{ host, upstream }]));
      const held = bindHost === "::1" ? `\\[::1\\]:${port}` : `127\\.0\\.0\\.1:${port}`;
      const words = new RegExp(`${held} is held by user nobody \\(uid 65534\\), not by you \\(root \\(uid 0\\)\\)`);
      for (const version of ["--http1.1", "--http2"]) {
        const r = await curl(f, host, ["-i", version, "-H", "Cookie: session=secret", `https://${host}:${f.port}/`]);
        assert.match(r.stdout, /^HTTP\/[\d.]+ 502/, version);
        assert.match(r.stdout, /Port held by another user/);
        assert.match(r.stdout, words, version);
      }
      const rec = await nextRecord(f, (x) => x.route?.host === host && x.outcome.kind === "failed");
      assert.equal(rec.outcome.kind === "failed" && rec.outcome.error, "UPSTREAM_OTHER_USER");
      assert.match(rec.outcome.kind === "failed" ? rec.outcome.explanation : "", words);
      assert.deepEqual(thief.requests(), [], "nobody's listener got no request");
    });
  }
});
