/**
 * webpack-dev-server's hot-reload socket behind the proxy. Its browser client (webpack-dev-server
 * 4 and 5) connects to the port the server was started on once that port is known (the `port`
 * option, or the free port it picked, 8080 by default): behind the proxy the page is
 * https://NAME:8443/ and the client opens wss://NAME:8080/ws, TLS to a plain-HTTP server, and hot
 * reload fails. Only `client.webSocketURL` changes that; webpack-dev-server reads no variable for
 * it. Create React App (react-scripts 4 and 5) and Vue CLI read `WDS_SOCKET_PORT` into it, so for
 * them the proxy's port in that variable is enough; for webpack-dev-server on its own the fix is
 * one setting, which run names.
 */

/** The variable that points a CRA or Vue CLI dev server's hot-reload client at the proxy's port. */
export function webpackSocketEnv(proxyPort: number | undefined): Record<string, string> {
  return proxyPort === undefined ? {} : { WDS_SOCKET_PORT: String(proxyPort) };
}

/**
 * What to set when the dev server is webpack-dev-server on its own (the detector's label for its
 * command line, see detector.ts); undefined for anything else, Create React App included.
 */
export function webpackSocketAdvice(label: string, host: string): string | undefined {
  if (label !== "webpack-dev-server") return undefined;
  return (
    `webpack-dev-server's hot reload connects to its own port (wss://${host}:PORT/ws), which the proxy does not serve: ` +
    `set devServer.client.webSocketURL to "auto://0.0.0.0:0/ws" in your webpack config ` +
    `(or start it with --client-web-socket-url auto://0.0.0.0:0/ws) so that it uses the page's host and port`
  );
}
