/**
 * The proxies the bench compares, each started the same way: listening on 127.0.0.1 only, serving
 * `ctx.name` with the same certificate files (leaf + intermediate from the project's CA; Switchyard
 * issues its own leaf from that same CA, same key type), forwarding to the same upstream with
 * X-Forwarded-* headers and a keep-alive upstream connection where the peer supports one.
 * Every config, state and home directory lives in the run's temp dir; no peer may touch the
 * machine's trust stores or /etc/hosts (portless, which would, runs in a private mount namespace
 * over temp copies).
 */
import { cpSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BenchCertificate } from "./certificates";
import { freePort, waitForPort, type BenchRun, type ProcessGroup, type StartedProcess } from "./processes";

/** What every peer needs to know about the run. */
export interface PeerContext {
  group: ProcessGroup;
  /** The run's temp dir; each peer makes a subdirectory. */
  tmp: string;
  repoRoot: string;
  /** Where `npm install --prefix` put local-ssl-proxy and portless. */
  peersDir: string;
  /** The name clients use, e.g. my-awesome-service.test. */
  name: string;
  upstreamPort: number;
  /** Leaf + intermediate, PEM. */
  certPath: string;
  keyPath: string;
  caDir: string;
  /** A hosts file mapping `name` to 127.0.0.1, for bind mounts. */
  hostsFile: string;
}

/** What {@link peerContext} makes a context of. */
export interface PeerContextParts {
  run: BenchRun;
  repoRoot: string;
  name: string;
  upstreamPort: number;
  cert: BenchCertificate;
  hostsFile: string;
}

/** The context every peer of one run shares: its temp dir and group, one name, one upstream, one certificate. */
export function peerContext(parts: PeerContextParts): PeerContext {
  return {
    group: parts.run.group,
    tmp: parts.run.tmp,
    repoRoot: parts.repoRoot,
    peersDir: join(parts.repoRoot, ".bench", "peers"),
    name: parts.name,
    upstreamPort: parts.upstreamPort,
    certPath: parts.cert.certPath,
    keyPath: parts.cert.keyPath,
    caDir: parts.cert.caDir,
    hostsFile: parts.hostsFile,
  };
}

/** The bench upstream (bench/upstream.ts) in its own process, once it listens on a free loopback port. */
export async function startBenchUpstream(
  group: ProcessGroup,
  repoRoot: string,
): Promise<{ port: number; process: StartedProcess }> {
  const port = await freePort();
  const args = ["--import", "tsx", "bench/upstream.ts", String(port)];
  const p = group.start("upstream", process.execPath, args, { cwd: repoRoot });
  await waitForPort(port, p);
  return { port, process: p };
}

/** A peer that is up and listening. */
export interface RunningPeer {
  label: string;
  port: number;
  process: StartedProcess;
}

/** The preload that keeps the npm peers on 127.0.0.1. */
function forceLoopback(ctx: PeerContext): string {
  return join(ctx.repoRoot, "bench", "force-loopback.cjs");
}

/** `switchyard serve` from the working tree (tsx), with one route to the upstream. */
export async function startSwitchyard(
  ctx: PeerContext,
  caDir = ctx.caDir,
  label = "switchyard",
  settings?: Record<string, unknown>,
): Promise<RunningPeer> {
  const port = await freePort();
  const args = ["--import", "tsx", "extension/cli.ts", "serve", "--listen", `127.0.0.1:${port}`, "--ca-dir", caDir];
  if (settings) {
    // Settings other than routes and listen go in a --config file (as a user's settings.json).
    const file = join(ctx.tmp, `${label.replace(/\W+/g, "-")}-settings.json`);
    writeFileSync(file, JSON.stringify(settings));
    args.push("--config", file);
  }
  args.push("--route", `${ctx.name}=http://127.0.0.1:${ctx.upstreamPort}`);
  const p = ctx.group.start(label, process.execPath, args, { cwd: ctx.repoRoot });
  await waitForPort(port, p, 30_000);
  return { label, port, process: p };
}

/** Caddy from Debian: reverse_proxy with the shared cert files, admin API off, never installing trust. */
export async function startCaddy(ctx: PeerContext): Promise<RunningPeer> {
  const dir = join(ctx.tmp, "caddy");
  mkdirSync(join(dir, "data"), { recursive: true });
  const [port, httpPort] = [await freePort(), await freePort()];
  const caddyfile = join(dir, "Caddyfile");
  writeFileSync(
    caddyfile,
    `{
	admin off
	skip_install_trust
	auto_https disable_redirects
	http_port ${httpPort}
	https_port ${port}
	storage file_system ${join(dir, "data")}
}
https://${ctx.name}:${port} {
	bind 127.0.0.1
	tls ${ctx.certPath} ${ctx.keyPath}
	reverse_proxy 127.0.0.1:${ctx.upstreamPort}
}
`,
  );
  const env = { ...process.env, HOME: dir, XDG_DATA_HOME: join(dir, "data"), XDG_CONFIG_HOME: join(dir, "config") };
  const p = ctx.group.start("caddy", "caddy", ["run", "--config", caddyfile, "--adapter", "caddyfile"], { env });
  await waitForPort(port, p);
  return { label: "caddy", port, process: p };
}

/**
 * nginx from Debian: a temp prefix and config, keep-alive upstream pool, forwarding headers.
 * `websocket` forwards Upgrade requests too (what a dev server's hot-update socket needs).
 */
export async function startNginx(ctx: PeerContext, options: { websocket?: boolean } = {}): Promise<RunningPeer> {
  const dir = join(ctx.tmp, "nginx");
  mkdirSync(join(dir, "logs"), { recursive: true });
  const port = await freePort();
  const conf = join(dir, "nginx.conf");
  writeFileSync(
    conf,
    `# Debian's defaults where they matter: one worker per core, proxy buffering on.
user root;
worker_processes auto;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream app { server 127.0.0.1:${ctx.upstreamPort}; keepalive 64; }
  ${options.websocket ? "map $http_upgrade $connection_upgrade { default upgrade; '' ''; }" : ""}
  server {
    listen 127.0.0.1:${port} ssl http2;
    server_name ${ctx.name};
    # Debian's nginx 1.22 defaults to TLS 1.0-1.2; every other peer negotiates TLS 1.3, so nginx
    # does too (nginx's own default since 1.23.4): the handshake rates compare the same protocol.
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_certificate ${ctx.certPath};
    ssl_certificate_key ${ctx.keyPath};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      ${options.websocket ? "proxy_set_header Upgrade $http_upgrade;\n      proxy_set_header Connection $connection_upgrade;" : 'proxy_set_header Connection "";'}
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $host;
    }
  }
}
`,
  );
  const p = ctx.group.start("nginx", "nginx", ["-p", dir, "-c", conf, "-e", join(dir, "logs", "error.log")]);
  await waitForPort(port, p);
  return { label: "nginx", port, process: p };
}

/** Node's bare tls.Server with the same certificate, answering itself (bench/nodeTlsFloor.ts): a reference row. */
export async function startNodeTlsFloor(ctx: PeerContext): Promise<RunningPeer> {
  const port = await freePort();
  const args = ["--import", "tsx", "bench/nodeTlsFloor.ts", String(port), ctx.certPath, ctx.keyPath];
  const p = ctx.group.start("node-tls-floor", process.execPath, args, { cwd: ctx.repoRoot });
  await waitForPort(port, p);
  return { label: "node TLS floor (no proxy)", port, process: p };
}

/** local-ssl-proxy (npm): http-proxy over https.createServer, bound to loopback by a preload. */
export async function startLocalSslProxy(ctx: PeerContext): Promise<RunningPeer> {
  const port = await freePort();
  const main = join(ctx.peersDir, "node_modules", "local-ssl-proxy", "build", "main.js");
  const args = ["--require", forceLoopback(ctx), main, "--source", String(port), "--target", String(ctx.upstreamPort)];
  args.push("--hostname", "127.0.0.1", "--cert", ctx.certPath, "--key", ctx.keyPath);
  const p = ctx.group.start("local-ssl-proxy", process.execPath, args);
  await waitForPort(port, p);
  return { label: "local-ssl-proxy", port, process: p };
}

/**
 * portless (npm) with the shared cert, TLD .test and one alias to the upstream. It runs as root and
 * would write /etc/hosts and the system trust store, so the whole thing runs in a private mount
 * namespace where those paths are bind mounts of temp copies, with HOME and its state dir in temp.
 */
export async function startPortless(ctx: PeerContext): Promise<RunningPeer> {
  const dir = join(ctx.tmp, "portless");
  const [certs, shareCerts, state] = [join(dir, "etc-ssl-certs"), join(dir, "local-ca-certs"), join(dir, "state")];
  mkdirSync(state, { recursive: true });
  cpSync("/etc/ssl/certs", certs, { recursive: true, verbatimSymlinks: true });
  cpSync("/usr/local/share/ca-certificates", shareCerts, { recursive: true, verbatimSymlinks: true });
  const hosts = join(dir, "hosts");
  cpSync(ctx.hostsFile, hosts);
  const port = await freePort();
  const cli = join(ctx.peersDir, "node_modules", "portless", "dist", "cli.js");
  const alias = ctx.name.replace(/\.test$/, "");
  // The proxy in the background, the alias once it listens (bounded wait), then wait on the proxy.
  const script = [
    "set -e",
    `mount --bind "${hosts}" /etc/hosts`,
    `mount --bind "${certs}" /etc/ssl/certs`,
    `mount --bind "${shareCerts}" /usr/local/share/ca-certificates`,
    `"${process.execPath}" "${cli}" proxy start -p ${port} --foreground --skip-trust --cert "${ctx.certPath}" --key "${ctx.keyPath}" --tld test &`,
    "PROXY=$!",
    `i=0; while ! (exec 3<>/dev/tcp/127.0.0.1/${port}) 2>/dev/null; do i=$((i+1)); [ $i -lt 100 ] || exit 3; sleep 0.1; done`,
    `"${process.execPath}" "${cli}" alias ${alias} ${ctx.upstreamPort}`,
    `touch "${dir}/ready"`,
    "wait $PROXY",
  ].join("\n");
  const env = {
    ...process.env,
    HOME: dir,
    PORTLESS_STATE_DIR: state,
    PORTLESS_SYNC_HOSTS: "0",
    NODE_OPTIONS: `--require ${forceLoopback(ctx)}`,
  };
  const p = ctx.group.start("portless", "unshare", ["--mount", "--propagation", "private", "bash", "-c", script], {
    env,
  });
  await waitForPort(port, p, 20_000);
  await waitForFile(join(dir, "ready"), p);
  return { label: "portless", port, process: p };
}

async function waitForFile(path: string, p: StartedProcess, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > deadline || p.child.exitCode !== null) throw new Error(`${p.name}: alias not registered`);
    await new Promise((r) => setTimeout(r, 100));
  }
  // portless reloads routes on a debounced file watch.
  await new Promise((r) => setTimeout(r, 500));
}
