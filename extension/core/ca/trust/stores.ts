/** The trust stores of this machine, and installing/uninstalling/checking the root in all of them at once. */
import { X509Certificate, createHash } from "node:crypto";
import { homedir } from "node:os";
import { DebianSystemStore } from "./system-debian";
import { P11KitSystemStore } from "./system-p11kit";
import { NssStore } from "./nss";
import { flatpakChromium, nativeChromium, snapChromium } from "./discovery/chromium";
import { flatpakFirefox, nativeFirefox, snapFirefox } from "./discovery/firefox";
import { MacOsKeychainStore } from "./macos";
import { WindowsRootStore } from "./windows";
import { WslWindowsRootStore } from "./windows-wsl";
import { JavaCacertsStore } from "./java";
import { powerShellQuote, shQuote } from "../../shellQuote";
import { execFileRunner } from "./runner";
import {
  ElevationRequiredError,
  TrustToolMissingError,
  type RootCertificate,
  type TrustContext,
  type TrustStore,
  type TrustVerdict,
} from "./types";

/** A {@link TrustContext} for this machine; override any field (tests point paths at temp dirs). */
export function defaultTrustContext(overrides: Partial<TrustContext> = {}): TrustContext {
  const env = overrides.env ?? process.env;
  return {
    runner: execFileRunner(env),
    platform: process.platform,
    home: homedir(),
    env,
    isPrivileged: typeof process.geteuid === "function" && process.geteuid() === 0,
    debianCertDir: "/usr/local/share/ca-certificates",
    debianBundle: "/etc/ssl/certs/ca-certificates.crt",
    p11kitAnchorDirs: ["/etc/pki/ca-trust/source/anchors", "/etc/ca-certificates/trust-source/anchors"],
    ...overrides,
  };
}

/** The NSS stores of every browser that may read one on `ctx.platform` (see discovery/). */
export function nssStoresFor(ctx: TrustContext): NssStore[] {
  const { home, env, runner, platform } = ctx;
  if (platform === "darwin") return [new NssStore(ctx, nativeFirefox(home, env, runner, platform))];
  if (platform === "win32") return [];
  return [
    nativeChromium(home, env, runner),
    snapChromium(home),
    flatpakChromium(home),
    nativeFirefox(home, env, runner, platform),
    snapFirefox(home),
    flatpakFirefox(home),
  ].map((client) => new NssStore(ctx, client));
}

/** Every store that may exist on `ctx.platform`, in the order they are installed into. */
export function trustStoresFor(ctx: TrustContext): TrustStore[] {
  switch (ctx.platform) {
    case "darwin":
      return [new MacOsKeychainStore(ctx), ...nssStoresFor(ctx), new JavaCacertsStore(ctx)];
    case "win32":
      return [new WindowsRootStore(ctx), new JavaCacertsStore(ctx)];
    default:
      return [
        new DebianSystemStore(ctx),
        new P11KitSystemStore(ctx),
        ...nssStoresFor(ctx),
        new JavaCacertsStore(ctx),
        new WslWindowsRootStore(ctx),
      ];
  }
}

/** Whether `--store name` selects `store`: its own name, or "nss" for every browser's NSS store. */
export function storeMatches(store: TrustStore, name: string): boolean {
  return store.name === name || (name === "nss" && store instanceof NssStore);
}

/** The root as stores need it, from its PEM and the file that holds it. */
export function rootCertificate(pem: string, file: string): RootCertificate {
  const cert = new X509Certificate(pem);
  const hex = (alg: string): string => createHash(alg).update(cert.raw).digest("hex").toUpperCase();
  const sha256 = hex("sha256");
  const cn = /CN=([^\n]+)/.exec(cert.subject)?.[1] ?? "Switchyard development CA";
  return {
    pem,
    file,
    sha256,
    sha1: hex("sha1"),
    nickname: cn,
    fileBase: `switchyard-${sha256.slice(0, 16).toLowerCase()}`,
  };
}

/** The result of one store for one action. */
export interface TrustOutcome {
  store: string;
  description: string;
  available: boolean;
  /** A client that reads this store is installed: it not trusting the root after `trust` is a failure. */
  required: boolean;
  /** After the action (or for status: now), as checked by {@link TrustOutcome.checkedBy}. */
  trusted: boolean;
  /** How trust was checked (a chain check with a fresh leaf where the store allows one). */
  checkedBy?: string;
  /** Why the store's client would not trust the root, in plain words. */
  reason?: string;
  /** What the action did worth telling, e.g. a database created for a browser that has not run yet. */
  notes?: string[];
  /** Why the action failed, when it did. */
  error?: string;
  /** The one thing to do about a failure. */
  fix?: string;
  /** Set when the store needs root: what step, so a caller can rerun just that elevated. */
  elevation?: string;
}

async function check(store: TrustStore, root: RootCertificate): Promise<TrustVerdict> {
  if (store.verify) return store.verify(root);
  const trusted = await store.isTrusted(root);
  return { trusted, checkedBy: "the store lists the root", ...(trusted ? {} : { reason: "the root is not in it" }) };
}

async function each(
  stores: TrustStore[],
  root: RootCertificate,
  action: ((s: TrustStore) => Promise<string[] | void>) | undefined,
): Promise<TrustOutcome[]> {
  const outcomes: TrustOutcome[] = [];
  for (const store of stores) {
    const outcome: TrustOutcome = {
      store: store.name,
      description: store.describe(),
      available: false,
      required: false,
      trusted: false,
    };
    outcomes.push(outcome);
    try {
      outcome.available = await store.isAvailable();
      outcome.required = outcome.available && (await store.isRequired?.()) === true;
      if (!outcome.available) continue;
      const notes = action ? await action(store) : undefined;
      if (notes && notes.length > 0) outcome.notes = notes;
    } catch (e) {
      outcome.error = (e as Error).message;
      if (e instanceof ElevationRequiredError) {
        outcome.elevation = e.step;
        outcome.fix = "rerun with sudo: sudo switchyard ca trust";
      } else if (e instanceof TrustToolMissingError) outcome.fix = e.hint;
    }
    // The description again: install may have created the databases it names.
    outcome.description = store.describe();
    const verdict = await check(store, root).catch((e: unknown): TrustVerdict => ({
      trusted: false,
      checkedBy: "check failed",
      reason: (e as Error).message,
    }));
    outcome.trusted = verdict.trusted;
    outcome.checkedBy = verdict.checkedBy;
    if (verdict.reason && !verdict.trusted) outcome.reason = verdict.reason;
  }
  return outcomes;
}

/** Installs the root into every available store; one store failing does not stop the others. */
export function installRoot(stores: TrustStore[], root: RootCertificate): Promise<TrustOutcome[]> {
  return each(stores, root, (s) => s.install(root));
}

/** Removes the root from every available store. */
export function uninstallRoot(stores: TrustStore[], root: RootCertificate): Promise<TrustOutcome[]> {
  return each(stores, root, (s) => s.uninstall(root));
}

/** Whether each store trusts the root now. */
export function trustStatus(stores: TrustStore[], root: RootCertificate): Promise<TrustOutcome[]> {
  return each(stores, root, undefined);
}

/** Node ignores the system store by default: how to make it trust the root. */
export function nodeExtraCaCertsGuidance(rootFile: string, platform: NodeJS.Platform = process.platform): string {
  // PowerShell on Windows (VS Code's default terminal there): the user variable setx would set.
  const set =
    platform === "win32"
      ? `[Environment]::SetEnvironmentVariable('NODE_EXTRA_CA_CERTS', ${powerShellQuote(rootFile)}, 'User')`
      : `export NODE_EXTRA_CA_CERTS=${shQuote(rootFile)}`;
  return (
    `Node.js does not read the system trust store by default. Point it at the root before starting node:\n` +
    `  ${set}\n` +
    `(Node 23.8+ can instead use the system store: node --use-system-ca.) NODE_EXTRA_CA_CERTS is read once at startup.`
  );
}

/** Whether NODE_EXTRA_CA_CERTS in `env` names a file holding this root. */
export function nodeTrustsRoot(env: NodeJS.ProcessEnv, root: RootCertificate, read: (f: string) => string): boolean {
  const file = env.NODE_EXTRA_CA_CERTS;
  if (!file) return false;
  try {
    return read(file)
      .replace(/\s/g, "")
      .includes(root.pem.replace(/-----[A-Z ]+-----|\s/g, ""));
  } catch {
    return false;
  }
}
