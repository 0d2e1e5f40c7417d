/**
 * The one certificate every TLS peer serves: a leaf for the bench name issued by the project's
 * own CA (`switchyard ca create` + `ca issue`, ECDSA P-256, leaf + intermediate in one PEM). If
 * the CA CLI fails, openssl makes an equivalent root and P-256 leaf, and the bench says so.
 */
import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The files a peer and a client need. */
export interface BenchCertificate {
  caDir: string;
  /** The root a client passes to --cacert. */
  rootPath: string;
  certPath: string;
  keyPath: string;
  issuer: "switchyard ca" | "openssl";
}

/** Creates a CA in `<dir>/ca` and a leaf for `name` in `<dir>/cert`. */
export async function makeBenchCertificate(repoRoot: string, dir: string, name: string): Promise<BenchCertificate> {
  const caDir = join(dir, "ca");
  const out = join(dir, "cert");
  mkdirSync(out, { recursive: true });
  try {
    const cli = ["--import", "tsx", "extension/cli.ts", "ca"];
    await run(process.execPath, [...cli, "create", "--ca-dir", caDir], repoRoot);
    await run(process.execPath, [...cli, "issue", name, "--out", out, "--ca-dir", caDir], repoRoot);
    return {
      caDir,
      rootPath: join(caDir, "root.pem"),
      certPath: join(out, `${name}.pem`),
      keyPath: join(out, `${name}-key.pem`),
      issuer: "switchyard ca",
    };
  } catch {
    return opensslCertificate(out, name);
  }
}

async function opensslCertificate(out: string, name: string): Promise<BenchCertificate> {
  const f = (n: string): string => join(out, n);
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  await run(
    "openssl",
    [
      "req",
      "-x509",
      ...ec,
      "-keyout",
      f("root-key.pem"),
      "-out",
      f("root.pem"),
      "-days",
      "2",
      "-subj",
      "/CN=bench root",
    ],
    out,
  );
  await run(
    "openssl",
    ["req", ...ec, "-keyout", f("leaf-key.pem"), "-out", f("leaf.csr"), "-subj", `/CN=${name}`],
    out,
  );
  writeFileSync(f("ext.cnf"), `subjectAltName=DNS:${name}\nextendedKeyUsage=serverAuth\n`);
  await run(
    "openssl",
    [
      "x509",
      "-req",
      "-in",
      f("leaf.csr"),
      "-CA",
      f("root.pem"),
      "-CAkey",
      f("root-key.pem"),
      "-CAcreateserial",
      "-days",
      "2",
      "-extfile",
      f("ext.cnf"),
      "-out",
      f("leaf.pem"),
    ],
    out,
  );
  return {
    caDir: join(out, "..", "ca"),
    rootPath: f("root.pem"),
    certPath: f("leaf.pem"),
    keyPath: f("leaf-key.pem"),
    issuer: "openssl",
  };
}

function run(command: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, timeout: 60_000, killSignal: "SIGKILL" }, (err, _stdout, stderr) => {
      if (err)
        reject(new Error(`${command} ${args.slice(0, 5).join(" ")} failed: ${String(stderr).trim().slice(0, 300)}`));
      else resolve();
    });
  });
}
