/**
 * Reading a CA directory: its state (missing, half-written, complete) and its material, with every
 * failure turned into an error that names the file. Loading never writes.
 */
import { X509Certificate, createPrivateKey, type KeyObject } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CaFileError, CaIncompleteError, CaNotFoundError } from "./errors";
import { CA_FILES } from "./paths";
import { parseCidr } from "./ipRange";
import type { PermittedNames } from "./constraints";

/** ca.json: what the certificates cannot say by themselves. Written last, so its presence marks a complete CA. */
export interface CaMeta {
  version: 1;
  createdAt: string;
  /** The names the CA may certify; null when unconstrained. */
  permitted: { dns: string[]; ip: string[] } | null;
  /** True when the certificates carry the constraints (false for an adopted mkcert root: checked in software only). */
  constraintsInCertificates: boolean;
  /** Set when the CA is an adopted mkcert CAROOT: its root issues leaves directly with the key kept there. */
  adoptedMkcertRoot?: string;
}

/** A loaded CA: what issuance needs. */
export interface CaMaterial {
  dir: string;
  meta: CaMeta;
  permitted: PermittedNames | undefined;
  rootPem: string;
  root: X509Certificate;
  /** The certificate that signs leaves: the intermediate (or an adopted mkcert root). */
  issuerPem: string;
  issuer: X509Certificate;
  issuerKey: KeyObject;
  issuerKeyFile: string;
  issuerCertFile: string;
  /** What a server sends after its leaf: the intermediate, or nothing when the root issues directly. */
  chainTailPem: string;
}

/** The state of a CA directory. */
export type CaDirState = "missing" | "empty" | "incomplete" | "complete";

const CA_ENTRY_NAMES = new Set<string>(Object.values(CA_FILES));

/** Whether `dir` holds nothing, part of a CA, or a whole one (by ca.json and the files it needs). */
export function inspectCaDir(dir: string): CaDirState {
  if (!existsSync(dir)) return "missing";
  const entries = readdirSync(dir);
  if (!entries.includes(CA_FILES.meta)) return entries.some((e) => CA_ENTRY_NAMES.has(e)) ? "incomplete" : "empty";
  return missingFiles(dir).length > 0 ? "incomplete" : "complete";
}

function readMeta(dir: string): CaMeta {
  const file = join(dir, CA_FILES.meta);
  const text = readText(file);
  try {
    const meta = JSON.parse(text) as CaMeta;
    if (meta.version !== 1 || typeof meta.createdAt !== "string") throw new Error("unknown layout version");
    return meta;
  } catch (e) {
    throw new CaFileError(file, "corrupt", (e as Error).message);
  }
}

function missingFiles(dir: string): string[] {
  const meta = readMeta(dir);
  const needed = meta.adoptedMkcertRoot
    ? [CA_FILES.root]
    : [CA_FILES.root, CA_FILES.intermediate, CA_FILES.intermediateKey];
  return needed.filter((f) => !existsSync(join(dir, f)));
}

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CaFileError(
      file,
      code === "ENOENT" ? "corrupt" : "unreadable",
      code === "ENOENT" ? "missing" : (e as Error).message,
    );
  }
}

/** Reads and parses a PEM certificate, naming the file when it is not one. */
export function readCertificate(file: string): { pem: string; cert: X509Certificate } {
  const pem = readText(file);
  try {
    const cert = new X509Certificate(pem);
    return { pem: cert.toString(), cert };
  } catch (e) {
    throw new CaFileError(file, "corrupt", `not a PEM certificate: ${(e as Error).message}`);
  }
}

/** Reads and parses a PEM private key, naming the file when it is not one. */
export function readPrivateKey(file: string): KeyObject {
  const pem = readText(file);
  try {
    return createPrivateKey(pem);
  } catch (e) {
    throw new CaFileError(file, "corrupt", `not a PEM private key: ${(e as Error).message}`);
  }
}

/** Loads the CA in `dir`, checking that each key matches its certificate and the chain verifies. */
export function loadCa(dir: string): CaMaterial {
  const state = inspectCaDir(dir);
  if (state === "missing" || state === "empty") throw new CaNotFoundError(dir);
  if (state === "incomplete") {
    const missing = existsSync(join(dir, CA_FILES.meta)) ? missingFiles(dir) : [CA_FILES.meta];
    throw new CaIncompleteError(dir, missing);
  }
  const meta = readMeta(dir);
  const rootFile = join(dir, CA_FILES.root);
  const root = readCertificate(rootFile);
  const adopted = meta.adoptedMkcertRoot;
  const issuerCertFile = adopted ? rootFile : join(dir, CA_FILES.intermediate);
  const issuerKeyFile = adopted ? join(adopted, "rootCA-key.pem") : join(dir, CA_FILES.intermediateKey);
  const issuer = adopted ? root : readCertificate(issuerCertFile);
  const issuerKey = readPrivateKey(issuerKeyFile);
  if (!issuer.cert.checkPrivateKey(issuerKey)) {
    throw new CaFileError(issuerKeyFile, "mismatched", `it is not the key of ${issuerCertFile}`);
  }
  if (!adopted && !issuer.cert.verify(root.cert.publicKey)) {
    throw new CaFileError(issuerCertFile, "mismatched", `it was not signed by the root in ${rootFile}`);
  }
  const permitted = meta.permitted ? { dns: meta.permitted.dns, ip: meta.permitted.ip.map(parseCidr) } : undefined;
  return {
    dir,
    meta,
    permitted,
    rootPem: root.pem,
    root: root.cert,
    issuerPem: issuer.pem,
    issuer: issuer.cert,
    issuerKey,
    issuerKeyFile,
    issuerCertFile,
    chainTailPem: adopted ? "" : issuer.pem,
  };
}
