/**
 * `switchyard run NAME -- COMMAND...`: starts a dev server with a port and the variables it needs,
 * finds the port its process tree really listens on, routes https://NAME to it through the running
 * proxy (or a proxy of its own when none runs), and takes the route away when the command ends.
 */
import { existsSync, readFileSync } from "node:fs";
import { constants, homedir } from "node:os";
import { join } from "node:path";
import { resolveCaDir } from "../core/ca/index";
import { CA_FILES } from "../core/ca/paths";
import { nodeExtraCaCerts } from "../core/ca/trust/nodeExtraCa";
import type { ControlBinding } from "../core/control/protocol";
import { controlSocketPath, ensurePrivateDir, stateDirFor } from "../core/control/stateDir";
import { appHostFor, devServerEnv, needsNoHostsEntry } from "../core/devservers/devServerEnv";
import { publicUrl, standardPortsReachProxy } from "../core/publicUrl";
import { freePort } from "../core/devservers/freePort";
import { waitUntilRouteAnswers } from "../core/devservers/routeReady";
import type { HostCheckRefusal } from "../core/net/hostCheck";
import { explainHostCheckRefusal } from "../core/proxy/records/explain";
import { labelForCommand } from "../core/devservers/detector";
import { upstreamUrlFor, type ListeningSocket } from "../core/devservers/treeSockets";
import { webpackSocketAdvice } from "../core/devservers/webpackSocket";
import { waitForListeningSocket } from "../core/devservers/waitForListening";
import { loadSettings, parseCommandArgs, UsageError, type CliCommand } from "./command";
import { connectOrStartProxy, type ProxyLease } from "./runProxy";
import { KeptRoute } from "./runRoute";
import { RunningCommand } from "./runningCommand";

const HELP = `Usage:
  switchyard run NAME [--listen SPEC]... [--config FILE] [--ca-dir DIR] -- COMMAND [ARGS...]

Runs COMMAND (your dev server) and serves it at https://NAME.localhost (or at NAME as written when
it has a dot, e.g. my-app.test) through the Switchyard proxy, with a trusted certificate.

COMMAND gets PORT (a free port), NODE_EXTRA_CA_CERTS (the Switchyard root) and the variables that
let Vite accept the name. Whatever port the command's processes actually listen on is the one used.
When a proxy is running (switchyard serve, or VS Code), the route is added to it; otherwise run
starts one with your configured listen address (default localhost:8443). The route goes away when
COMMAND exits; run exits with COMMAND's exit code.

COMMAND runs in a process group of its own: SIGINT, SIGTERM or SIGHUP to run goes to all of its
processes, which get 5 s to exit before they are killed (a second signal kills them at once), and
run checks that none is left when it ends.

Options:
  --listen SPEC    where a proxy started by run listens (default localhost:8443)
  --config FILE    settings (a JSON object of switchyard.* keys)
  --ca-dir DIR     CA directory (else $SWITCHYARD_CAROOT, else the per-user default)
`;

/** The URL run prints: no port when standard ports reach the proxy on `standardPortsOn` (core/publicUrl.ts). */
function urlFor(host: string, bindings: readonly ControlBinding[], standardPortsOn: number | undefined): string {
  const tlsPort = bindings[0]?.port;
  return publicUrl(host, { tlsPort, standardPorts: tlsPort !== undefined && tlsPort === standardPortsOn });
}

/**
 * What run says when the route answers with the dev server's host-check page instead of the app:
 * the probe's words (records/explain.ts), and why run's own variable did not help.
 */
function hostCheckAdvice(host: string, url: string, refusal: HostCheckRefusal): string {
  const { explanation } = explainHostCheckRefusal(refusal, host);
  const why =
    refusal.framework === "vite"
      ? ` This run already told Vite the name (__VITE_ADDITIONAL_SERVER_ALLOWED_HOSTS=${host}) and Vite did not take it` +
        " (an older Vite, a server.allowedHosts that is not a list, or a command that does not pass the environment on):" +
        " use one of the other fixes."
      : "";
  return `switchyard run: ${url} is not your app yet: ${explanation}${why}\n`;
}

/** The command line of the process holding a socket (Linux /proc; elsewhere what the OS table named). */
function commandLineOf(socket: ListeningSocket): string {
  try {
    return readFileSync(`/proc/${socket.pid}/cmdline`, "utf8");
  } catch {
    return socket.command ?? "";
  }
}

/** The exit status of a command ended by a signal, as shells report it (128 + its number). */
function signalStatus(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

/** Parses argv into the name, run's own options and the command after `--`. */
function parseRunArgs(argv: string[]): { host: string; command: string[]; values: Record<string, unknown> } {
  const dashes = argv.indexOf("--");
  const own = dashes < 0 ? argv : argv.slice(0, dashes);
  const command = dashes < 0 ? [] : argv.slice(dashes + 1);
  const { values, positionals } = parseCommandArgs("run", own, {
    listen: { type: "string", multiple: true },
    config: { type: "string" },
    "ca-dir": { type: "string" },
  });
  if (positionals.length !== 1) throw new UsageError("give one NAME, e.g. switchyard run shop -- npm run dev", "run");
  if (command.length === 0) throw new UsageError("give the dev server's command after --, e.g. -- npm run dev", "run");
  try {
    return { host: appHostFor(positionals[0] as string), command, values };
  } catch (e) {
    throw new UsageError((e as Error).message, "run");
  }
}

export const runCommand: CliCommand = {
  name: "run",
  summary: "run a dev server at a trusted https://NAME.localhost",
  help: HELP,
  async run(argv, io) {
    const { host, command, values } = parseRunArgs(argv);
    const settings = loadSettings(values.config as string | undefined, io);
    const listen = values.listen as string[] | undefined;
    if (listen?.length) settings.proxy.listen = listen;
    const home = io.env.HOME || homedir();
    const stateDir = stateDirFor(io.env, home);
    ensurePrivateDir(stateDir);
    const where = {
      socketPath: controlSocketPath(stateDir),
      settings,
      caDir: resolveCaDir({
        explicit: (values["ca-dir"] as string | undefined) ?? settings.ca.directory,
        env: io.env,
        home,
      }),
    };

    let lease: ProxyLease | undefined;
    /** Once routed, the lease is kept by this (and replaced when its proxy goes away). */
    let kept: KeptRoute | undefined;
    let started: RunningCommand | undefined;
    try {
      lease = await connectOrStartProxy(where, io);
      const hello = await lease.client.request({ op: "hello" });
      const bindings = hello.ok ? (hello.bindings ?? []) : [];
      // The root of the CA the proxy really issues from (VS Code's differs from the CLI's default).
      const rootFile = (hello.ok && hello.rootFile) || join(where.caDir, CA_FILES.root);
      if (io.signal.aborted) return signalStatus("SIGINT");
      // The name is held for this run before its command starts: a second run of it stops here.
      const owner = { pid: process.pid, command: command.join(" ") };
      const reserved = await lease.client.request({ op: "reserve", host, owner });
      if (!reserved.ok) {
        io.stderr(`switchyard run: ${reserved.error}; ${command[0]} was not started\n`);
        return 1;
      }

      const givenPort = await freePort();
      const extraCa = existsSync(rootFile)
        ? nodeExtraCaCerts(rootFile, io.env.NODE_EXTRA_CA_CERTS, stateDir)
        : undefined;
      const running = RunningCommand.start(
        command,
        {
          ...io.env,
          ...devServerEnv({
            host,
            port: givenPort,
            rootPemFile: extraCa,
            // The user's own WDS_SOCKET_PORT wins.
            proxyPort: io.env.WDS_SOCKET_PORT ? undefined : bindings[0]?.port,
          }),
        },
        io,
      );
      started = running;
      const { exited } = running;

      const served = running.pid
        ? await waitForListeningSocket({
            pid: running.pid,
            givenPort,
            exited,
            onSlow: () =>
              io.stderr(
                `switchyard run: still waiting for ${command[0]} to listen on a port (it was given PORT=${givenPort})\n`,
              ),
          })
        : undefined;
      const port = served?.port;
      if (served) {
        const route = {
          host,
          // Exactly the address the dev server bound: another user may listen on the other loopback.
          upstream: upstreamUrlFor(served),
          source: "run" as const,
          owner,
        };
        const added = await lease.client.request({ op: "add", route });
        if (!added.ok) {
          io.stderr(`switchyard run: ${added.error}\n`);
          await running.end("SIGTERM");
          return 1;
        }
        // Standard ports count only when a handshake through 127.0.0.1:443 reaches this proxy.
        const rootPem = existsSync(rootFile) ? readFileSync(rootFile, "utf8") : undefined;
        const standardPortsOn = (await standardPortsReachProxy(bindings[0]?.port, rootPem)).standardPorts
          ? bindings[0]?.port
          : undefined;
        kept = new KeptRoute(lease, where, io);
        lease = undefined;
        kept.keep(route, {
          routed: (again) => io.stdout(`${urlFor(host, again, standardPortsOn)} -> ${command[0]} on port ${port}\n`),
          lost: (e) => io.stderr(`switchyard run: ${host} is no longer routed: ${e.message}\n`),
        });
        const readiness = await waitUntilRouteAnswers({ host, bindings, rootFile, exited });
        if (readiness.state === "refused")
          io.stderr(hostCheckAdvice(host, urlFor(host, bindings, standardPortsOn), readiness.refusal));
        else io.stdout(`${urlFor(host, bindings, standardPortsOn)} -> ${command[0]} on port ${port}\n`);
        const webpackAdvice = webpackSocketAdvice(labelForCommand(commandLineOf(served)), host);
        if (webpackAdvice) io.stderr(`note: ${webpackAdvice}\n`);
        if (!needsNoHostsEntry(host))
          io.stderr(`note: clients that do not resolve ${host} need a hosts entry: switchyard hosts add ${host}\n`);
      }
      const end = await exited;
      if (end.error) {
        io.stderr(`switchyard run: cannot start ${command[0]}: ${end.error.message}\n`);
        return 127;
      }
      if (port === undefined)
        io.stderr(
          `switchyard run: ${command[0]} exited (${end.signal ?? `code ${end.code}`}) before it listened on a port\n`,
        );
      if (end.signal) return signalStatus(end.signal);
      return end.code ?? 1;
    } finally {
      await kept?.release();
      await started?.dispose();
      lease?.client.close();
      await lease?.own?.stop();
    }
  },
};
