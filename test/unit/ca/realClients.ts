/**
 * Test support: temp dirs, required tools (fail under CI=true, skip with a reason otherwise), a
 * loopback TLS server, and the real clients (curl, openssl, headless Chromium with a temp NSS db).
 */
import CHROMIUM_FLAGS from "../../harness/chromium-flags.json";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import type { SecureContext } from "node:tls";
import { needTools } from "../requirements";

const tempDirs: string[] = [];
process.on("exit", () => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** A temp directory removed when the process exits. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `switchyard-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

/** True when `tool` is on PATH; otherwise fails the test under CI=true, else skips it saying why. */
export function haveTool(t: TestContext, tool: string): boolean {
  return needTools(t, tool);
}

/** The result of running a program. */
export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program with an argv array (and optional stdin) and never throws. */
export function run(
  file: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
): Promise<Ran> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { env: options.env ?? process.env, timeout: options.timeoutMs ?? 30_000, maxBuffer: 32 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    // A program that exits without reading its input (openssl verify) closes the pipe first: EPIPE
    // on our write is expected then, and its exit code is what the caller asserts on.
    child.stdin?.on("error", () => {});
    child.stdin?.end(options.input ?? "");
  });
}

/** The page body every test server returns, so a client that got through can be told apart from an error page. */
export const MARKER = "switchyard-tls-ok";

/** An HTTPS server on 127.0.0.1 (port chosen by the OS) serving `chainPem`/`keyPem`. */
export async function startTlsServer(
  chainPem: string,
  keyPem: string,
  sniContext?: (name: string) => Promise<SecureContext>,
): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const SNICallback = sniContext
    ? (name: string, cb: (err: Error | null, ctx?: SecureContext) => void) =>
        void sniContext(name).then((c) => cb(null, c), cb)
    : undefined;
  const server = createServer({ cert: chainPem, key: keyPem, SNICallback }, (_req, res) => {
    res.setHeader("content-type", "text/html");
    res.end(`<html><body><p>${MARKER}</p></body></html>`);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A temp HOME whose ~/.pki/nssdb is a fresh empty NSS database (what Chromium on Linux reads). */
export async function tempNssHome(): Promise<string> {
  const home = tempDir("home");
  const db = join(home, ".pki", "nssdb");
  mkdirSync(db, { recursive: true });
  const created = await run("certutil", ["-N", "-d", `sql:${db}`, "--empty-password"]);
  if (created.code !== 0) throw new Error(`certutil -N failed: ${created.stderr}`);
  return home;
}

/** Loads `url` in headless Chromium with HOME=`home`; resolves to the dumped DOM (or the error output). */
export async function chromiumDumpDom(home: string, url: string, mapHost?: string): Promise<Ran> {
  const profile = tempDir("chromium-profile");
  const args = [
    "--headless",
    ...CHROMIUM_FLAGS,
    `--user-data-dir=${profile}`,
    ...(mapHost ? [`--host-resolver-rules=MAP ${mapHost} 127.0.0.1`] : []),
    "--dump-dom",
    url,
  ];
  return run("/usr/bin/chromium", args, { env: { ...process.env, HOME: home }, timeoutMs: 60_000 });
}

/** Writes `content` to a file in `dir` and returns its path. */
export function writeTemp(dir: string, name: string, content: string | Buffer): string {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}
