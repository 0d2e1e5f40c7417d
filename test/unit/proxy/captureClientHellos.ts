/**
 * Captures real ClientHellos into test/fixtures/clienthello/*.bin: a raw TCP listener on both
 * loopback addresses (one port) records the first bytes each client sends until a whole hello has
 * arrived, then closes. Every client is given a name, never an address: a client sends no SNI for
 * an IP literal. Names other than localhost are mapped to 127.0.0.1 for that client alone.
 * Run once by hand: `node --import tsx test/unit/proxy/captureClientHellos.ts`
 * (CLIENTHELLO_OUT=DIR writes elsewhere; captureClientHellos.test.ts does).
 */
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import https from "node:https";
import tls from "node:tls";
import { parseClientHello } from "../../../extension/core/proxy/accept/clientHello";
import { listenOnBothLoopbacks, type LoopbackPair } from "./bothLoopbacks";

const OUT = process.env.CLIENTHELLO_OUT || path.join(__dirname, "../../fixtures/clienthello");

/** Names given on the command line capture only those (`… captureClientHellos.ts python3-urllib java-httpclient`). */
const only = process.argv.slice(2);

function captureOne(name: string, launch: (port: number) => () => void): Promise<void> {
  if (only.length > 0 && !only.includes(name)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    let stop: () => void = () => {};
    let listener: LoopbackPair | undefined;
    const onConnection = (socket: net.Socket): void => {
      let buf = Buffer.alloc(0);
      socket.on("data", (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        const parsed = parseClientHello(buf);
        if (parsed.kind === "need-more") return;
        socket.destroy();
        void listener?.close();
        stop();
        if (parsed.kind === "error") return reject(parsed.error);
        writeFileSync(path.join(OUT, `${name}.bin`), buf.subarray(0, parsed.hello.byteLength));
        console.log(
          `${name}: ${parsed.hello.byteLength} bytes, sni=${parsed.hello.serverName} alpn=${parsed.hello.alpn}`,
        );
        resolve();
      });
      socket.on("error", () => {});
    };
    listenOnBothLoopbacks(onConnection).then((pair) => {
      listener = pair;
      stop = launch(pair.port);
    }, reject);
  });
}

function spawn(cmd: string, args: string[], env?: NodeJS.ProcessEnv): () => void {
  const child = execFile(cmd, args, { env: env ?? process.env, timeout: 15_000 }, () => {});
  return () => child.kill();
}

async function main(): Promise<void> {
  const resolveArg = (port: number): string[] => ["--resolve", `my-awesome-service.test:${port}:127.0.0.1`];
  await captureOne("curl-http2", (p) =>
    spawn("curl", ["-sk", "--http2", ...resolveArg(p), `https://my-awesome-service.test:${p}/`]),
  );
  await captureOne("curl-http1.1", (p) =>
    spawn("curl", ["-sk", "--http1.1", ...resolveArg(p), `https://my-awesome-service.test:${p}/`]),
  );
  await captureOne("openssl-sni-alpn-h2", (p) =>
    spawn("openssl", [
      "s_client",
      "-connect",
      `127.0.0.1:${p}`,
      "-servername",
      "my-awesome-service.test",
      "-alpn",
      "h2",
    ]),
  );
  await captureOne("openssl-no-sni", (p) =>
    spawn("openssl", ["s_client", "-connect", `127.0.0.1:${p}`, "-noservername"]),
  );
  await captureOne("openssl-tls12-only", (p) =>
    spawn("openssl", ["s_client", "-connect", `127.0.0.1:${p}`, "-servername", "legacy.test", "-tls1_2"]),
  );
  await captureOne("node-tls", (p) => {
    const s = tls.connect({
      port: p,
      host: "127.0.0.1",
      servername: "api.my-awesome-service.test",
      ALPNProtocols: ["h2", "http/1.1"],
    });
    s.on("error", () => {});
    return () => s.destroy();
  });
  await captureOne("node-https", (p) => {
    const req = https.get({ port: p, host: "127.0.0.1", servername: "my-awesome-service.test", path: "/" });
    req.on("error", () => {});
    return () => req.destroy();
  });
  await captureOne("python3-urllib", (p) =>
    spawn("python3", ["-c", `import urllib.request; urllib.request.urlopen("https://localhost:${p}/", timeout=10)`]),
  );
  const javaDir = mkdtempSync(path.join(tmpdir(), "sy-java-"));
  const javaSource = path.join(javaDir, "Get.java");
  writeFileSync(
    javaSource,
    `public class Get { public static void main(String[] a) throws Exception {
  var c = java.net.http.HttpClient.newHttpClient();
  c.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(a[0])).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
} }`,
  );
  // jdk.net.hosts.file maps the test name for this JVM alone (no system hosts file is touched).
  const javaHosts = path.join(javaDir, "hosts");
  writeFileSync(javaHosts, "127.0.0.1 my-awesome-service.test\n");
  await captureOne("java-httpclient", (p) =>
    spawn("java", [`-Djdk.net.hosts.file=${javaHosts}`, javaSource, `https://my-awesome-service.test:${p}/`]),
  );
  const firefoxHome = mkdtempSync(path.join(tmpdir(), "sy-firefox-"));
  await captureOne("firefox", (p) =>
    spawn("firefox-esr", ["--headless", "--no-remote", "--profile", firefoxHome, `https://localhost:${p}/`], {
      ...process.env,
      HOME: firefoxHome,
    }),
  );
  const home = mkdtempSync(path.join(tmpdir(), "sy-chromium-"));
  await captureOne("chromium", (p) =>
    spawn(
      "/usr/bin/chromium",
      [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        `--user-data-dir=${home}`,
        `--host-resolver-rules=MAP my-awesome-service.test 127.0.0.1`,
        `https://my-awesome-service.test:${p}/`,
      ],
      { ...process.env, HOME: home },
    ),
  );
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
