/** The trust stores of this machine, and installing/uninstalling/checking the root in all of them at once. */
import { X509Certificate, createHash } from "node:crypto";
import { homedir } from "node:os";
import { DebianSystemStore } from "./system-debian";
import { P11KitSystemStore } from "./system-p11kit";
import { NssStore } from "./nss";
import { MacOsKeychainStore } from "./macos";
import { WindowsRootStore } from "./windows";
import { JavaCacertsStore } from "./java";
import { execFileRunner } from "./runner";
import { ElevationRequiredError, type RootCertificate, type TrustContext, type TrustStore } from "./types";

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

/** Every store that may exist on `ctx.platform`, in the order they are installed into. */
export function trustStoresFor(ctx: TrustContext): TrustStore[] {
  switch (ctx.platform) {
    case "darwin":
      return [new MacOsKeychainStore(ctx), new NssStore(ctx), new JavaCacertsStore(ctx)];
    case "win32":
      return [new WindowsRootStore(ctx), new JavaCacertsStore(ctx)];
    default:
      return [new DebianSystemStore(ctx), new P11KitSystemStore(ctx), new NssStore(ctx), new JavaCacertsStore(ctx)];
  }
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
  /** After the action (or for status: now). */
  trusted: boolean;
  /** Why the action failed, when it did. */
  error?: string;
  /** Set when the store needs root: what step, so a caller can rerun just that elevated. */
  elevation?: string;
}

async function each(
  stores: TrustStore[],
  root: RootCertificate,
  action: ((s: TrustStore) => Promise<void>) | undefined,
): Promise<TrustOutcome[]> {
  const outcomes: TrustOutcome[] = [];
  for (const store of stores) {
    const outcome: TrustOutcome = {
      store: store.name,
      description: store.describe(),
      available: false,
      trusted: false,
    };
    outcomes.push(outcome);
    try {
      outcome.available = await store.isAvailable();
      if (outcome.available && action) await action(store);
      outcome.trusted = outcome.available && (await store.isTrusted(root));
    } catch (e) {
      outcome.error = (e as Error).message;
      if (e instanceof ElevationRequiredError) outcome.elevation = e.step;
      outcome.trusted = await store.isTrusted(root).catch(() => false);
    }
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
  const set =
    platform === "win32" ? `setx NODE_EXTRA_CA_CERTS "${rootFile}"` : `export NODE_EXTRA_CA_CERTS="${rootFile}"`;
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
