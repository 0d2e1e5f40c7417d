/** `switchyard serve`: the sniffing dev proxy in the foreground. */
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { homedir } from "node:os";
import { join } from "node:path";
import { watchCaDir, type CaWatch } from "../core/ca/caWatch";
import { LocalCa, resolveCaDir } from "../core/ca/index";
import { CA_FILES } from "../core/ca/paths";
import type { ControlServer } from "../core/control/controlServer";
import { serveControl } from "../core/control/dynamicRoutes";
import { controlSocketPath, stateDirFor } from "../core/control/stateDir";
import { ServingCa, type WorkerCa } from "../core/proxy/worker/servingCa";
import { WorkerProxy } from "../core/proxy/worker/workerProxy";
import type { BindingRecord, ProxyProblem } from "../core/proxy/records/records";
import { parseRouteFlag, type RouteSetting, type SwitchyardSettings } from "../core/settings";
import { parseListenSpec } from "../core/net/listenSpec";
import { normalizeHostname } from "../core/hosts/validate";
import { InvalidHostnameError } from "../core/hosts/errors";
import { redactUrlCredentials } from "../core/urlCredentials";
import { ConnectionLog } from "./connectionLog";
import { followLan } from "./serveLan";
import { loadSettings, parseCommandArgs, UsageError, type CliCommand, type CliIO } from "./command";

const HELP = `Usage:
  switchyard serve [--config FILE] [--listen SPEC]... [--route HOST=UPSTREAM_URL]... [--ca-dir DIR] [--log text|ndjson] [--lan]

Runs the proxy until SIGINT/SIGTERM. One port speaks both HTTPS (terminated with a certificate
from the local CA, chosen by SNI) and plain HTTP (redirected to https). When the CA is replaced
(switchyard ca create --force), new connections get certificates from the new one.

Options:
  --listen SPEC    ADDRESS:PORT, [IPV6]:PORT, HOSTNAME:PORT or INTERFACE:PORT (default localhost:8443)
  --route H=URL    proxy host H to URL, e.g. my-awesome-service.test=http://localhost:3000
  --http-port N    also answer plain HTTP on port N with a redirect to the TLS port
  --ca-dir DIR     CA directory (else $SWITCHYARD_CAROOT, else the per-user default)
  --log FORMAT     text (default) or ndjson: a line when a connection opens, per request, and at close
  --lan            share on the local network: also listen on this machine's LAN addresses, answer
                   mDNS for each route NAME.TLD as NAME.local, and serve the device onboarding page
                   (the root as .crt, .mobileconfig and PEM) at http://LAN-ADDRESS:PORT/; prints a
                   QR code of that page and the root's fingerprint
`;

/** One line per binding, as text or one JSON object. */
export function formatBinding(b: BindingRecord, ndjson: boolean): string {
  if (ndjson) return `${JSON.stringify({ type: "binding", ...b })}\n`;
  const where = b.family === 6 ? `[${b.address}]:${b.port}` : `${b.address}:${b.port}`;
  const what = b.role === "http-redirect" ? "plain HTTP, redirecting to https" : "HTTPS + HTTP";
  if (b.state === "failed") return `cannot listen on ${where || b.spec} (${b.spec}): ${b.reason ?? "unknown error"}\n`;
  const warning = b.warning ? `\n  warning: ${b.warning}` : "";
  return `${b.state === "listening" ? "listening on" : "stopped"} ${where} (${b.spec}${b.interfaceName ? `, ${b.interfaceName}` : ""}): ${what}${warning}\n`;
}

/** A problem of the proxy itself (not of one connection), as text or one JSON object. */
export function formatProblem(p: ProxyProblem, ndjson: boolean): string {
  if (ndjson) return `${JSON.stringify({ type: "problem", ...p })}\n`;
  return `${p.time} proxy problem (${p.code}): ${p.explanation}\n`;
}

/**
 * A writer that sends what it is given in one turn of the event loop as one write: the worker posts
 * its records in batches, and a line per connection and per request each cost a system call.
 */
function joinedPerTurn(write: (text: string) => void): (text: string) => void {
  let pending = "";
  const flush = (): void => {
    const text = pending;
    pending = "";
    write(text);
  };
  return (text) => {
    if (pending === "") queueMicrotask(flush);
    pending += text;
  };
}

/**
 * Serve's output with every URL password masked: routes, records (text and ndjson), problems and
 * dynamic routes all pass through here, so a `user:pw@` upstream never reaches a terminal or log file.
 */
function redactingIo(io: CliIO): CliIO {
  return {
    ...io,
    stdout: (text) => io.stdout(redactUrlCredentials(text)),
    stderr: (text) => io.stderr(redactUrlCredentials(text)),
  };
}

/** Why a route's host is not a host name, `*.` wildcard or IP address, or undefined when it is one. */
function routeHostProblem(host: string): string | undefined {
  if (isIP(host.replace(/^\[(.*)\]$/, "$1")) !== 0) return undefined;
  try {
    normalizeHostname(host.startsWith("*.") ? host.slice(2) : host);
    return undefined;
  } catch (e) {
    const reason = e instanceof InvalidHostnameError ? e.reason : (e as Error).message;
    return `"${host}" is not a host name or *.wildcard: ${reason}`;
  }
}

/** A bad --route is a usage error (exit 2); a bad route in the --config file is a failure (exit 1). */
function checkRoute(route: RouteSetting, from: string, usage: boolean): void {
  const problem = routeHostProblem(route.host);
  if (problem) throw usage ? new UsageError(`${from}: ${problem}`, "serve") : new Error(`${from}: ${problem}`);
}

function settingsFrom(
  values: { config?: string; listen?: string[]; route?: string[]; "http-port"?: string },
  io: CliIO,
): SwitchyardSettings {
  const settings = loadSettings(values.config, io);
  for (const spec of values.listen ?? []) {
    try {
      parseListenSpec(spec);
    } catch (e) {
      throw new UsageError(`--listen: ${(e as Error).message}`, "serve");
    }
  }
  if (values.listen && values.listen.length > 0) settings.proxy.listen = values.listen;
  for (const route of settings.proxy.routes) checkRoute(route, `${values.config ?? "settings"}: route`, false);
  for (const flag of values.route ?? []) {
    let route: RouteSetting;
    try {
      route = parseRouteFlag(flag);
    } catch (e) {
      throw new UsageError((e as Error).message, "serve");
    }
    checkRoute(route, `--route ${JSON.stringify(flag)}`, true);
    settings.proxy.routes.push(route);
  }
  if (values["http-port"] !== undefined) {
    const port = Number(values["http-port"]);
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new UsageError(`--http-port must be a port number, not "${values["http-port"]}"`, "serve");
    settings.proxy.httpPort = port;
  }
  return settings;
}

export const serveCommand: CliCommand = {
  name: "serve",
  summary: "run the sniffing HTTPS dev proxy in the foreground",
  help: HELP,
  async run(argv, terminal) {
    const io = redactingIo(terminal);
    const { values, positionals } = parseCommandArgs("serve", argv, {
      config: { type: "string" },
      listen: { type: "string", multiple: true },
      route: { type: "string", multiple: true },
      "ca-dir": { type: "string" },
      "http-port": { type: "string" },
      log: { type: "string" },
      lan: { type: "boolean" },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    if (values.log !== undefined && values.log !== "text" && values.log !== "ndjson")
      throw new UsageError(`--log must be text or ndjson, not "${values.log}"`);
    const ndjson = values.log === "ndjson";
    const settings = settingsFrom(values, io);
    if (values.lan) settings.proxy.shareOnLan = true;
    const dir = resolveCaDir({
      explicit: values["ca-dir"] ?? settings.ca.directory,
      env: io.env,
      home: io.env.HOME || homedir(),
    });
    const { ca, created } = await LocalCa.openOrCreate({
      dir,
      keyType: settings.ca.keyType,
      permittedNames: settings.ca.permittedNames,
      permittedIpRanges: settings.ca.permittedIpRanges,
      unconstrained: settings.ca.unconstrained,
      keepRootKey: settings.ca.keepRootKey,
    });
    if (created)
      io.stderr(`created a local CA in ${dir}; run "switchyard ca trust" so browsers accept its certificates\n`);
    if (io.signal.aborted) return 0;

    // The proxy runs on its own thread (workerProxy.ts); the CA was created above if it was missing.
    const caFiles: WorkerCa = { dir: ca.material.dir, keyType: settings.ca.keyType };
    const proxy = new WorkerProxy({ settings, ca: caFiles });
    proxy.on("binding", (b) => io.stdout(formatBinding(b, ndjson)));
    proxy.on("problem", (p) => (ndjson ? io.stdout : io.stderr)(formatProblem(p, ndjson)));
    if (settings.proxy.shareOnLan) followLan(io, proxy, ndjson);
    const connections = new ConnectionLog(joinedPerTurn(io.stdout), ndjson);
    proxy.on("live", (r) => connections.live(r));
    proxy.on("record", (r) => connections.closed(r));
    const bindings = await proxy.start();
    if (!bindings.some((b) => b.state === "listening")) {
      await proxy.stop();
      throw new Error(
        "no listen address could be bound (see above); pick another port with --listen, e.g. --listen localhost:8443",
      );
    }
    // `switchyard run` (and other tools of this user) add routes through the control socket.
    const control = await startControl(io, proxy, settings, bindings, ndjson, join(ca.material.dir, CA_FILES.root));
    const caWatch = followCa(io, new ServingCa(proxy, ca.rootPem(), caFiles), caFiles, ndjson);
    if (!ndjson)
      io.stderr(
        `routes: ${settings.proxy.routes.map((r) => `${r.host}${r.pathPrefix ?? ""} -> ${r.upstream}`).join(", ") || "none (add --route HOST=URL, or start a dev server with switchyard run NAME -- COMMAND)"}\nstop with Ctrl+C\n`,
      );
    await new Promise<void>((resolve) => {
      if (io.signal.aborted) return resolve();
      io.signal.addEventListener("abort", () => resolve(), { once: true });
    });
    caWatch.close();
    await control?.close();
    await proxy.stop();
    return 0;
  },
};

/**
 * Keeps the proxy issuing from the CA on disk: when its folder is replaced (`switchyard ca create
 * --force` in another terminal) the proxy reloads it, through the same {@link ServingCa} the
 * extension uses. A CA that cannot be used is reported and the proxy goes on with the one it has.
 */
function followCa(io: CliIO, serving: ServingCa, ca: WorkerCa, ndjson: boolean): CaWatch {
  let queue: Promise<void> = Promise.resolve();
  const reload = async (): Promise<void> => {
    try {
      const rootPem = readFileSync(join(ca.dir, CA_FILES.root), "utf8");
      if (!(await serving.switchTo(rootPem, ca))) return;
      const root = new X509Certificate(rootPem).subject.replace(/\n/g, ", ");
      io.stdout(
        ndjson
          ? `${JSON.stringify({ type: "ca", event: "reloaded", dir: ca.dir, root })}\n`
          : `the CA in ${ca.dir} was replaced: new connections get certificates from it (${root}); run "switchyard ca trust" if clients do not trust it yet\n`,
      );
    } catch (e) {
      io.stderr(
        `switchyard serve: the CA in ${ca.dir} changed but cannot be used (${(e as Error).message}); still issuing from the previous one\n`,
      );
    }
  };
  return watchCaDir(
    ca.dir,
    () => {
      queue = queue.then(reload);
    },
    {
      onWatchError: (e) =>
        io.stderr(`switchyard serve: cannot watch ${ca.dir} (${e.message}); restart serve after replacing the CA\n`),
    },
  );
}

/** The control endpoint beside the proxy; a failure to open it is reported, not fatal. */
async function startControl(
  io: CliIO,
  proxy: WorkerProxy,
  settings: SwitchyardSettings,
  bindings: BindingRecord[],
  ndjson: boolean,
  rootFile: string,
): Promise<ControlServer | undefined> {
  try {
    const stateDir = stateDirFor(io.env, io.env.HOME || homedir());
    return await serveControl({
      socketPath: controlSocketPath(stateDir),
      proxy,
      settings: () => settings,
      bindings: () => bindings,
      rootFile,
      onChange: (routes) =>
        io.stdout(
          ndjson
            ? `${JSON.stringify({ type: "routes", dynamic: routes })}\n`
            : `routes from switchyard run: ${routes.map((r) => `${r.host} -> ${r.upstream} (pid ${r.owner.pid})`).join(", ") || "none"}\n`,
        ),
      onError: (e) => io.stderr(`switchyard serve: applying a route failed: ${e.message}\n`),
    });
  } catch (e) {
    io.stderr(`switchyard serve: switchyard run cannot reach this proxy: ${(e as Error).message}\n`);
    return undefined;
  }
}
