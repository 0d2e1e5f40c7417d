/**
 * 103 Early Hints next to a dev server's own (proxy/hints/): the proxy's learned links go into the
 * dev server's 103 instead of a second one (Chromium honours only a navigation's first), a page
 * whose dev server sends none gets the proxy's at once, and with the setting off nothing changes.
 * Node's http2 client sends what Chromium sends for a navigation and its module requests.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import http from "node:http";
import http2 from "node:http2";
import type net from "node:net";
import { startProxy, type ProxyFixture } from "./harness";

const OWN = "</own.css>; rel=preload; as=style";

/** A dev server: `/hinted` sends its own 103 first; every page answers after 50 ms. */
async function devServer(): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer((req, res) => {
    if (req.url === "/hinted") res.writeEarlyHints({ link: OWN });
    setTimeout(() => res.end(`body of ${req.url}`), 50);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}` };
}

describe("early hints beside a dev server's own 103", () => {
  let up: { server: http.Server; url: string };
  let on: ProxyFixture;
  let off: ProxyFixture;
  const sessions: http2.ClientHttp2Session[] = [];

  before(async () => {
    up = await devServer();
    on = await startProxy([{ host: "app.test", upstream: up.url }], { "switchyard.proxy.earlyHints": true });
    off = await startProxy([{ host: "app.test", upstream: up.url }]);
  });
  after(async () => {
    for (const s of sessions) s.close();
    await on.close();
    await off.close();
    up.server.close();
  });

  /** One request; resolves with its 1xx heads and final status. */
  function request(
    f: ProxyFixture,
    headers: http2.OutgoingHttpHeaders,
  ): Promise<{ interim: http2.IncomingHttpHeaders[]; status: number }> {
    const session = http2.connect(`https://127.0.0.1:${f.port}`, {
      ca: readFileSync(f.rootFile),
      servername: "app.test",
    });
    sessions.push(session);
    session.on("error", () => undefined);
    return new Promise((resolve, reject) => {
      const req = session.request({ ":authority": `app.test:${f.port}`, ...headers });
      const interim: http2.IncomingHttpHeaders[] = [];
      let status = 0;
      req.on("headers", (h) => interim.push(h));
      req.on("response", (h) => (status = Number(h[":status"])));
      req.on("data", () => undefined);
      req.on("end", () => resolve({ interim, status }));
      req.on("error", reject);
      req.setTimeout(10_000, () => req.close(http2.constants.NGHTTP2_CANCEL));
    });
  }

  const navigate = (f: ProxyFixture, path: string): ReturnType<typeof request> =>
    request(f, { ":path": path, "sec-fetch-mode": "navigate", "sec-fetch-dest": "document" });

  /** A page load: the navigation, then main.js (from the page) and dep.js (from main.js). */
  async function load(f: ProxyFixture, path: string): Promise<http2.IncomingHttpHeaders[]> {
    const page = await navigate(f, path);
    assert.equal(page.status, 200);
    const origin = `https://app.test:${f.port}`;
    const module = { "sec-fetch-mode": "cors", "sec-fetch-dest": "script" };
    assert.equal((await request(f, { ":path": "/main.js", ...module, referer: `${origin}${path}` })).status, 200);
    assert.equal((await request(f, { ":path": "/dep.js", ...module, referer: `${origin}/main.js` })).status, 200);
    return page.interim;
  }

  it("adds the learned links to the dev server's own 103 instead of sending a second one", async () => {
    const first = await load(on, "/hinted");
    assert.deepEqual(
      first.map((h) => h.link),
      [OWN],
      "the first load: the dev server's 103 as it was",
    );
    const second = await load(on, "/hinted");
    assert.equal(second.length, 1, JSON.stringify(second));
    assert.equal(second[0]![":status"], 103);
    assert.equal(second[0]!.link, `${OWN}, </main.js>; rel=modulepreload, </dep.js>; rel=modulepreload`);
  });

  it("sends its own 103 for a page whose dev server sends none", async () => {
    assert.deepEqual(await load(on, "/plain"), []);
    const second = await load(on, "/plain");
    assert.equal(second.length, 1);
    assert.equal(second[0]!.link, "</main.js>; rel=modulepreload, </dep.js>; rel=modulepreload");
  });

  it("changes nothing with the setting off (the default)", async () => {
    await load(off, "/plain");
    assert.deepEqual(await load(off, "/plain"), []);
    await load(off, "/hinted");
    assert.deepEqual(
      (await load(off, "/hinted")).map((h) => h.link),
      [OWN],
    );
  });
});
