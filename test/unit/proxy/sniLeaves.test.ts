/**
 * Which SNI names get a leaf of their own (issue 22 items 3 and 5), with the real local CA keeping
 * its leaves on disk and real TLS clients: only names a route covers do (a wildcard route counts,
 * and a route added while the proxy runs counts at once); invented names and SNI bytes that are no
 * host name get the fallback certificate (the dialled address's), so a client cannot mint leaves
 * or write files, and no leaf file is named from what a client sent.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import type http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import tls from "node:tls";
import { CA_FILES, LocalCa } from "../../../extension/core/ca/index";
import { serveControl } from "../../../extension/core/control/dynamicRoutes";
import { ControlClient } from "../../../extension/core/control/controlClient";
import type { ControlServer } from "../../../extension/core/control/controlServer";
import { DevProxy } from "../../../extension/core/proxy/devProxy";
import { echoUpstream, proxySettings, waitForRecord } from "./harness";

/** Connects with `servername` as the SNI (any string; undefined sends none), returns the certificate served. */
function handshake(port: number, servername: string | undefined): Promise<tls.PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: "127.0.0.1",
      port,
      ...(servername !== undefined ? { servername } : {}),
      // The point is which certificate the proxy presents, not whether it is trusted.
      rejectUnauthorized: false,
      ALPNProtocols: ["http/1.1"],
    });
    socket.once("secureConnect", () => {
      const peer = socket.getPeerCertificate();
      socket.destroy();
      resolve(peer);
    });
    socket.once("error", reject);
  });
}

describe("leaves only for names a route covers, with the real CA's disk cache", () => {
  let dir: string;
  let leavesDir: string;
  let ca: LocalCa;
  let proxy: DevProxy | undefined;
  let port: number;
  let upstream: { server: http.Server; url: string } | undefined;
  let control: ControlServer | undefined;
  let applied: Promise<void> = Promise.resolve();
  let routesApplied: () => void = () => {};

  const leafFiles = (): string[] => (existsSync(leavesDir) ? readdirSync(leavesDir).sort() : []);
  const settings = (): ReturnType<typeof proxySettings> =>
    proxySettings([
      { host: "app.test", upstream: upstream!.url },
      { host: "*.api.test", upstream: upstream!.url },
    ]);

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "switchyard-snileaves-"));
    ca = (await LocalCa.openOrCreate({ dir: path.join(dir, "ca") })).ca;
    leavesDir = path.join(dir, "ca", CA_FILES.leaves);
    upstream = await echoUpstream();
    proxy = new DevProxy({
      settings: settings(),
      leaves: ca,
      resolveListen: async (spec) => [{ spec, address: "127.0.0.1", family: 4, port: 0, wildcard: false }],
    });
    const bindings = await proxy.start();
    const listening = bindings.find((b) => b.state === "listening");
    assert.ok(listening, JSON.stringify(bindings));
    port = listening.port;
    control = await serveControl({
      socketPath: path.join(dir, "state", "control.sock"),
      proxy,
      settings,
      bindings: () => proxy!.bindings,
      onChange: () => routesApplied(),
    });
    // What a developer's own use issues anyway: the fallback (no SNI: the dialled address) and app.test.
    await handshake(port, undefined);
    await handshake(port, "app.test");
    await ca.diskWritesDone();
  });
  after(async () => {
    await control?.close();
    await proxy?.stop();
    upstream?.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    "issues nothing for 300 invented SNI names: no new leaf in memory, no new file",
    { timeout: 120_000 },
    async () => {
      const filesBefore = leafFiles();
      const inMemoryBefore = ca.leavesInMemory;
      assert.deepEqual(filesBefore, ["127.0.0.1-key.pem", "127.0.0.1.pem", "app.test-key.pem", "app.test.pem"]);
      const suffixes = [".test", ".localhost", ".deep.api.test"]; // the wildcard covers one label only
      const names: string[] = [];
      for (let i = 0; i < 300; i++) names.push(`n${randomBytes(6).toString("hex")}${suffixes[i % suffixes.length]}`);
      for (const name of names) {
        const peer = await handshake(port, name);
        assert.equal(peer.subjectaltname, "IP Address:127.0.0.1", name);
        assert.ok(tls.checkServerIdentity(name, peer) instanceof Error, `${name} is not covered`);
      }
      await ca.diskWritesDone();
      assert.deepEqual(leafFiles(), filesBefore);
      assert.equal(ca.leavesInMemory, inMemoryBefore);

      const last = names[names.length - 1]!;
      const rec = await waitForRecord(proxy!, (r) => r.clientHello?.serverName === last);
      assert.match(rec.tls?.certificateNote ?? "", new RegExp(`no route serves ${last.replace(/\./g, "\\.")}`));
      assert.match(rec.tls?.certificateNote ?? "", /add a route for it/);
      assert.match(rec.tls?.certificateNote ?? "", /presented the certificate for 127\.0\.0\.1/);
    },
  );

  it("issues the wildcard route's one leaf for a name it covers, and only that one file", async () => {
    const peer = await handshake(port, "shop.api.test");
    assert.equal(peer.subjectaltname, "DNS:*.api.test");
    const other = await handshake(port, "cart.api.test");
    assert.equal(other.fingerprint256, peer.fingerprint256);
    await ca.diskWritesDone();
    assert.ok(leafFiles().includes("_wildcard.api.test.pem"));
    assert.equal(
      leafFiles().some((f) => f.includes("shop.api.test") || f.includes("cart.api.test")),
      false,
    );
  });

  it("issues for a name at once when the control socket adds its route", async () => {
    const before = await handshake(port, "late.test");
    assert.equal(before.subjectaltname, "IP Address:127.0.0.1", "no route yet: the fallback");
    applied = new Promise<void>((resolve) => (routesApplied = resolve));
    const client = await ControlClient.connect(path.join(dir, "state", "control.sock"));
    try {
      const added = await client.request({
        op: "add",
        route: {
          host: "late.test",
          upstream: upstream!.url,
          source: "run",
          owner: { pid: process.pid, command: "test" },
        },
      });
      assert.equal(added.ok, true, JSON.stringify(added));
      await applied;
      const peer = await handshake(port, "late.test");
      assert.equal(peer.subjectaltname, "DNS:late.test");
    } finally {
      client.close();
    }
  });

  it("gives SNI variants of one name one leaf, and SNI that is no host name the fallback", async () => {
    const app = await handshake(port, "app.test");
    for (const variant of ["app.test.", "APP.Test", "App.Test."]) {
      const peer = await handshake(port, variant);
      assert.equal(peer.fingerprint256, app.fingerprint256, JSON.stringify(variant));
    }
    for (const variant of [
      " app.test",
      "app.test\n",
      "app.test ",
      "app\ttest",
      "app.test..",
      "*.api.test",
      "a_b.test",
    ]) {
      const peer = await handshake(port, variant);
      assert.equal(peer.subjectaltname, "IP Address:127.0.0.1", JSON.stringify(variant));
      const rec = await waitForRecord(
        proxy!,
        (r) => r.tls?.certificateNote?.includes(JSON.stringify(variant)) ?? false,
      );
      assert.equal(rec.clientHello?.serverName, undefined);
      assert.match(rec.tls?.certificateNote ?? "", /is not a host name/);
    }
    await ca.diskWritesDone();
    const files = leafFiles();
    assert.deepEqual(
      files.filter((f) => f.toLowerCase().includes("app.test")),
      ["app.test-key.pem", "app.test.pem"],
    );
    // eslint-disable-next-line no-control-regex -- control characters are what this looks for
    for (const file of files) assert.doesNotMatch(file, /[\s\u0000-\u001f\u007f*]/, JSON.stringify(file));
  });
});
