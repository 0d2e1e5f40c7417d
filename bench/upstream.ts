/**
 * The one upstream every bench row talks to: a plain Node HTTP server in its own process, with
 * keep-alive, a small body on every path and a 100 MiB body on /100m (streamed with backpressure,
 * with a Content-Length, as a dev server serves a large asset) and the request's headers on /headers,
 * to check that a proxy forwarded X-Forwarded-*.
 *
 *     node --import tsx bench/upstream.ts PORT
 */
import { createServer } from "node:http";

/** Size of the download body on /100m. */
export const DOWNLOAD_BYTES = 100 * 1024 * 1024;

/** The small body of every other path. */
export const SMALL_BODY = "hello from the bench upstream\n";

function serve(port: number): void {
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  const server = createServer((req, res) => {
    if (req.url === "/100m") {
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": DOWNLOAD_BYTES });
      let left = DOWNLOAD_BYTES;
      const pump = (): void => {
        while (left > 0) {
          const n = Math.min(left, chunk.length);
          left -= n;
          if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
            res.once("drain", pump);
            return;
          }
        }
        res.end();
      };
      pump();
      return;
    }
    if (req.url === "/headers") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(req.headers));
      return;
    }
    res.writeHead(200, { "content-type": "text/plain", "content-length": Buffer.byteLength(SMALL_BODY) });
    res.end(SMALL_BODY);
  });
  // Proxies keep pooled connections idle between rows; Node's 5 s default would race them.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;
  server.listen(port, "127.0.0.1", () => process.stdout.write(`upstream listening on 127.0.0.1:${port}\n`));
}

if (process.argv[1] && /upstream\.[mc]?[jt]s$/.test(process.argv[1])) {
  const port = Number(process.argv[2]);
  if (!Number.isInteger(port) || port <= 0) throw new Error("usage: bench/upstream.ts PORT");
  serve(port);
}
