/**
 * Dev servers that refuse a Host header they do not know, recognised by their answer: Vite (and
 * Angular's Vite-based server) say "Blocked request. This host ("x") is not allowed", and
 * webpack-dev-server says "Invalid Host header", both with 403. A proxy in front of them gets this
 * page for every request until the server is told the name, so the probe reports it as a failure
 * with the fix instead of "works". Pure: status and the first bytes of the body in, finding out.
 */

/** A dev server's host check that refused the name. */
export interface HostCheckRefusal {
  framework: "vite" | "webpack-dev-server";
  /** The host the server named, when it did. */
  host?: string;
  /** What fixes it, in one sentence. */
  fix: string;
}

/** Recognises a host-check refusal from a response's status and the start of its body. */
export function hostCheckRefusal(status: number | undefined, body: string): HostCheckRefusal | undefined {
  if (status !== 403) return undefined;
  const vite = /Blocked request\. This host \(("?)([^")]*)\1\) is not allowed/.exec(body);
  if (vite) {
    const host = vite[2] || undefined;
    const name = host ?? "the name";
    return {
      framework: "vite",
      host,
      fix:
        `start the dev server with \`switchyard run ${host ?? "NAME"} -- <command>\` (it tells Vite the name), ` +
        `use a *.localhost name (Vite accepts those), or add "${name}" to server.allowedHosts in vite.config`,
    };
  }
  if (/^\s*Invalid Host header\s*$/.test(body)) {
    return {
      framework: "webpack-dev-server",
      fix:
        "use a *.localhost name (webpack-dev-server accepts those), or add the name to devServer.allowedHosts " +
        "in the webpack config",
    };
  }
  return undefined;
}
