/**
 * Which route already serves a dev server: a server that starts on a port a route sends requests
 * to is that route coming up, not a new server to name. A route reaches the server when its
 * upstream is a loopback URL on the server's port that the proxy would dial at the server's
 * socket (`localhost` is dialled on both ::1 and 127.0.0.1, so it reaches either).
 */

/** A route as detection compares it: its name and where it sends requests. */
export interface RouteTarget {
  host: string;
  upstream: string;
}

/** A listening dev server as detection found it. */
export interface ServerSocket {
  port: number;
  /** The URL that reaches exactly its socket (http://127.0.0.1:PORT, http://[::1]:PORT). */
  upstream: string;
}

const DEFAULT_PORTS: Record<string, number> = { "http:": 80, "https:": 443 };

/** The loopback family a URL's host names: both for `localhost`, else the one it spells. */
function loopbackFamily(hostname: string): "v4" | "v6" | "both" | undefined {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  if (h === "localhost" || h.endsWith(".localhost")) return "both";
  if (/^127\.\d+\.\d+\.\d+$/.test(h) || h === "::ffff:127.0.0.1") return "v4";
  if (h === "::1") return "v6";
  return undefined;
}

function portOf(url: URL): number | undefined {
  if (url.port) return Number(url.port);
  return DEFAULT_PORTS[url.protocol];
}

/** The first route whose upstream reaches `server`'s socket, if any. */
export function routeServing(server: ServerSocket, routes: readonly RouteTarget[]): RouteTarget | undefined {
  let socket: URL;
  try {
    socket = new URL(server.upstream);
  } catch {
    return undefined;
  }
  const serverFamily = loopbackFamily(socket.hostname);
  return routes.find((r) => {
    let url: URL;
    try {
      url = new URL(r.upstream);
    } catch {
      return false;
    }
    if (portOf(url) !== server.port) return false;
    const family = loopbackFamily(url.hostname);
    return family !== undefined && (family === "both" || serverFamily === undefined || family === serverFamily);
  });
}
