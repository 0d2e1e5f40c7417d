/**
 * Trust stores: where clients look for roots. Each store is one file with the same verbs
 * (as mkcert's truststore_*.go): isAvailable, install, uninstall, isTrusted. Every command goes
 * through one injectable {@link CommandRunner}, and every path through {@link TrustContext}, so
 * tests point stores at temp dirs or a fake runner.
 */

import type { CommandResult, CommandRunner } from "../../commandRunner";

export type { CommandResult, CommandRunner } from "../../commandRunner";

/** The root as stores need it. */
export interface RootCertificate {
  pem: string;
  /** A file holding the PEM (the CA's root.pem): what `security`, `certutil` and `keytool` read. */
  file: string;
  /** SHA-256 and SHA-1 of the DER, upper-case hex without colons. */
  sha256: string;
  sha1: string;
  /** A name unique to this root, for NSS nicknames, keytool aliases and file names. */
  nickname: string;
  /** File-name-safe form of the nickname: "switchyard-<first 16 hex of sha256>". */
  fileBase: string;
  /** A fresh leaf under this root, so stores can check trust the way their clients do (a chain check). */
  probe?: ProbeChain;
}

/** A leaf and its intermediate issued for checking trust; never served to anyone. */
export interface ProbeChain {
  /** The DNS name or IP address the leaf is for. */
  name: string;
  leafPem: string;
  /** The intermediate(s) between leaf and root, PEM (empty when the root signs leaves itself). */
  intermediatePem: string;
}

/** What checking a store the way its client decides found. */
export interface TrustVerdict {
  trusted: boolean;
  /** How it was checked, e.g. "certutil -V -u V with a fresh leaf" or "openssl verify against /etc/ssl/certs/ca-certificates.crt". */
  checkedBy: string;
  /** Why the client would not trust the root, in plain words (when it would not). */
  reason?: string;
}

/** Paths and environment the stores use; all injectable. */
export interface TrustContext {
  runner: CommandRunner;
  platform: NodeJS.Platform;
  home: string;
  env: NodeJS.ProcessEnv;
  /** Whether this process may write system locations (uid 0). */
  isPrivileged: boolean;
  /** Under sudo: the invoking user, who gets ownership of browser databases and profiles created for them. */
  owner?: { uid: number; gid: number };
  /** Debian/Ubuntu: /usr/local/share/ca-certificates. */
  debianCertDir: string;
  /** Debian/Ubuntu: the bundle update-ca-certificates writes, /etc/ssl/certs/ca-certificates.crt. */
  debianBundle: string;
  /** Fedora /etc/pki/ca-trust/source/anchors or Arch /etc/ca-certificates/trust-source/anchors. */
  p11kitAnchorDirs: string[];
}

/** A place clients look for trusted roots. */
export interface TrustStore {
  /** Short id shown in status: "system-debian", "nss", "macos", … */
  readonly name: string;
  /** Human-readable description of where it installs. */
  describe(): string;
  /** Whether this store exists on this machine (a store that does not is skipped, not failed). */
  isAvailable(): Promise<boolean>;
  /**
   * Whether a client that reads this store is installed, so a store left untrusting the root is a
   * failure (exit 1), not a skip. Stores without this are required only when `install` threw.
   */
  isRequired?(): Promise<boolean>;
  /** Installs the root; may return what it did worth telling (e.g. "created ~/.local/share/pki/nssdb"). */
  install(root: RootCertificate): Promise<string[] | void>;
  uninstall(root: RootCertificate): Promise<void>;
  /** Quick check: the root is in the store, marked trusted. */
  isTrusted(root: RootCertificate): Promise<boolean>;
  /** Full check the way the store's client decides, with a fresh leaf ({@link RootCertificate.probe}). */
  verify?(root: RootCertificate): Promise<TrustVerdict>;
}

/** A step needs root (or an administrator) that this process is not. */
export class ElevationRequiredError extends Error {
  constructor(
    readonly store: string,
    /** What needs privileges, e.g. "write /usr/local/share/ca-certificates/x.crt and run update-ca-certificates". */
    readonly step: string,
  ) {
    super(`${store}: ${step} needs root; rerun with sudo (sudo switchyard ca trust), or skip this store`);
    this.name = "ElevationRequiredError";
  }
}

/** A tool a store needs is not installed. */
export class TrustToolMissingError extends Error {
  constructor(
    readonly store: string,
    readonly tool: string,
    readonly hint: string,
  ) {
    super(`${store}: ${tool} is not installed; ${hint}`);
    this.name = "TrustToolMissingError";
  }
}

/** A store command failed. */
export class TrustCommandError extends Error {
  constructor(
    readonly store: string,
    argv: string[],
    result: CommandResult,
  ) {
    super(
      `${store}: "${argv.join(" ")}" failed with exit code ${result.code}: ${(result.stderr || result.stdout).trim()}`,
    );
    this.name = "TrustCommandError";
  }
}

/** Runs a command and throws {@link TrustCommandError} when it fails. */
export async function mustRun(
  ctx: TrustContext,
  store: string,
  file: string,
  args: string[],
  options?: { env?: NodeJS.ProcessEnv; input?: string },
): Promise<CommandResult> {
  const result = await ctx.runner.run(file, args, options);
  if (result.code !== 0) throw new TrustCommandError(store, [file, ...args], result);
  return result;
}
