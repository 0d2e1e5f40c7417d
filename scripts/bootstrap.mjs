// Makes a fresh clone ready for `npm start`, `npm test` and `npm run bench`: system packages
// (Debian/Ubuntu, when run as root), npm dependencies, and the bundles. Plain Node, no dependencies,
// so it can run before `npm install` ever did. Safe to run again: each step is skipped when done.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Debian packages and a file each one provides, to tell whether it is installed. */
const SYSTEM = [
  ["chromium", "/usr/bin/chromium"],
  // Firefox ESR: the trust tests load a page in it (headless, WebDriver BiDi) and `ca check` uses it.
  ["firefox-esr", "/usr/bin/firefox-esr"],
  ["libnss3-tools", "/usr/bin/certutil"],
  ["openssl", "/usr/bin/openssl"],
  ["curl", "/usr/bin/curl"],
  ["python3", "/usr/bin/python3"],
  // Java with its compiler: the trust tests load a page with Java's HttpClient and `ca check` runs a
  // Java handshake through the source launcher (a JRE alone cannot run .java files).
  ["default-jdk-headless", "/usr/bin/javac"],
  ["iproute2", "/usr/sbin/ip"],
  // nftables: `switchyard ports enable` on Linux redirects loopback 80/443 with an nft table, and
  // its tests run that inside a private network namespace.
  ["nftables", "/usr/sbin/nft"],
  ["util-linux", "/usr/bin/unshare"],
  ["mkcert", "/usr/bin/mkcert"],
  ["ca-certificates", "/usr/sbin/update-ca-certificates"],
  // publicsuffix: the wildcard-leaf test checks the development suffixes against the list Debian ships.
  ["publicsuffix", "/usr/share/publicsuffix/public_suffix_list.dat"],
  // Build headers for the native modules of code-server (the VS Code the tests and `npm start` run).
  ["libkrb5-dev", "/usr/include/krb5.h"],
  ["libx11-dev", "/usr/include/X11/Xlib.h"],
  ["libxkbfile-dev", "/usr/include/X11/extensions/XKBfile.h"],
  ["libsecret-1-dev", "/usr/include/libsecret-1/libsecret/secret.h"],
];

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: "inherit", cwd: root, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed with exit code ${r.status}`);
}

function systemPackages() {
  const missing = SYSTEM.filter(([, file]) => !existsSync(file)).map(([pkg]) => pkg);
  if (missing.length === 0) return;
  const isRoot = process.getuid?.() === 0;
  const hasApt = existsSync("/usr/bin/apt-get");
  if (!isRoot || !hasApt || process.env.SWITCHYARD_NO_APT) {
    const why = process.env.SWITCHYARD_NO_APT
      ? "SWITCHYARD_NO_APT is set"
      : !hasApt
        ? "this is not a Debian/Ubuntu machine"
        : "installing them needs root";
    console.warn(
      `switchyard: missing system packages (${why}): ${missing.join(" ")}\n` +
        `  install them with: sudo apt-get update && sudo apt-get install -y ${missing.join(" ")}\n` +
        "  until then the tests that need them fail with the same advice.",
    );
    return;
  }
  console.log(`switchyard: installing system packages: ${missing.join(" ")}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  sh("apt-get", ["update", "-qq"], { env });
  sh("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing], { env });
}

function npmDependencies() {
  const lock = join(root, "package-lock.json");
  const stamp = join(root, "node_modules", ".switchyard-lock-hash");
  const hash = createHash("sha256").update(readFileSync(lock)).digest("hex");
  if (existsSync(stamp) && readFileSync(stamp, "utf8") === hash) return;
  console.log("switchyard: installing npm dependencies (npm ci)");
  sh("npm", ["ci", "--no-audit", "--no-fund"]);
  writeFileSync(stamp, hash);
}

try {
  systemPackages();
  npmDependencies();
  sh(process.execPath, [join(root, "scripts", "build.mjs")]);
} catch (e) {
  // A newcomer needs the step that failed and what to do, not a stack trace of this script.
  console.error(`switchyard: setting up this clone failed: ${e.message}`);
  process.exit(1);
}
