// Which client sent a ClientHello: first on real captures (test/fixtures/clienthello, made by
// captureClientHellos.ts with the real programs), then end to end: real clients that do not trust
// the root fail against the real proxy, and the record names the client and the fix for it.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import tls from "node:tls";
import { parseClientHello } from "../../../extension/core/proxy/accept/clientHello";
import { clientFromUserAgent, identifyClient } from "../../../extension/core/proxy/records/clientIdentity";
import { clientTrustAdvice } from "../../../extension/core/proxy/records/explain";
import type { ConnectionRecord } from "../../../extension/core/proxy/records/records";
import { echoUpstream, needTools, nssHome, run, startRealProxy, waitForRecord, type RealProxy } from "./harness";

const FIXTURES = path.join(__dirname, "../../fixtures/clienthello");

function helloOf(file: string) {
  const parsed = parseClientHello(readFileSync(path.join(FIXTURES, file)));
  assert.equal(parsed.kind, "complete", file);
  return (parsed as Extract<typeof parsed, { kind: "complete" }>).hello;
}

describe("identifyClient on real ClientHello captures", () => {
  const expected: Record<string, string> = {
    "chromium.bin": "chromium",
    "firefox.bin": "firefox",
    "java-httpclient.bin": "java",
    "node-tls.bin": "node",
    "node-https.bin": "node",
    "python3-urllib.bin": "python",
    "curl-http1.1.bin": "curl",
    "curl-http2.bin": "curl",
    "openssl-no-sni.bin": "openssl-cli",
    "openssl-sni-alpn-h2.bin": "openssl",
    "openssl-tls12-only.bin": "openssl",
  };
  for (const [file, kind] of Object.entries(expected)) {
    it(`names ${file} as ${kind}, saying why`, () => {
      const who = identifyClient(helloOf(file));
      assert.equal(who.kind, kind);
      assert.ok(who.evidence.length > 0);
      assert.equal(who.family, kind === "chromium" || kind === "firefox" ? "browser" : "runtime");
    });
  }

  it("says unknown for a hello that fits no stack, rather than guessing", () => {
    const hello = { ...helloOf("curl-http2.bin"), extensions: [0, 10, 11, 13, 43, 51] };
    assert.equal(identifyClient(hello).kind, "unknown");
  });

  it("reads the client a User-Agent names", () => {
    assert.equal(clientFromUserAgent("curl/7.88.1")?.kind, "curl");
    assert.equal(clientFromUserAgent("Python-urllib/3.11")?.kind, "python");
    assert.equal(clientFromUserAgent("node")?.kind, "node");
    assert.equal(clientFromUserAgent("Java-http-client/17.0.15")?.kind, "java");
    assert.equal(
      clientFromUserAgent("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")?.kind,
      "firefox",
    );
    assert.equal(
      clientFromUserAgent(
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36",
      )?.kind,
      "chromium",
    );
    assert.equal(clientFromUserAgent("something"), undefined);
  });
});

describe("clientTrustAdvice", () => {
  it("never offers only Trust Local CA: every client gets a fix of its own", () => {
    for (const file of [
      "chromium.bin",
      "firefox.bin",
      "java-httpclient.bin",
      "node-tls.bin",
      "python3-urllib.bin",
      "curl-http2.bin",
    ]) {
      const advice = clientTrustAdvice({ client: identifyClient(helloOf(file)) });
      const others = advice.fixes.filter((f) => f.action !== "trustCa");
      assert.ok(others.length > 0, `${file}: ${JSON.stringify(advice.fixes)}`);
      for (const f of advice.fixes) if (f.action === "trustCa") assert.equal(f.whenStoreUntrusted, true);
    }
  });

  it("sends another device to the device page and Export Root, not to this machine's stores", () => {
    const advice = clientTrustAdvice({
      client: identifyClient(helloOf("chromium.bin")),
      remote: true,
      address: "192.168.1.20",
    });
    assert.match(advice.explanation, /another device \(192\.168\.1\.20\)/);
    assert.deepEqual(
      advice.fixes.map((f) => f.action),
      ["openDeviceOnboarding", "exportRoot"],
    );
  });
});

/** Runs a client to the end (it fails its handshake); resolves when it exited. */
function runClient(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 30_000, env }, () => resolve());
  });
}

describe("a real client that does not trust the root: the record names it and its fix", () => {
  let f: RealProxy;
  let upstream: Awaited<ReturnType<typeof echoUpstream>>;
  const NAME = "my-awesome-service.test";

  const failedFrom = (kind: string) => (r: ConnectionRecord) =>
    r.outcome.kind === "failed" && r.outcome.stage === "handshake" && r.clientHello?.client.kind === kind;

  async function check(kind: string, start: () => Promise<void>, words: RegExp): Promise<void> {
    const waiting = waitForRecord(f.proxy, failedFrom(kind), 30_000);
    await start();
    const rec = await waiting;
    assert.equal(rec.outcome.kind, "failed");
    const explanation = (rec.outcome as { explanation: string }).explanation;
    assert.match(explanation, /does not trust the( Switchyard)? root/);
    assert.match(explanation, words);
  }

  it("starts a proxy in front of the real CA", async () => {
    upstream = await echoUpstream();
    f = await startRealProxy([{ host: NAME, upstream: upstream.url }]);
  });

  it("curl without --cacert: names curl and says --cacert", async (t) => {
    if (!needTools(t, "curl")) return;
    await check(
      "curl",
      async () => {
        await run("curl", ["-sS", "--resolve", `${NAME}:${f.port}:127.0.0.1`, `https://${NAME}:${f.port}/`]);
      },
      /curl \(OpenSSL\)[\s\S]*--cacert/,
    );
  });

  it("Node tls with no CA: names Node and NODE_EXTRA_CA_CERTS", async () => {
    await check(
      "node",
      () =>
        new Promise<void>((resolve) => {
          const s = tls.connect({ host: "127.0.0.1", port: f.port, servername: NAME });
          s.on("error", () => resolve());
          s.on("secureConnect", () => (s.destroy(), resolve()));
        }),
      /Node\.js[\s\S]*NODE_EXTRA_CA_CERTS/,
    );
  });

  it("python3 urllib: names Python and SSL_CERT_FILE / REQUESTS_CA_BUNDLE", async (t) => {
    if (!needTools(t, "python3")) return;
    const script = `import urllib.request\ntry:\n  urllib.request.urlopen("https://127.0.0.1:${f.port}/", timeout=10)\nexcept Exception as e:\n  print(e)`;
    await check("python", () => runClient("python3", ["-c", script]), /Python[\s\S]*REQUESTS_CA_BUNDLE/);
  });

  it("Chromium with a profile that lacks the root: names the browser and says import into it", async (t) => {
    if (!needTools(t, "chromium", "certutil")) return;
    const home = nssHome();
    try {
      await check(
        "chromium",
        () =>
          runClient(
            "chromium",
            [
              "--headless",
              "--no-sandbox",
              "--disable-gpu",
              `--user-data-dir=${path.join(home, "profile")}`,
              `--host-resolver-rules=MAP ${NAME} 127.0.0.1`,
              "--dump-dom",
              `https://${NAME}:${f.port}/`,
            ],
            { ...process.env, HOME: home },
          ),
        /Chromium-based browser[\s\S]*Import/,
      );
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it("Java's HttpClient: names Java and its keytool import", async (t) => {
    if (!needTools(t, "java")) return;
    const source = path.join(f.dir, "Get.java");
    writeFileSync(
      source,
      `public class Get { public static void main(String[] a) throws Exception {
  var c = java.net.http.HttpClient.newHttpClient();
  c.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(a[0])).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
} }`,
    );
    // A test name mapped to the one address the proxy bound, for Java alone (jdk.net.hosts.file
    // replaces the system resolver): a name, so Java sends it as SNI, and never a localhost URL.
    const hosts = path.join(f.dir, "java.hosts");
    writeFileSync(hosts, `127.0.0.1 ${NAME}\n`);
    await check(
      "java",
      () => runClient("java", [`-Djdk.net.hosts.file=${hosts}`, source, `https://${NAME}:${f.port}/`]),
      /Java program[\s\S]*keytool/,
    );
  });

  it("stops", async () => {
    await f?.close();
    upstream?.server.close();
  });
});
