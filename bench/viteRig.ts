/**
 * One Vite dev server and the ways a browser reaches it, for the page-load and hot-update rows:
 * direct (http://127.0.0.1:PORT, HTTP/1.1), through Switchyard (https://app.test:PORT, h2), and
 * through nginx and Caddy as TLS reverse proxies (h2, the same CA and key type, WebSocket
 * forwarding on). Every process is in the caller's ProcessGroup; every address is loopback.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeBenchCertificate, type BenchCertificate } from "./certificates";
import * as peers from "./peers";
import type { ProcessGroup } from "./processes";
import { startVite, type ViteApp } from "./viteApp";

/** The name every TLS setup serves. */
export const APP_NAME = "app.test";

/** One way to reach the app. */
export interface Setup {
  label: string;
  url: string;
  /** Process group of what answers the browser (the proxy; for direct, Vite itself), for CPU accounting. */
  pgid: number | undefined;
  /** Vite's process group: its CPU per load is the same work behind every setup. */
  vitePgid: number | undefined;
}

/** The running rig. */
export interface ViteRig {
  setups: Setup[];
  cert: BenchCertificate;
  /** Why a setup is missing (a peer that could not start). */
  notes: string[];
}

/** Which peers to put in front of Vite besides direct and Switchyard. */
export interface RigOptions {
  nginx?: boolean;
  caddy?: boolean;
}

/** Starts Vite in `app.dir` and the chosen proxies in front of it. */
export async function startViteRig(
  group: ProcessGroup,
  repoRoot: string,
  tmp: string,
  app: ViteApp,
  options: RigOptions = { nginx: true, caddy: true },
): Promise<ViteRig> {
  const notes: string[] = [];
  // The CA in a folder of its own: serve watches its CA folder's parent (caWatch.ts), and the run's
  // temp dir gets every process's log lines, which would wake the proxy per line.
  const certDir = join(tmp, "certificates");
  mkdirSync(certDir, { recursive: true });
  const cert = await makeBenchCertificate(repoRoot, certDir, APP_NAME);
  const vite = await startVite(group, repoRoot, app);
  const hostsFile = join(tmp, "hosts");
  writeFileSync(hostsFile, `127.0.0.1 localhost\n127.0.0.1 ${APP_NAME}\n`);
  const ctx = peers.peerContext({
    run: { group, tmp },
    repoRoot,
    name: APP_NAME,
    upstreamPort: vite.port,
    cert,
    hostsFile,
  });
  const vitePgid = vite.process.child.pid;
  const setups: Setup[] = [
    { label: "direct http://127.0.0.1 (HTTP/1.1)", url: `http://127.0.0.1:${vite.port}/`, pgid: vitePgid, vitePgid },
  ];
  const sy = await peers.startSwitchyard(ctx);
  setups.push({
    label: "switchyard (h2)",
    url: `https://${APP_NAME}:${sy.port}/`,
    pgid: sy.process.child.pid,
    vitePgid,
  });
  const optional: [boolean | undefined, string, () => Promise<peers.RunningPeer>][] = [
    [options.nginx, "nginx (h2)", () => peers.startNginx(ctx, { websocket: true })],
    [options.caddy, "caddy (h2)", () => peers.startCaddy(ctx)],
  ];
  for (const [wanted, label, start] of optional) {
    if (!wanted) continue;
    try {
      const peer = await start();
      setups.push({ label, url: `https://${APP_NAME}:${peer.port}/`, pgid: peer.process.child.pid, vitePgid });
    } catch (e) {
      notes.push(`${label} unavailable: ${(e as Error).message}`);
    }
  }
  return { setups, cert, notes };
}
