/**
 * Waits until a route answers through the proxy: a TLS connection to the proxy's own address with
 * the route's name as SNI, verified against the Switchyard root, that gets the dev server's answer
 * rather than the proxy's "upstream not answering" page. Bounded by `timeoutMs`.
 */
import { readFileSync } from "node:fs";
import https from "node:https";
import type { ControlBinding } from "../control/protocol";

/** The proxy's own pages end with this line (pages.ts); a dev server's answer does not. */
const PROXY_PAGE_MARK = "Answered by the Switchyard dev proxy";

function dialAddress(b: ControlBinding): string {
  if (b.address === "0.0.0.0") return "127.0.0.1";
  if (b.address === "::") return "::1";
  return b.address;
}

/** One try: true when the dev server answered through the proxy. */
function tryOnce(host: string, binding: ControlBinding, ca: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = https.request(
      {
        host: dialAddress(binding),
        port: binding.port,
        servername: host,
        headers: { host: `${host}:${binding.port}`, "user-agent": "switchyard-run" },
        path: "/",
        method: "GET",
        ca,
        timeout: 2000,
        agent: false,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          if (body.length < 65536) body += c;
        });
        res.on("end", () => resolve(!body.includes(PROXY_PAGE_MARK)));
        res.on("error", () => resolve(false));
      },
    );
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
    req.end();
  });
}

/** Resolves true once the route answers, false when `timeoutMs` passed or the process exited first. */
export async function waitUntilRouteAnswers(options: {
  host: string;
  bindings: readonly ControlBinding[];
  rootFile: string;
  exited: Promise<unknown>;
  timeoutMs?: number;
}): Promise<boolean> {
  const binding = options.bindings[0];
  if (!binding) return false;
  let ca: string;
  try {
    ca = readFileSync(options.rootFile, "utf8");
  } catch {
    return false;
  }
  let done = false;
  void options.exited.then(() => (done = true));
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (!done && Date.now() < deadline) {
    if (await tryOnce(options.host, binding, ca)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
