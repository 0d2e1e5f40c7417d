/** `switchyard ca env`: the variables that make runtimes trust the root, shell-evaluable. */
import { join } from "node:path";
import { CA_FILES } from "../core/ca/paths";
import { loadCa } from "../core/ca/store";
import { nodeExtraCaCerts } from "../core/ca/trust/nodeExtraCa";
import { applyRuntimeTrust, currentRuntimeTrust, shellLines, withdrawRuntimeTrust } from "../core/ca/trust/runtimeEnv";
import { shQuote } from "../core/shellQuote";
import { UsageError, type CliIO } from "./command";

/** Help lines for `ca env`, shown in `switchyard ca --help`. */
export const CA_ENV_HELP = `  switchyard ca env [--shell sh|powershell] [--json]
                                       variables for runtimes (NODE_EXTRA_CA_CERTS, SSL_CERT_FILE, …):
                                       eval "$(switchyard ca env)"; after untrust it prints unset lines`;

/** Prints export lines (or unset lines once the root is untrusted); exit 0. */
export function runCaEnv(dir: string, options: { shell?: string; json?: boolean }, io: CliIO): number {
  const shell = options.shell ?? "sh";
  if (shell !== "sh" && shell !== "powershell")
    throw new UsageError(`--shell must be sh or powershell, not "${shell}"`);
  loadCa(dir); // a missing or damaged CA is reported as such, not as "no variables"
  const rootFile = join(dir, CA_FILES.root);
  const trust = currentRuntimeTrust({ caDir: dir, rootFile });
  // A NODE_EXTRA_CA_CERTS the user set already (a company CA) is kept: the value holds both.
  if (trust.variables.NODE_EXTRA_CA_CERTS)
    trust.variables.NODE_EXTRA_CA_CERTS = nodeExtraCaCerts(rootFile, io.env.NODE_EXTRA_CA_CERTS, dir);
  if (options.json) {
    io.stdout(`${JSON.stringify(trust, null, 2)}\n`);
    return 0;
  }
  const lines = shellLines(trust, io.env, rootFile, shell);
  if (Object.keys(trust.variables).length === 0)
    io.stderr(`The root is not trusted (run switchyard ca trust first); no variables to set.\n`);
  io.stdout(lines.length ? `${lines.join("\n")}\n` : "");
  return 0;
}

/** After `ca trust`/`ca untrust`: writes or withdraws the combined bundle, and says how shells pick it up. */
export function runtimeTrustStep(action: "trust" | "untrust", dir: string, io: CliIO): void {
  const paths = { caDir: dir, rootFile: join(dir, CA_FILES.root) };
  if (action === "trust") {
    const trust = applyRuntimeTrust(paths);
    io.stdout(
      `  ${"runtimes".padEnd(16)} ${Object.keys(trust.variables).join(", ")} (bundle: ${trust.bundleFile})\n` +
        `\nNode, and tools given SSL_CERT_FILE/REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE, trust the root once these are set:\n` +
        `  eval "$(switchyard ca env --ca-dir ${shQuote(dir)})"\n` +
        `(VS Code's integrated terminals and tasks get them automatically.)\n`,
    );
  } else {
    withdrawRuntimeTrust(paths);
    io.stdout(
      `  ${"runtimes".padEnd(16)} the combined bundle no longer holds the root; ` +
        `eval "$(switchyard ca env --ca-dir ${shQuote(dir)})" unsets the variables\n`,
    );
  }
}
