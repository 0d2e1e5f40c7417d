/**
 * Captures real ClientHellos into test/fixtures/clienthello/*.bin: a raw TCP listener on loopback
 * records the first bytes each client sends until a whole hello has arrived, then closes.
 * Run once by hand: `node --import tsx test/unit/proxy/captureClientHellos.ts`.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import tls from "node:tls";
import { parseClientHello } from "../../../extension/core/proxy/accept/clientHello";

const OUT = path.join(__dirname, "../../fixtures/clienthello");

function captureOne(name: string, launch: (port: number) => () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let stop: () => void = () => {};
    const server = net.createServer((socket) => {
      let buf = Buffer.alloc(0);
      socket.on("data", (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        const parsed = parseClientHello(buf);
        if (parsed.kind === "need-more") return;
        socket.destroy();
        server.close();
        stop();
        if (parsed.kind === "error") return reject(parsed.error);
        writeFileSync(path.join(OUT, `${name}.bin`), buf.subarray(0, parsed.hello.byteLength));
        console.log(
          `${name}: ${parsed.hello.byteLength} bytes, sni=${parsed.hello.serverName} alpn=${parsed.hello.alpn}`,
        );
        resolve();
      });
      socket.on("error", () => {});
    });
    server.listen(0, "127.0.0.1", () => {
      stop = launch((server.address() as net.AddressInfo).port);
    });
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
