/**
 * Passthrough routes: the raw TLS stream, ClientHello included, is spliced to the
 * route's TLS upstream without terminating it. Switchyard never sees the plaintext.
 */
import net from "node:net";
import type { RouteSetting } from "../../settings";
import type { ConnectionRecorder } from "../records/connectionRecorder";
import type { ProxyContext } from "../context";
import { explainPassthroughLoop, explainUpstreamFailure } from "../records/explain";
import { connectOptions, dialledAddresses, originOf } from "../upstream/dial";

/** Splices `client` (paused, with `peeked` already read from it) to the route's upstream. */
export function passThrough(
  client: net.Socket,
  peeked: Buffer,
  route: RouteSetting,
  ctx: ProxyContext,
  rec: ConnectionRecorder,
): void {
  const origin = originOf(route);
  rec.record.route = { host: route.host, upstream: origin.url };
  const target = { url: origin.url, dialled: dialledAddresses(origin) };
  if (ctx.isSelf(origin)) {
    rec.fail("upstream", explainPassthroughLoop(route.host, origin.url));
    client.destroy();
    return;
  }
  const upstream = net.connect(connectOptions(origin));
  const timer = setTimeout(
    () => upstream.destroy(Object.assign(new Error("connect timeout"), { code: "UPSTREAM_TIMEOUT" })),
    ctx.timeouts.upstreamConnectMs,
  );
  let connected = false;
  upstream.once("connect", () => {
    clearTimeout(timer);
    connected = true;
    rec.mark("upstreamConnected");
    rec.setOutcome({ kind: "passed-through", upstream: origin.url });
    upstream.write(peeked);
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  });
  upstream.on("data", () => rec.mark("firstResponse"));
  upstream.on("error", (e) => {
    clearTimeout(timer);
    const explained = explainUpstreamFailure(e, target, connected);
    rec.fail("upstream", explained);
    client.destroy();
  });
  upstream.on("close", () => client.destroy());
  client.on("error", () => upstream.destroy());
  client.on("close", () => upstream.destroy());
}
