/**
 * Benchmark of the local CA (not a test): leaf issuance fresh and cached, RSA vs its key generation,
 * the mkcert binary and the openssl CLI for comparison, and the cost of loading the CA module.
 * Run: node --import tsx bench/ca.ts   (bench/run.mjs can call runCaBench()).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { createCa, LocalCa } from "../extension/core/ca/index";

/** One line of the report. */
export interface BenchRow {
  name: string;
  value: number;
  unit: "ms" | "x";
  note?: string;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

async function timeAsync(n: number, f: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await f(i);
    out.push(performance.now() - t);
  }
  return out;
}

function timeProcess(n: number, file: string, args: string[], env?: NodeJS.ProcessEnv, cwd?: string): number {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const r = spawnSync(file, args, { env: env ?? process.env, cwd, stdio: "ignore" });
    out.push(performance.now() - t);
    if (r.status !== 0) throw new Error(`${file} ${args.join(" ")} failed (${r.status})`);
  }
  return median(out);
}

async function importTime(tmp: string, forgeExternal: boolean): Promise<number> {
  const esbuild = await import("esbuild");
  const bundle = join(tmp, forgeExternal ? "ca-bundle-ext.cjs" : "ca-bundle.cjs");
  await esbuild.build({
    entryPoints: [resolve(__dirname, "../extension/core/ca/index.ts")],
    bundle: true,
    platform: "node",
    format: "cjs",
    outfile: bundle,
    logLevel: "silent",
    external: forgeExternal ? ["node-forge", "node-forge/*"] : [],
  });
  const probe =
    `const t=performance.now();require(${JSON.stringify(bundle)});const d=performance.now()-t;` +
    `process.stdout.write(String(d))`;
  const runs = Array.from({ length: 7 }, () => Number(execFileSync(process.execPath, ["-e", probe]).toString()));
  return median(runs);
}

/** Runs every measurement and returns the rows (also printed by the CLI entry below). */
export async function runCaBench(): Promise<BenchRow[]> {
  const tmp = mkdtempSync(join(tmpdir(), "switchyard-bench-"));
  try {
    const dir = join(tmp, "ca");
    await createCa({ dir });
    const ca = await LocalCa.open({ dir, diskCache: false });
    await ca.secureContextFor("warmup.test");
    const fresh = median(await timeAsync(200, (i) => ca.secureContextFor(`fresh-${i}.bench.test`)));
    const cached = median(await timeAsync(2000, () => ca.secureContextFor("fresh-1.bench.test")));
    const rsaLeaf = median(await timeAsync(15, (i) => ca.issue([`rsa-${i}.bench.test`], { keyType: "rsa" })));
    const rsaKeys: number[] = [];
    for (let i = 0; i < 15; i++) {
      const t = performance.now();
      generateKeyPairSync("rsa", { modulusLength: 2048 });
      rsaKeys.push(performance.now() - t);
    }
    const rsaKey = median(rsaKeys);
    const diskCa = await LocalCa.open({ dir });
    const freshDisk = median(await timeAsync(100, (i) => diskCa.secureContextFor(`disk-${i}.bench.test`)));

    const rows: BenchRow[] = [
      {
        name: "fresh ECDSA leaf (key + cert + secure context), memory cache",
        value: fresh,
        unit: "ms",
        note: "target < 3",
      },
      { name: "fresh ECDSA leaf incl. on-disk cache write", value: freshDisk, unit: "ms" },
      { name: "cached leaf secure context", value: cached, unit: "ms", note: "target < 1" },
      { name: "RSA-2048 leaf", value: rsaLeaf, unit: "ms" },
      { name: "RSA-2048 key generation alone", value: rsaKey, unit: "ms" },
      {
        name: "RSA leaf minus its key generation",
        value: rsaLeaf - rsaKey,
        unit: "ms",
        note: "target < 2 (noisy: RSA keygen varies)",
      },
    ];

    const mkcertHome = join(tmp, "mkcert-home");
    const mkcertEnv = { ...process.env, CAROOT: join(tmp, "mkcert-ca"), HOME: mkcertHome, TRUST_STORES: "none" };
    const work = join(tmp, "work");
    execFileSync("mkdir", ["-p", mkcertHome, work]);
    if (
      spawnSync("/usr/bin/mkcert", ["-ecdsa", "seed.test"], { env: mkcertEnv, cwd: work, stdio: "ignore" }).status === 0
    ) {
      const mk = timeProcess(10, "/usr/bin/mkcert", ["-ecdsa", "bench.test"], mkcertEnv, work);
      rows.push({ name: "mkcert -ecdsa, one leaf (whole process)", value: mk, unit: "ms" });
      rows.push({
        name: "ratio mkcert -ecdsa / Switchyard fresh ECDSA leaf",
        value: mk / fresh,
        unit: "x",
        note: "target >= 5",
      });
    } else rows.push({ name: "mkcert -ecdsa", value: NaN, unit: "ms", note: "mkcert not available" });

    const o = (f: string): string => join(tmp, f);
    const req = timeProcess(10, "openssl", [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-subj",
      "/CN=bench.test",
      "-days",
      "30",
      "-keyout",
      o("k.pem"),
      "-out",
      o("c.pem"),
    ]);
    execFileSync("openssl", ["req", "-new", "-key", o("k.pem"), "-subj", "/CN=bench.test", "-out", o("r.csr")]);
    const sign = timeProcess(10, "openssl", [
      "x509",
      "-req",
      "-in",
      o("r.csr"),
      "-CA",
      join(dir, "intermediate.pem"),
      "-CAkey",
      join(dir, "intermediate-key.pem"),
      "-days",
      "30",
      "-out",
      o("l.pem"),
    ]);
    rows.push({ name: "openssl req -x509 (self-signed EC key+cert)", value: req, unit: "ms" });
    rows.push({ name: "openssl x509 -req (sign a CSR)", value: sign, unit: "ms" });
    rows.push({ name: "ratio openssl x509 -req / Switchyard fresh ECDSA leaf", value: sign / fresh, unit: "x" });
    rows.push({
      name: "require() of the CA module, node-forge in a separate chunk",
      value: await importTime(tmp, true),
      unit: "ms",
      note: "target < 20; forge is required only on first issuance",
    });
    rows.push({
      name: "require() of the CA module with node-forge inlined",
      value: await importTime(tmp, false),
      unit: "ms",
    });
    return rows;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (require.main === module) {
  void runCaBench().then((rows) => {
    for (const r of rows) {
      const v = r.unit === "x" ? `${r.value.toFixed(1)}x` : `${r.value.toFixed(3)} ms`;
      process.stdout.write(`${r.name.padEnd(62)} ${v.padStart(12)}${r.note ? `  (${r.note})` : ""}\n`);
    }
  });
}
