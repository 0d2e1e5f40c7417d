import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net, { type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, type ViteDevServer } from "vite";
import { hostCheckRefusal } from "../../../extension/core/net/hostCheck";
import { probeUrl } from "../../../extension/core/net/probe";
import { listenOnBothLoopbacks, type LoopbackPair } from "../proxy/bothLoopbacks";

describe("a dev server's host check, recognised", () => {
  it("reads Vite's and webpack-dev-server's refusals, and nothing else", () => {
    const vite = hostCheckRefusal(
      403,
      'Blocked request. This host ("my-app.test") is not allowed.\nTo allow this host, add "my-app.test" to `server.allowedHosts` in vite.config.js.',
    );
    assert.equal(vite?.framework, "vite");
    assert.equal(vite?.host, "my-app.test");
    assert.match(vite?.fix ?? "", /switchyard run my-app\.test -- /);
    assert.equal(hostCheckRefusal(403, "Invalid Host header")?.framework, "webpack-dev-server");
    assert.equal(hostCheckRefusal(403, "Forbidden"), undefined);
    assert.equal(hostCheckRefusal(200, 'Blocked request. This host ("x") is not allowed'), undefined);
  });

  describe("probing a stock Vite (no config file) by a name it does not know", () => {
    let vite: ViteDevServer;
    let root: string;
    let port: number;
    /**
     * Vite binds 127.0.0.1 only, but a *.localhost name is dialled on both loopbacks (the probe does
     * as browsers do): that name goes to this port, held on 127.0.0.1 and ::1 and piped to Vite, so
     * no other program's ::1 listener can answer for it.
     */
    let both: LoopbackPair;
    const resolution = (hostsPath: string) => ({
      hostsPath,
      lookup: async () => [{ address: "127.0.0.1", family: 4 }],
      dnsResolver: false as const,
    });
    before(async () => {
      root = mkdtempSync(join(tmpdir(), "switchyard-hostcheck-"));
      writeFileSync(join(root, "index.html"), "<!doctype html><h1>app</h1>\n");
      writeFileSync(join(root, "hosts"), "127.0.0.1 my-app.test\n");
      vite = await createServer({
        root,
        configFile: false,
        logLevel: "silent",
        server: { host: "127.0.0.1", port: 0 },
      });
      await vite.listen();
      port = (vite.httpServer!.address() as AddressInfo).port;
      both = await listenOnBothLoopbacks((client) => {
        const toVite = net.connect(port, "127.0.0.1");
        client.pipe(toVite).pipe(client);
        client.on("error", () => toVite.destroy());
        toVite.on("error", () => client.destroy());
      });
    });
    after(async () => {
      await both?.close();
      await vite?.close();
      rmSync(root, { recursive: true, force: true });
    });

    it("reports the 403 as a failure with the fix, not as 'works'", async () => {
      const report = await probeUrl(`http://my-app.test:${port}/`, { resolution: resolution(join(root, "hosts")) });
      assert.equal(report.works, false);
      const v = report.verdicts.find((x) => x.code === "host-check");
      assert.ok(v, JSON.stringify(report.verdicts));
      assert.equal(v.level, "error");
      assert.match(v.message, /vite.*refuses the name my-app\.test/);
      assert.match(v.fix ?? "", /switchyard run my-app\.test/);
    });

    it("says it works for a *.localhost name, which Vite accepts", async () => {
      const report = await probeUrl(`http://shop.localhost:${both.port}/`, {
        resolution: resolution(join(root, "hosts")),
      });
      assert.equal(report.works, true, JSON.stringify(report.verdicts));
      assert.ok(!report.verdicts.some((x) => x.code === "host-check"));
    });
  });
});
