/**
 * `switchyard serve` with routes whose upstream URL carries `user:password@`: the password is never
 * printed (the routes line, per-request and per-connection log lines, failures that name the
 * upstream), as text or as ndjson. A real serve process, a temp HOME and CA folder, a TLS client
 * and an upstream on 127.0.0.1.
 */
import { after, afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { exitWithin, newMark, reapMarked, startServe, type Cli } from "./cliProcesses";

const PASSWORD = "hunter2-s3cret";
const mark = newMark();
const homes: string[] = [];

/** A request for `name` through the proxy at 127.0.0.1:`port`; resolves with the status line. */
function request(port: number, name: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port, servername: name, rejectUnauthorized: false });
    let got = "";
    socket.setTimeout(30_000, () => socket.destroy(new Error(`no answer for ${name} within 30 s`)));
    socket.once("secureConnect", () => socket.write(`GET /x HTTP/1.1\r\nHost: ${name}\r\nConnection: close\r\n\r\n`));
    socket.on("data", (d: Buffer) => (got += d.toString("latin1")));
    socket.once("close", () => resolve(got.split("\r\n")[0] ?? ""));
    socket.once("error", reject);
  });
}

/**
 * A port on 127.0.0.1 that nothing listens on (bound, then closed). Left as a pick on purpose: the
 * test needs a port where nothing listens, and Node cannot keep a TCP socket bound without listening.
 */
async function closedPort(): Promise<number> {
  const server = net.createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

describe("switchyard serve --log never prints an upstream's password", () => {
  let upstream: http.Server | undefined;
  let serve: Cli | undefined;

  afterEach(async () => {
    if (serve && serve.child.exitCode === null) {
      serve.child.kill("SIGTERM");
      await exitWithin(serve).catch(() => undefined);
    }
    serve = undefined;
    await reapMarked(mark);
    if (upstream) await new Promise((r) => upstream!.close(r));
    upstream = undefined;
  });

  after(() => {
    for (const home of homes) rmSync(home, { recursive: true, force: true });
  });

  for (const log of ["text", "ndjson"] as const) {
    it(`--log ${log}: routes, requests, closes and failures show user:***@`, async () => {
      upstream = http.createServer((_req, res) => res.end("from upstream"));
      upstream.listen(0, "127.0.0.1");
      await once(upstream, "listening");
      const up = (upstream.address() as net.AddressInfo).port;
      const home = mkdtempSync(join(tmpdir(), "switchyard-serve-redact-"));
      homes.push(home);
      // One route from --config, two from --route: one reachable, one whose upstream refuses.
      const config = join(home, "settings.json");
      writeFileSync(
        config,
        JSON.stringify({
          "switchyard.proxy.routes": [{ host: "config.test", upstream: `http://cfg:${PASSWORD}@127.0.0.1:${up}/` }],
        }),
      );
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        HOME: home,
        XDG_STATE_HOME: join(home, "state"),
        XDG_DATA_HOME: join(home, "data"),
      };
      let port: number;
      ({ cli: serve, port } = await startServe(env, mark, [
        "--ca-dir",
        join(home, "ca"),
        "--config",
        config,
        "--log",
        log,
        "--route",
        `ok.test=http://user:${PASSWORD}@127.0.0.1:${up}`,
        "--route",
        `down.test=https://user:${PASSWORD}@127.0.0.1:${await closedPort()}/`,
      ]));
      await serve.waitFor(log === "text" ? /stop with Ctrl\+C/ : /"type":"binding"[^\n]*"state":"listening"/);

      assert.match(await request(port, "ok.test"), /^HTTP\/1\.1 200/);
      assert.match(await request(port, "config.test"), /^HTTP\/1\.1 200/);
      assert.match(await request(port, "down.test"), /^HTTP\/1\.1 50\d/);
      // Each connection's close line is printed once the client has gone.
      await serve.waitFor(log === "text" ? /down\.test: failed/ : /"event":"close"[^\n]*down\.test/);
      await serve.waitFor(log === "text" ? /config\.test: 1 request/ : /"event":"close"[^\n]*config\.test/);

      const out = serve.out();
      assert.ok(!out.includes(PASSWORD), `the password was printed:\n${out}`);
      assert.ok(!out.includes(encodeURIComponent(PASSWORD)), out);
      assert.match(out, /user:\*\*\*@127\.0\.0\.1/);
      if (log === "text") assert.match(out, /ok\.test -> http:\/\/user:\*\*\*@127\.0\.0\.1/);
      else assert.match(out, /"upstream":"http:\/\/cfg:\*\*\*@127\.0\.0\.1/);
    });
  }
});
