/**
 * `switchyard run NAME -- COMMAND...`: starts a dev server with a port and the variables it needs,
 * finds the port its process tree really listens on, routes https://NAME to it through the running
 * proxy (or a proxy of its own when none runs), and takes the route away when the command ends.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { homedir, userInfo } from "node:os";
import { join } from "node:path";
import { LocalCa, resolveCaDir } from "../core/ca/index";
import { CA_FILES } from "../core/ca/paths";
import { ControlClient, NoProxyRunningError } from "../core/control/controlClient";
import { serveControl } from "../core/control/dynamicRoutes";
import type { ControlBinding } from "../core/control/protocol";
import { controlSocketPath, ensurePrivateDir, stateDirFor } from "../core/control/stateDir";
import { appHostFor, devServerEnv, needsNoHostsEntry } from "../core/devservers/devServerEnv";
import { waitForListeningPort } from "../core/devservers/waitForListening";
import { freePort } from "../core/devservers/freePort";
import { waitUntilRouteAnswers } from "../core/devservers/routeReady";
import { WorkerProxy } from "../core/proxy/workerProxy";
import { loadSettings, parseCommandArgs, UsageError, type CliCommand } from "./command";

const HELP = `Usage:
  switchyard run NAME [--listen SPEC]... [--config FILE] [--ca-dir DIR] -- COMMAND [ARGS...]

Runs COMMAND (your dev server) and serves it at https://NAME.localhost (or at NAME as written when
it has a dot, e.g. my-app.test) through the Switchyard proxy, with a trusted certificate.

COMMAND gets PORT (a free port), NODE_EXTRA_CA_CERTS (the Switchyard root) and the variables that
let Vite accept the name. Whatever port the command's processes actually listen on is the one used.
When a proxy is running (switchyard serve, or VS Code), the route is added to it; otherwise run
starts one with your configured listen address (default localhost:8443). The route goes away when
COMMAND exits; run exits with COMMAND's exit code.

Options:
  --listen SPEC    where a proxy started by run listens (default localhost:8443)
  --config FILE    settings (a JSON object of switchyard.* keys)
  --ca-dir DIR     CA directory (else $SWITCHYARD_CAROOT, else the per-user default)
`;

/** Exit status for a command that ended by a signal, as shells report it. */
const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15, SIGKILL: 9 };

/** NODE_EXTRA_CA_CERTS holds one file: a user's own extra roots are kept beside ours in a combined file. */
function nodeExtraCaFile(rootFile: string, env: NodeJS.ProcessEnv, stateDir: string): string {
  const existing = env.NODE_EXTRA_CA_CERTS;
  if (!existing || existing === rootFile || !existsSync(existing)) return rootFile;
  const combined = `${readFileSync(existing, "utf8").trimEnd()}\n${readFileSync(rootFile, "utf8")}`;
  const file = join(stateDir, `node-extra-ca-${createHash("sha256").update(combined).digest("hex").slice(0, 16)}.pem`);
  if (!existsSync(file)) writeFileSync(file, combined, { mode: 0o600 });
  return file;
}

function urlFor(host: string, bindings: readonly ControlBinding[]): string {
  const port = bindings[0]?.port;
  return port === undefined || port === 443 ? `https://${host}/` : `https://${host}:${port}/`;
}

export const runCommand: CliCommand = {
  name: "run",
  summary: "run a dev server at a trusted https://NAME.localhost",
  help: HELP,
  async run(argv, io) {
    const dashes = argv.indexOf("--");
    const own = dashes < 0 ? argv : argv.slice(0, dashes);
    const command = dashes < 0 ? [] : argv.slice(dashes + 1);
    const { values, positionals } = parseCommandArgs("run", own, {
      listen: { type: "string", multiple: true },
      config: { type: "string" },
      "ca-dir": { type: "string" },
    });
    if (positionals.length !== 1) throw new UsageError("give one NAME, e.g. switchyard run shop -- npm run dev", "run");
    if (command.length === 0)
      throw new UsageError("give the dev server's command after --, e.g. -- npm run dev", "run");
    let host: string;
    try {
      host = appHostFor(positionals[0] as string);
    } catch (e) {
      throw new UsageError((e as Error).message, "run");
    }
    const settings = loadSettings(values.config, io);
    if (values.listen?.length) settings.proxy.listen = values.listen;
    const home = io.env.HOME || homedir();
    const stateDir = stateDirFor(io.env, home);
    ensurePrivateDir(stateDir);
    const socketPath = controlSocketPath(stateDir, process.platform, userInfo().username);
    const caDir = resolveCaDir({ explicit: values["ca-dir"] ?? settings.ca.directory, env: io.env, home });

    // A running proxy (serve, VS Code) takes the route; else this process runs one until COMMAND ends.
    let client: ControlClient | undefined;
    let ownProxy: { stop(): Promise<void> } | undefined;
    try {
      client = await ControlClient.connect(socketPath);
    } catch (e) {
      if (!(e instanceof NoProxyRunningError)) throw e;
    }
    if (!client) {
      const { ca } = await LocalCa.openOrCreate({
        dir: caDir,
        keyType: settings.ca.keyType,
        permittedNames: settings.ca.permittedNames,
        permittedIpRanges: settings.ca.permittedIpRanges,
        unconstrained: settings.ca.unconstrained,
        keepRootKey: settings.ca.keepRootKey,
      });
      const proxy = new WorkerProxy({ settings, ca: { dir: ca.material.dir, keyType: settings.ca.keyType } });
      const bindings = await proxy.start();
      for (const b of bindings.filter((x) => x.state === "failed"))
        io.stderr(`switchyard run: cannot listen on ${b.spec}: ${b.reason ?? "unknown error"}\n`);
      if (!bindings.some((b) => b.state === "listening")) {
        await proxy.stop();
        throw new Error("the proxy could not listen anywhere (see above); pick another address with --listen");
      }
      const control = await serveControl({ socketPath, proxy, settings: () => settings, bindings: () => bindings });
      ownProxy = {
        async stop() {
          await control.close();
          await proxy.stop();
        },
      };
      client = await ControlClient.connect(socketPath);
    }
    const rootFile = join(caDir, CA_FILES.root);
    const hello = await client.request({ op: "hello" });
    const bindings = hello.ok ? (hello.bindings ?? []) : [];

    const givenPort = await freePort();
    const child: ChildProcess = spawn(command[0] as string, command.slice(1), {
      stdio: "inherit",
      env: {
        ...io.env,
        ...devServerEnv({
          host,
          port: givenPort,
          rootPemFile: existsSync(rootFile) ? nodeExtraCaFile(rootFile, io.env, stateDir) : undefined,
        }),
      },
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
      child.once("exit", (code, signal) => resolve({ code, signal }));
      child.once("error", (error) => resolve({ code: 127, signal: null, error }));
    });
    const forward = (): void => {
      const reason = io.signal.reason;
      child.kill(typeof reason === "string" && reason.startsWith("SIG") ? (reason as NodeJS.Signals) : "SIGTERM");
    };
    io.signal.addEventListener("abort", forward, { once: true });

    try {
      const port = await waitForListeningPort({
        pid: child.pid ?? 0,
        givenPort,
        exited,
        onSlow: () =>
          io.stderr(
            `switchyard run: still waiting for ${command[0]} to listen on a port (it was given PORT=${givenPort})\n`,
          ),
      });
      if (port !== undefined) {
        const added = await client.request({
          op: "add",
          route: {
            host,
            upstream: `http://localhost:${port}`,
            source: "run",
            owner: { pid: child.pid ?? process.pid, command: command.join(" ") },
          },
        });
        if (!added.ok) {
          io.stderr(`switchyard run: ${added.error}\n`);
          child.kill("SIGTERM");
          await exited;
          return 1;
        }
        const url = urlFor(host, bindings);
        await waitUntilRouteAnswers({ host, bindings, rootFile, exited });
        io.stdout(`${command[0]} is at ${url} (upstream http://localhost:${port})\n`);
        if (!needsNoHostsEntry(host))
          io.stderr(
            `note: ${host} needs a hosts entry for clients that do not already resolve it: switchyard hosts add ${host}\n`,
          );
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
      if (end.signal) return 128 + (SIGNAL_NUMBERS[end.signal] ?? 0);
      return end.code ?? 1;
    } finally {
      io.signal.removeEventListener("abort", forward);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      client.close();
      await ownProxy?.stop();
    }
  },
};
