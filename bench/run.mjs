// `npm run bench`: installs what the benches need (idempotently, outside the tracked tree), runs
// every area in its own process (CA, hosts, proxy), prints one table per area, a summary, and
// writes everything to .bench/results.json. One area failing is reported and the others still run.
// `npm run bench -- pageload hmr` runs only the areas named (to iterate on one without the rest).
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const benchDir = join(root, ".bench");
const peersDir = join(benchDir, "peers");
const MARKER = "@@SWITCHYARD_BENCH_RESULT ";
const AREAS = [
  { name: "ca", title: "CA: leaf issuance (bench/ca.ts)", timeoutMs: 240_000 },
  { name: "hosts", title: "Hosts file: apply one mapping (bench/hosts.ts)", timeoutMs: 240_000 },
  { name: "proxy", title: "Proxy (bench/proxy.ts)", timeoutMs: 420_000 },
  { name: "run", title: "switchyard run: what a dev server's route adds (bench/devServer.ts)", timeoutMs: 240_000 },
  { name: "firstvisit", title: "First request to a never-seen name (bench/firstVisit.ts)", timeoutMs: 240_000 },
  { name: "pageload", title: "Page load of a Vite app in Chromium (bench/pageLoad.ts)", timeoutMs: 1_200_000 },
  { name: "hmr", title: "Hot update in Chromium through Vite's HMR (bench/hmr.ts)", timeoutMs: 300_000 },
  {
    name: "vscode",
    title: "Cost inside VS Code: activation, memory, proxy worker (bench/vscodeCost.ts)",
    timeoutMs: 900_000,
  },
];

/** Tools the proxy bench drives, and the Debian packages that provide them. */
const APT_TOOLS = [
  { command: "wrk", packages: ["wrk"] },
  { command: "nginx", packages: ["nginx-light", "nginx"] },
  { command: "caddy", packages: ["caddy"] },
  { command: "mkcert", packages: ["mkcert"] },
];
const NPM_PEERS = ["local-ssl-proxy", "portless"];

const selected = selectAreas(process.argv.slice(2));

const children = new Set();
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    // SIGTERM first: an area ends the peers it started (each in a process group of its own, which
    // a SIGKILL of the area's group would leave running), then whatever is left is killed.
    for (const child of children) signalGroup(child, "SIGTERM");
    setTimeout(() => {
      for (const child of children) signalGroup(child, "SIGKILL");
      process.exit(130);
    }, 2000);
  });
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});

async function main() {
  mkdirSync(benchDir, { recursive: true });
  const started = new Date();
  // Only the proxy area drives the npm peers (local-ssl-proxy, portless).
  const setup = { apt: installAptTools(), npm: selected.some((a) => a.name === "proxy") ? installNpmPeers() : [] };
  for (const line of [...setup.apt, ...setup.npm]) console.log(`setup: ${line}`);
  const machine = { cpus: cpus().length, node: process.version, loadAverageAtStart: loadavg().map(round2) };
  console.log(
    `machine: ${machine.cpus} CPUs, Node ${machine.node}, load average ${machine.loadAverageAtStart.join(" ")}`,
  );

  const results = {};
  for (const area of selected) {
    console.log(`\n### ${area.title}: running…`);
    const t0 = performance.now();
    const loadBefore = loadavg()[0];
    const outcome = await runArea(area.name, area.timeoutMs);
    outcome.seconds = round2((performance.now() - t0) / 1000);
    // The 1-minute load average before and after the area: printed beside each of its goals.
    outcome.load = `${loadBefore.toFixed(1)}-${loadavg()[0].toFixed(1)}`;
    results[area.name] = outcome;
    if (outcome.ok) printArea(area.title, outcome.result);
    else console.log(`\n${area.title}: FAILED after ${outcome.seconds} s: ${outcome.error}`);
  }
  machine.loadAverageAtEnd = loadavg().map(round2);

  printSummary(results, machine);
  const out = join(benchDir, "results.json");
  writeFileSync(
    out,
    `${JSON.stringify({ startedAt: started.toISOString(), machine, setup, areas: results }, null, 2)}\n`,
  );
  console.log(`\nresults written to ${out}`);
  if (Object.values(results).some((r) => !r.ok)) process.exitCode = 1;
}

/** The areas named on the command line (all when none), or exit 2 naming the ones that exist. */
function selectAreas(names) {
  if (names.length === 0) return AREAS;
  const unknown = names.filter((n) => !AREAS.some((a) => a.name === n));
  if (unknown.length > 0) {
    console.error(`unknown bench area ${unknown.join(", ")}: choose from ${AREAS.map((a) => a.name).join(", ")}`);
    process.exit(2);
  }
  return AREAS.filter((a) => names.includes(a.name));
}

function installAptTools() {
  const missing = APT_TOOLS.filter((t) => !hasCommand(t.command));
  if (missing.length === 0) return ["apt tools present (wrk, nginx, caddy, mkcert)"];
  if (process.getuid?.() !== 0)
    return [`missing ${missing.map((t) => t.command).join(", ")} and not root: those rows will be unavailable`];
  const lines = [];
  const update = spawnSync("apt-get", ["update", "-qq"], { stdio: "ignore", timeout: 180_000 });
  if (update.status !== 0) lines.push("apt-get update failed; trying the install anyway");
  for (const tool of missing) {
    // Debian's policy-rc.d (present in containers) keeps postinst from starting nginx on port 80.
    const ok = tool.packages.some(
      (pkg) =>
        spawnSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", pkg], {
          stdio: "ignore",
          timeout: 300_000,
          env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
        }).status === 0,
    );
    lines.push(ok && hasCommand(tool.command) ? `installed ${tool.command}` : `could not install ${tool.command}`);
  }
  return lines;
}

function installNpmPeers() {
  const missing = NPM_PEERS.filter((p) => !existsSync(join(peersDir, "node_modules", p, "package.json")));
  if (missing.length === 0) return [`npm peers present in ${peersDir}`];
  mkdirSync(peersDir, { recursive: true });
  // Neither peer needs an install script, so npm 11's default (scripts blocked) is kept.
  const r = spawnSync("npm", ["install", "--prefix", peersDir, "--no-audit", "--no-fund", ...NPM_PEERS], {
    stdio: "ignore",
    timeout: 300_000,
  });
  return [
    r.status === 0 ? `installed ${missing.join(", ")} into ${peersDir}` : `npm install of ${missing.join(", ")} failed`,
  ];
}

function hasCommand(command) {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

/** Runs bench/area.ts NAME in its own process group; resolves with its result or its failure. */
function runArea(name, timeoutMs) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", join("bench", "area.ts"), name], {
      cwd: root,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.add(child);
    let stdout = "";
    let stderrTail = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      // Pass progress lines through, keep the result line for parsing.
      for (const line of String(chunk).split("\n"))
        if (line && !line.startsWith(MARKER)) process.stdout.write(`  ${line}\n`);
    });
    child.stderr.on("data", (chunk) => {
      stderrTail = (stderrTail + chunk).slice(-2000);
    });
    const timer = setTimeout(() => {
      stderrTail += `\n(timed out after ${timeoutMs / 1000} s)`;
      killGroup(child);
    }, timeoutMs);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      killGroup(child); // anything the area left behind in its group
      children.delete(child);
      const line = stdout.split("\n").find((l) => l.startsWith(MARKER));
      if (code === 0 && line) {
        try {
          return resolve({ ok: true, result: JSON.parse(line.slice(MARKER.length)) });
        } catch (e) {
          return resolve({ ok: false, error: `unreadable result: ${e.message}` });
        }
      }
      const why = stderrTail.trim().split("\n").slice(-6).join(" | ") || `exit ${code ?? signal}`;
      resolve({ ok: false, error: why });
    });
  });
}

function killGroup(child) {
  signalGroup(child, "SIGKILL");
}

function signalGroup(child, signal) {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

function printArea(title, result) {
  if (result && Array.isArray(result.tables)) {
    for (const t of result.tables) printTable(t.title, t.header, t.rows);
    for (const note of result.notes ?? []) console.log(`note: ${note}`);
    return;
  }
  const rows = Array.isArray(result) ? result : Array.isArray(result?.rows) ? result.rows : null;
  if (!rows || rows.length === 0 || typeof rows[0] !== "object") {
    console.log(`\n${title}\n${JSON.stringify(result, null, 2)}`);
    return;
  }
  const header = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  printTable(
    title,
    header,
    rows.map((r) => header.map((k) => formatCell(r[k]))),
  );
}

function formatCell(v) {
  if (v === undefined || v === null) return "";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(3);
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

function printTable(title, header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i] ?? "").length)));
  const line = (cells) => `| ${cells.map((c, i) => String(c ?? "").padEnd(widths[i])).join(" | ")} |`;
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const r of rows) console.log(line(r));
}

function printSummary(results, machine) {
  console.log("\n=== Summary");
  for (const area of selected) {
    const r = results[area.name];
    console.log(
      `${area.name.padEnd(6)} ${r.ok ? "ok    " : "FAILED"} ${String(r.seconds).padStart(7)} s${r.ok ? "" : `  ${r.error}`}`,
    );
  }
  // Every area may report goals as `targets` ({ target, measured, met }): one table for all of them.
  const goals = selected.flatMap((area) => {
    const r = results[area.name];
    // A goal may say the load while it was measured (`load`); else the area's before-after.
    return r.ok
      ? (r.result?.targets ?? []).map((t) => [area.name, t.target, t.measured, metCell(t.met), t.load ?? r.load])
      : [];
  });
  if (goals.length > 0) {
    const met = goals.filter((g) => g[3] === "met").length;
    const header = ["area", "goal", "measured", "met", `load avg (1 min, ${machine.cpus} CPUs)`];
    printTable(`Goals: ${met} of ${goals.length} met`, header, goals);
  }
  for (const row of results.proxy?.ok ? (results.proxy.result.loads ?? []) : [])
    if (row.unavailable) console.log(`  unavailable: ${row.label} (${row.mode}): ${row.unavailable}`);
  console.log(
    `load average ${machine.loadAverageAtStart.join(" ")} at start, ${machine.loadAverageAtEnd.join(" ")} at end (${machine.cpus} CPUs; other work on the machine moves every figure, ratios less so)`,
  );
}

function metCell(met) {
  return met === true ? "met" : met === false ? "NOT MET" : "n/a";
}

function round2(n) {
  return Math.round(n * 100) / 100;
}
