import { after, before, describe, it, type TestContext } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import { curl, nextRecord, startProxy, type ProxyFixture } from "./harness";

/** Listens on `host` only; resolves with the port, or undefined when that address cannot be bound here. */
async function listenOn(server: net.Server, host: string, port = 0): Promise<number | undefined> {
  return new Promise((resolve) => {
    server.once("error", () => resolve(undefined));
    server.listen(port, host, () => resolve((server.address() as net.AddressInfo).port));
  });
}

/** ::1 is needed; under CI=true its absence fails the test instead of skipping it. */
function needIpv6(t: TestContext, port: number | undefined): port is number {
  if (port !== undefined) return true;
  if (process.env.CI === "true") throw new Error("cannot listen on ::1 (CI=true)");
  t.skip("cannot listen on ::1 here");
  return false;
}

describe("which address of localhost the proxy dialled", () => {
  let f: ProxyFixture;
  const servers: net.Server[] = [];
  before(async () => {
    f = await startProxy([], {}, { upstreamConnectMs: 2000, upstreamResponseMs: 2000 });
  });
  after(async () => {
    for (const s of servers) s.close();
    await f.close();
  });
  const server = <T extends net.Server>(s: T): T => (servers.push(s), s);

  for (const [family, address, named] of [
    ["IPv6", "::1", (p: number) => `[::1]:${p}`],
    ["IPv4", "127.0.0.1", (p: number) => `127.0.0.1:${p}`],
  ] as const) {
    it(`names ${family} loopback in the record when only ${address} listens`, async (t) => {
      const up = server(http.createServer((_q, s) => s.end(`on ${address}`)));
      const port = await listenOn(up, address);
      if (!needIpv6(t, port)) return;
      const host = `only-${family.toLowerCase()}.test`;
      await f.proxy.update(f.settings([{ host, upstream: `http://localhost:${port}` }]));
      for (const version of ["--http1.1", "--http2"]) {
        const r = await curl(f, host, [version, `https://${host}:${f.port}/${version}`]);
        assert.equal(r.stdout, `on ${address}`, r.stderr);
        const rec = await nextRecord(
          f,
          (x) => x.route?.host === host && x.requests.some((q) => q.path === `/${version}`),
        );
        const request = rec.requests.find((q) => q.path === `/${version}`)!;
        assert.equal(request.upstream, `http://localhost:${port}`);
        assert.equal(request.dialled, named(port), version);
      }
    });
  }

  it("names the address that answered when a localhost upstream closes without answering", async (t) => {
    const mute = server(net.createServer((s) => s.destroy()));
    const port = await listenOn(mute, "::1");
    if (!needIpv6(t, port)) return;
    await f.proxy.update(f.settings([{ host: "mute.test", upstream: `http://localhost:${port}` }]));
    for (const version of ["--http1.1", "--http2"]) {
      const r = await curl(f, "mute.test", ["-i", version, `https://mute.test:${f.port}/${version}`]);
      assert.match(r.stdout, / 502/);
      assert.match(
        r.stdout,
        new RegExp(`http://localhost:${port} at \\[::1\\]:${port} closed the connection without answering`),
        version,
      );
    }
  });

  it("names every address it tried when none answers", async () => {
    const probe = net.createServer();
    const port = (await listenOn(probe, "127.0.0.1"))!;
    await new Promise((r) => probe.close(r));
    await f.proxy.update(f.settings([{ host: "nobody.test", upstream: `http://localhost:${port}` }]));
    const r = await curl(f, "nobody.test", ["-i", "--http1.1", `https://nobody.test:${f.port}/`]);
    assert.match(r.stdout, /^HTTP\/1\.1 502/);
    const rec = await nextRecord(f, (x) => x.route?.host === "nobody.test" && x.outcome.kind === "failed");
    assert.equal(rec.outcome.kind, "failed");
    if (rec.outcome.kind !== "failed") return;
    assert.match(rec.outcome.explanation, new RegExp(`\\[::1\\]:${port}`));
    assert.match(rec.outcome.explanation, new RegExp(`127\\.0\\.0\\.1:${port}`));
  });
});
