/** A GET through the proxy under test, shared by the integration suites. */
import { readFileSync } from "node:fs";
import { connect as tlsConnect } from "node:tls";
import { join } from "node:path";

const port = Number(process.env.SWITCHYARD_TEST_PORT);
const caDir = process.env.SWITCHYARD_CAROOT ?? "";

/** A GET over TLS with only the Switchyard root trusted; resolves with status and body. */
export function httpsGet(host: string, path = "/"): Promise<{ status: number; body: string; alpn: string | false }> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect(
      {
        host: "127.0.0.1",
        port,
        servername: host,
        ca: readFileSync(join(caDir, "root.pem")),
        ALPNProtocols: ["http/1.1"],
      },
      () => {
        socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      },
    );
    let data = "";
    socket.setEncoding("utf8");
    socket.on("data", (d) => (data += d));
    socket.on("end", () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1]);
      resolve({ status, body: data.slice(data.indexOf("\r\n\r\n") + 4), alpn: socket.alpnProtocol ?? false });
    });
    socket.on("error", reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error("timed out")));
  });
}
