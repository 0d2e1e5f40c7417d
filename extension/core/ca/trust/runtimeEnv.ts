/**
 * Trust for runtimes that ignore the OS stores, through environment variables: NODE_EXTRA_CA_CERTS
 * (Node adds it to its roots) and, for tools that replace their roots with the file they are given
 * (OpenSSL's SSL_CERT_FILE, Python requests' REQUESTS_CA_BUNDLE, curl's CURL_CA_BUNDLE), a combined
 * bundle: the system roots followed by the Switchyard root. `ca trust` writes the bundle, `ca untrust`
 * rewrites it without the root (so a terminal still pointing at it keeps the system roots), and
 * the variables are offered only while the bundle holds the root.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { powerShellQuote, shQuote } from "../../shellQuote";
import { nodeExtraCaCerts } from "./nodeExtraCa";

/** The combined bundle's file name in the CA directory. */
export const RUNTIME_BUNDLE_FILE = "trust-bundle.pem";

/** System bundles in the order they are looked for (Debian/Ubuntu, Fedora/RHEL, openSUSE, macOS/Alpine/Arch). */
export const SYSTEM_BUNDLES = [
  "/etc/ssl/certs/ca-certificates.crt",
  "/etc/pki/tls/certs/ca-bundle.crt",
  "/etc/ssl/ca-bundle.pem",
  "/etc/ssl/cert.pem",
];

/** The variables that point runtimes at the root or the combined bundle. */
export const RUNTIME_TRUST_VARIABLES = ["NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"];

/** Where the files are. */
export interface RuntimeTrustPaths {
  caDir: string;
  /** The root's PEM file (NODE_EXTRA_CA_CERTS points here). */
  rootFile: string;
  /** The system bundle to start from; default: the first of {@link SYSTEM_BUNDLES} that exists. */
  systemBundle?: string;
}

/** The variables for terminals and tasks, and the bundle they name. */
export interface RuntimeTrust {
  bundleFile: string;
  /** Empty when the root is not trusted (the variables are withdrawn). */
  variables: Record<string, string>;
}

function systemBundleOf(paths: RuntimeTrustPaths): string | undefined {
  return paths.systemBundle ?? SYSTEM_BUNDLES.find((f) => existsSync(f));
}

const body = (pem: string): string => pem.replace(/-----[A-Z ]+-----|\s/g, "");

/** Writes `content` to `file` through a temp file, and only when it changed (watchers see one change). */
function writeIfChanged(file: string, content: string): void {
  if (existsSync(file) && readFileSync(file, "utf8") === content) return;
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, content, { mode: 0o644 });
  renameSync(temp, file);
}

function systemRoots(paths: RuntimeTrustPaths): string {
  const system = systemBundleOf(paths);
  if (!system) return "";
  const text = readFileSync(system, "utf8");
  return text.endsWith("\n") ? text : `${text}\n`;
}

function variablesFor(paths: RuntimeTrustPaths, bundleFile: string): Record<string, string> {
  const variables: Record<string, string> = { NODE_EXTRA_CA_CERTS: paths.rootFile };
  // Without system roots a replacing bundle would break every other site: then only Node's variable.
  if (systemBundleOf(paths)) for (const name of RUNTIME_TRUST_VARIABLES.slice(1)) variables[name] = bundleFile;
  return variables;
}

/** Writes the combined bundle (system roots + the root) and returns the variables that use it. */
export function applyRuntimeTrust(paths: RuntimeTrustPaths): RuntimeTrust {
  const bundleFile = join(paths.caDir, RUNTIME_BUNDLE_FILE);
  const root = readFileSync(paths.rootFile, "utf8").trim();
  writeIfChanged(bundleFile, `${systemRoots(paths)}# Switchyard development root\n${root}\n`);
  return { bundleFile, variables: variablesFor(paths, bundleFile) };
}

/** Rewrites the bundle with the system roots only; returns no variables. */
export function withdrawRuntimeTrust(paths: RuntimeTrustPaths): RuntimeTrust {
  const bundleFile = join(paths.caDir, RUNTIME_BUNDLE_FILE);
  if (existsSync(bundleFile)) writeIfChanged(bundleFile, systemRoots(paths));
  return { bundleFile, variables: {} };
}

/**
 * The variables for now: while the bundle holds the root (after `ca trust`), the bundle is refreshed
 * from the current system roots and the variables returned; otherwise none.
 */
export function currentRuntimeTrust(paths: RuntimeTrustPaths): RuntimeTrust {
  const bundleFile = join(paths.caDir, RUNTIME_BUNDLE_FILE);
  let held = false;
  try {
    held = body(readFileSync(bundleFile, "utf8")).includes(body(readFileSync(paths.rootFile, "utf8")));
  } catch {
    held = false;
  }
  return held ? applyRuntimeTrust(paths) : { bundleFile, variables: {} };
}

/** Shell lines that set the variables (POSIX sh or PowerShell), or unset those in `env` that point at our files. */
export function shellLines(
  trust: RuntimeTrust,
  env: NodeJS.ProcessEnv,
  rootFile: string,
  shell: "sh" | "powershell" = "sh",
): string[] {
  const quote = shell === "sh" ? shQuote : powerShellQuote;
  const set = Object.entries(trust.variables).map(([k, v]) =>
    shell === "sh" ? `export ${k}=${quote(v)}` : `$env:${k} = ${quote(v)}`,
  );
  if (set.length > 0) return set;
  return RUNTIME_TRUST_VARIABLES.filter((k) => env[k] === rootFile || env[k] === trust.bundleFile).map((k) =>
    shell === "sh" ? `unset ${k}` : `Remove-Item Env:${k}`,
  );
}

/**
 * The trust variables for a terminal or task: NODE_EXTRA_CA_CERTS, the root, or a file holding the
 * root and the user's own roots when they already set the variable (a company CA stays trusted),
 * and the combined-bundle variables once `ca trust` wrote that bundle. Empty until the CA exists.
 */
export function terminalTrustVariables(
  caDir: string,
  userNodeExtraCaCerts: string | undefined,
): Record<string, string> {
  const rootFile = join(caDir, "root.pem");
  if (!existsSync(rootFile)) return {};
  return {
    ...currentRuntimeTrust({ caDir, rootFile }).variables,
    NODE_EXTRA_CA_CERTS: nodeExtraCaCerts(rootFile, userNodeExtraCaCerts, caDir),
  };
}
