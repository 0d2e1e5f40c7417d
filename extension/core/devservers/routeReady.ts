/**
 * Waits until a route answers through the proxy: a TLS connection to the proxy's own address with
 * the route's name as SNI, verified against the Switchyard root, that gets the dev server's answer
 * rather than the proxy's "upstream not answering" page. A dev server's host-check refusal (Vite's
 * "Blocked request", webpack-dev-server's "Invalid Host header") is an answer, but not the app:
 * it is reported as such, recognised as the probe recognises it (net/hostCheck.ts). Bounded by
 * `timeoutMs`.
 */
import { readFileSync } from "node:fs";
import https from "node:https";
import type { ControlBinding } from "../control/protocol";
import { hostCheckRefusal, type HostCheckRefusal } from "../net/hostCheck";

/** What the route gave: the app, a host-check refusal, or nothing in time (or the command exited). */
export type RouteReadiness =
  { state: "answers" } | { state: "refused"; refusal: HostCheckRefusal } | { state: "silent" };

/** One try's outcome: undefined while the dev server has not answered through the proxy. */
type TryResult = RouteReadiness | undefined;

/** The proxy's own pages end with this line (pages.ts); a dev server's answer does not. */
const PROXY_PAGE_MARK = "Answered by the Switchyard dev proxy";

function dialAddress(b: ControlBinding): string {
  if (b.address === "0.0.0.0") return "127.0.0.1";
  if (b.address === "::") return "::1";
  return b.address;
}

/** One try through the proxy. */
function tryOnce(host: string, binding: ControlBinding, ca: string): Promise<TryResult> {
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
        res.on("end", () => {
          if (body.includes(PROXY_PAGE_MARK)) return resolve(undefined);
          const refusal = hostCheckRefusal(res.statusCode, body);
          resolve(refusal ? { state: "refused", refusal } : { state: "answers" });
        });
        res.on("error", () => resolve(undefined));
      },
    );
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(undefined));
    req.end();
  });
}

/** Resolves once the route answers (the app or a host-check refusal), or "silent" when `timeoutMs` passed or the process exited first. */
export async function waitUntilRouteAnswers(options: {
  host: string;
  bindings: readonly ControlBinding[];
  rootFile: string;
  exited: Promise<unknown>;
  timeoutMs?: number;
}): Promise<RouteReadiness> {
  const silent: RouteReadiness = { state: "silent" };
  const binding = options.bindings[0];
  if (!binding) return silent;
  let ca: string;
  try {
    ca = readFileSync(options.rootFile, "utf8");
  } catch {
    return silent;
  }
  let done = false;
  void options.exited.then(() => (done = true));
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (!done && Date.now() < deadline) {
    const result = await tryOnce(options.host, binding, ca);
    if (result) return result;
    await new Promise((r) => setTimeout(r, 100));
  }
  return silent;
}
