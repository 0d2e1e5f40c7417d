/** `switchyard ca`: the local certificate authority. */
import { homedir } from "node:os";
import { join } from "node:path";
import {
  adoptMkcertCa,
  assertOutputFolder,
  caStatus,
  createCa,
  defaultTrustContext,
  exportPkcs12,
  installRoot,
  loadCa,
  LocalCa,
  resolveCaDir,
  trustStoresFor,
  uninstallRoot,
  usageSnippets,
  writeLeafPem,
  writeFileExclusively,
  leafFileBase,
  type CaStatus,
} from "../core/ca/index";
import type { SwitchyardSettings } from "../core/settings";
import { rootWithProbe } from "../core/ca/check/probeLeaf";
import { shQuote } from "../core/shellQuote";
import { storeMatches } from "../core/ca/trust/stores";
import { invokingUser } from "../core/ca/trust/sudoUser";
import { loadSettings, parseCommandArgs, UsageError, type CliCommand, type CliIO } from "./command";
import { outcomeState, printOutcomes } from "./trustReport";
import { CA_ENV_HELP, runCaEnv, runtimeTrustStep } from "./caEnv";
import { CA_CHECK_HELP, runCaCheck } from "./caCheck";

const HELP = `Usage:
  switchyard ca create                 create the local CA (root + intermediate)
  switchyard ca status [--json]        paths, fingerprint, constraints, trust per store
  switchyard ca trust                  install the root into the trust stores
  switchyard ca untrust                remove the root from the trust stores
  switchyard ca issue NAME... [--out DIR] [--key-type ecdsa|rsa]
                                       write NAME.pem (leaf + intermediate) and NAME-key.pem
  switchyard ca export [--p12]         export the root (and with --p12 a PKCS#12 bundle)
${CA_ENV_HELP}
${CA_CHECK_HELP}

Options:
  --ca-dir DIR     CA directory (else $SWITCHYARD_CAROOT, else the per-user default)
  --config FILE    settings (JSON object of switchyard.* keys)
  --force          (create) replace an existing CA; the old one is moved aside
  --adopt-mkcert DIR  (create) use mkcert's CAROOT (rootCA.pem, rootCA-key.pem) instead of a new root
  --root-key-type ecdsa|rsa  (create) ECDSA P-384 (default) or RSA-3072 root
  --client-auth    (issue) also allow the certificate for TLS client authentication
  --store NAME     (trust, untrust, status) only this store: system-debian, system-p11kit, chromium, firefox
                   (and -snap, -flatpak), nss (every browser's), java, macos, windows, windows-wsl
  --out DIR        (issue, export) an existing folder to write files to (default: the current directory)
  export NAME... --p12 --password PW   write NAME.pem, NAME-key.pem and NAME.p12 for Kestrel/Java
`;

type Values = Record<string, string | boolean | string[] | undefined>;

function caDir(values: Values, settings: SwitchyardSettings, io: CliIO): string {
  const explicit = (values["ca-dir"] as string | undefined) ?? settings.ca.directory;
  return resolveCaDir({ explicit, env: io.env, home: io.env.HOME || homedir() });
}

function stores(values: Values, io: CliIO) {
  const privileged = typeof process.geteuid === "function" && process.geteuid() === 0;
  // Under sudo, browsers' databases are the invoking user's, in their home (see trust/sudoUser.ts).
  const sudo = invokingUser(io.env, privileged);
  const ctx = defaultTrustContext({ env: io.env, home: sudo?.home ?? (io.env.HOME || homedir()), owner: sudo });
  const only = values.store as string[] | undefined;
  const all = trustStoresFor(ctx);
  if (only?.length) {
    const unknown = only.filter((n) => !all.some((s) => storeMatches(s, n)));
    if (unknown.length)
      throw new UsageError(`unknown store ${unknown.join(", ")}; known: ${all.map((s) => s.name).join(", ")}`);
  }
  return { ctx, list: only?.length ? all.filter((s) => only.some((n) => storeMatches(s, n))) : all };
}

function statusText(s: CaStatus): string {
  const lines = [
    `CA directory:   ${s.dir}`,
    `Root:           ${s.rootSubject}`,
    `SHA-256:        ${s.rootFingerprint256}`,
    `Root expires:   ${s.rootNotAfter}${s.rootKeyKept ? "" : " (root key destroyed after signing)"}`,
    `Issuer:         ${s.issuerSubject} (expires ${s.issuerNotAfter})`,
    `Constraints:    ${s.constraints ? `${[...s.constraints.dns, ...s.constraints.ip].join(", ")}${s.constraints.inCertificates ? "" : " (checked by Switchyard only)"}` : "NONE (unconstrained CA)"}`,
    `Trust:`,
    ...s.trust.map((t) => `  ${t.store.padEnd(16)} ${outcomeState(t)}`),
    `  ${"node".padEnd(16)} ${s.node.trusted ? "trusted (NODE_EXTRA_CA_CERTS)" : "not trusted: set NODE_EXTRA_CA_CERTS (see below)"}`,
    `Issued certificates:`,
    ...(s.leaves.length
      ? s.leaves.map((l) => `  ${l.names.join(", ")} (${l.keyType}, expires ${l.notAfter})`)
      : ["  none"]),
  ];
  if (!s.issuerLimitedToTls && !s.adoptedMkcertRoot)
    lines.push(
      ``,
      `Note: this CA predates intermediates limited to TLS. Its intermediate key can also sign e-mail (S/MIME)`,
      `and code-signing certificates that chain to your trusted root. Replace it with`,
      `"switchyard ca create --force" (the old CA is moved aside), then "switchyard ca trust".`,
    );
  return `${lines.join("\n")}\n${s.node.trusted ? "" : `\n${s.node.guidance}\n`}`;
}

export const caCommand: CliCommand = {
  name: "ca",
  summary: "create, trust, untrust the local CA; issue and export certificates",
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs("ca", argv, {
      "ca-dir": { type: "string" },
      config: { type: "string" },
      json: { type: "boolean" },
      out: { type: "string" },
      "key-type": { type: "string" },
      p12: { type: "boolean" },
      password: { type: "string" },
      force: { type: "boolean" },
      "adopt-mkcert": { type: "string" },
      "root-key-type": { type: "string" },
      "client-auth": { type: "boolean" },
      store: { type: "string", multiple: true },
      shell: { type: "string" },
    });
    const [action, ...names] = positionals;
    if (!action) throw new UsageError("missing action: create, status, trust, untrust, check, env, issue or export");
    if (!["create", "status", "trust", "untrust", "issue", "export", "env", "check"].includes(action))
      throw new UsageError(`unknown action "${action}"`);
    if (action === "issue" && names.length === 0) throw new UsageError("issue needs at least one NAME");
    const keyType = values["key-type"];
    if (keyType !== undefined && keyType !== "ecdsa" && keyType !== "rsa")
      throw new UsageError(`--key-type must be ecdsa or rsa, not "${keyType}"`);
    const rootKeyType = values["root-key-type"];
    if (rootKeyType !== undefined && rootKeyType !== "ecdsa" && rootKeyType !== "rsa")
      throw new UsageError(`--root-key-type must be ecdsa or rsa`);
    if (values.p12 && names.length === 0)
      throw new UsageError("export --p12 needs the NAME(s) of the certificate to bundle");
    const password = values.password ?? io.env.SWITCHYARD_P12_PASSWORD;
    if (values.p12 && !password) throw new UsageError("export --p12 needs --password PW (or $SWITCHYARD_P12_PASSWORD)");

    const settings = loadSettings(values.config, io);
    const dir = caDir(values, settings, io);
    const out = values.out ?? io.cwd;

    switch (action) {
      case "env":
        return runCaEnv(dir, { shell: values.shell, json: values.json }, io);
      case "check":
        return runCaCheck(dir, { json: values.json }, io);
      case "create": {
        const mkcert = values["adopt-mkcert"];
        const common = {
          dir,
          force: values.force,
          permittedNames: settings.ca.permittedNames,
          permittedIpRanges: settings.ca.permittedIpRanges,
          unconstrained: settings.ca.unconstrained,
        };
        const result = mkcert
          ? await adoptMkcertCa({ ...common, caroot: mkcert })
          : await createCa({
              ...common,
              rootKeyType: rootKeyType as "ecdsa" | "rsa" | undefined,
              keepRootKey: settings.ca.keepRootKey,
            });
        if (result.repaired)
          io.stdout(`Found a half-written CA (an interrupted create); moved it to ${result.movedAside}\n`);
        else if (result.movedAside)
          io.stdout(
            `Moved the previous CA to ${result.movedAside}\n` +
              `Its root stays trusted wherever you trusted it; remove it with: ` +
              `switchyard ca untrust --ca-dir ${shQuote(result.movedAside)}\n`,
          );
        io.stdout(`${mkcert ? "Adopted mkcert CA" : "Created local CA"} in ${dir}\n  root: ${result.rootSubject}\n`);
        if (settings.ca.unconstrained)
          io.stderr(
            `warning: this CA is UNCONSTRAINED: it can certify any name, including real sites. Keep ${dir} private.\n`,
          );
        io.stdout(`Next: switchyard ca trust${values["ca-dir"] ? ` --ca-dir ${shQuote(dir)}` : ""}\n`);
        return 0;
      }
      case "status": {
        const { list } = stores(values, io);
        const status = await caStatus(loadCa(dir), list, io.env, await rootWithProbe(dir));
        io.stdout(values.json ? `${JSON.stringify(status, null, 2)}\n` : statusText(status));
        return 0;
      }
      case "trust":
      case "untrust": {
        const { ctx, list } = stores(values, io);
        const material = loadCa(dir);
        const root = await rootWithProbe(dir);
        const outcomes = action === "trust" ? await installRoot(list, root) : await uninstallRoot(list, root);
        io.stdout(`${action === "trust" ? "Installing" : "Removing"} ${material.root.subject.replace(/\n/g, ", ")}\n`);
        const code = printOutcomes(io, outcomes, action, dir, ctx.isPrivileged);
        runtimeTrustStep(action, dir, io);
        return code;
      }
      case "issue":
      case "export": {
        if (action === "export" && names.length === 0) {
          assertOutputFolder(out);
          const file = join(out, "switchyard-root.pem");
          writeFileExclusively(file, loadCa(dir).rootPem, 0o644);
          io.stdout(`Wrote the root certificate to ${file}\n`);
          return 0;
        }
        assertOutputFolder(out);
        const ca = await LocalCa.open({ dir, keyType: settings.ca.keyType });
        const leaf = await ca.issue(names, {
          keyType: (keyType as "ecdsa" | "rsa" | undefined) ?? settings.ca.keyType,
          clientAuth: values["client-auth"],
        });
        const files = writeLeafPem(leaf, out);
        io.stdout(
          `Wrote ${files.certFile} (certificate + intermediate) and ${files.keyFile}\n  names: ${leaf.names.join(", ")}\n  expires: ${leaf.notAfter.toISOString()}\n`,
        );
        let p12File: string | undefined;
        if (values.p12 && password) {
          p12File = join(out, `${leafFileBase(leaf.names[0] ?? "leaf")}.p12`);
          writeFileExclusively(
            p12File,
            await exportPkcs12({
              chainPem: leaf.chainPem,
              keyPem: leaf.keyPem,
              password,
              friendlyName: leaf.names[0] ?? "switchyard",
            }),
            0o600,
          );
          io.stdout(`Wrote ${p12File} (PKCS#12, password protected)\n`);
        }
        io.stdout(`\n${usageSnippets(files, p12File)}\n`);
        return 0;
      }
    }
    return 2;
  },
};
