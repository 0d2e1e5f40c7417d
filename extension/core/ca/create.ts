/**
 * Creating a CA: a self-signed root (ECDSA P-384 or RSA-3072) and the intermediate that issues,
 * both carrying the Name Constraints unless the CA is unconstrained. The intermediate is limited to
 * TLS in every case: ExtendedKeyUsage serverAuth and clientAuth, no e-mail address, one subject name. The root key is dropped after
 * signing the intermediate unless kept on purpose. Also: adopting an existing mkcert CAROOT.
 */
import { randomBytes, X509Certificate, type KeyObject } from "node:crypto";
import { hostname, userInfo } from "node:os";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { derWith } from "./der";
import { loadAsn1 } from "./forge";
import { buildCertificate, encodeName } from "./certificate";
import { basicConstraints, extKeyUsage, keyUsage, KeyUsageBit, nameConstraints } from "./extensions";
import { LEAF_ORGANISATION } from "./leaf";
import { generateKey, type KeySpec } from "./keys";
import { permittedNamesFrom } from "./constraints";
import { CaExistsError, CaFileError } from "./errors";
import { CA_FILES } from "./paths";
import { inspectCaDir, readCertificate, readPrivateKey, type CaMeta } from "./store";
import { moveAside, removeStaleTempDirs, writeDirAtomically, type DirFile } from "./atomicDir";

/** Options of {@link createCa}; the `ca.*` settings map onto these. */
export interface CreateCaOptions {
  dir: string;
  /** The root's key: "ecdsa" is P-384 (default), "rsa" is RSA-3072 (the intermediate is then RSA-2048). */
  rootKeyType?: "ecdsa" | "rsa";
  permittedNames?: string[];
  permittedIpRanges?: string[];
  unconstrained?: boolean;
  keepRootKey?: boolean;
  /** Replace an existing complete CA (moved aside, not deleted). */
  force?: boolean;
  /** For the unique root name; default: the current user and host. */
  user?: string;
  host?: string;
  now?: Date;
}

/** What {@link createCa} or {@link adoptMkcertCa} did. */
export interface CreateCaResult {
  dir: string;
  rootSubject: string;
  /** Where a previous or half-written CA was moved. */
  movedAside?: string;
  /** True when a half-written CA (interrupted create) was found and replaced. */
  repaired: boolean;
}

const DAY = 86_400_000;
const ORGANISATION = "Switchyard development CA";

function prepareTarget(dir: string, force: boolean | undefined): { movedAside?: string; repaired: boolean } {
  removeStaleTempDirs(dir);
  const state = settledState(dir);
  if (state === "complete" && !force) throw new CaExistsError(dir);
  const movedAside =
    state === "complete"
      ? moveAside(dir, "replaced")
      : state === "incomplete"
        ? moveAside(dir, "incomplete")
        : undefined;
  return { ...(movedAside ? { movedAside } : {}), repaired: state === "incomplete" && movedAside !== undefined };
}

/**
 * The directory's state, read again when it vanished while being read (another create moved it
 * aside at that moment): a moving CA is not a damaged one.
 */
function settledState(dir: string): ReturnType<typeof inspectCaDir> {
  for (let attempt = 0; ; attempt++) {
    try {
      return inspectCaDir(dir);
    } catch (e) {
      if (existsSync(dir) || attempt >= 4) throw e;
    }
  }
}

/** Writes `files` as the CA in `dir`; a CA another create finished meanwhile is replaced with `force`, else refused. */
function writeCa(dir: string, files: DirFile[], force: boolean | undefined): void {
  writeDirAtomically(dir, files, () => {
    if (!force) throw new CaExistsError(dir);
    moveAside(dir, "replaced");
  });
}

function keyPem(key: KeyObject): string {
  return key.export({ type: "pkcs8", format: "pem" }).toString();
}

/** Creates a new CA in `options.dir`, atomically. */
export async function createCa(options: CreateCaOptions): Promise<CreateCaResult> {
  const der = derWith(await loadAsn1());
  const now = options.now ?? new Date();
  const user = options.user ?? safeUser();
  const host = options.host ?? hostname();
  const id = randomBytes(3).toString("hex");
  const permitted = options.unconstrained
    ? undefined
    : permittedNamesFrom(options.permittedNames ?? [], options.permittedIpRanges ?? []);
  const rsa = options.rootKeyType === "rsa";
  const rootKey = generateKey(rsa ? "rsa-3072" : "ec-p384");
  const issuingSpec: KeySpec = rsa ? "rsa-2048" : "ec-p256";
  const intermediateKey = generateKey(issuingSpec);
  const owner = `${user}@${host}`;
  const notBefore = new Date(now.getTime() - 3_600_000);
  const rootSubject = { O: ORGANISATION, OU: owner, CN: `Switchyard ${owner} ${now.toISOString().slice(0, 10)} ${id}` };
  const caUsage = keyUsage(der, [KeyUsageBit.digitalSignature, KeyUsageBit.keyCertSign, KeyUsageBit.cRLSign]);
  const root = buildCertificate(der, {
    subject: rootSubject,
    key: rootKey,
    signingKey: rootKey,
    notBefore,
    notAfter: new Date(now.getTime() + 10 * 365 * DAY),
    extensions: [
      basicConstraints(der, true, 1),
      caUsage,
      ...(permitted ? [nameConstraints(der, permitted, false)] : []),
    ],
  });
  const intermediate = buildCertificate(der, {
    subject: { O: ORGANISATION, OU: owner, CN: `Switchyard intermediate ${owner} ${id}` },
    issuer: { subject: encodeName(der, rootSubject), keyId: root.keyId, key: rootKey },
    key: intermediateKey,
    notBefore,
    notAfter: new Date(now.getTime() + (10 * 365 - 1) * DAY),
    // Limited to TLS even when unconstrained: its key sits on disk, so it must not be able to sign
    // an S/MIME or code-signing certificate, nor one naming another subject.
    extensions: [
      basicConstraints(der, true, 0),
      caUsage,
      extKeyUsage(der, true),
      nameConstraints(der, permitted, true, { directoryName: encodeName(der, { O: LEAF_ORGANISATION }) }),
    ],
  });
  const meta: CaMeta = {
    version: 1,
    createdAt: now.toISOString(),
    permitted: permitted ? { dns: permitted.dns, ip: permitted.ip.map((r) => r.cidr) } : null,
    constraintsInCertificates: permitted !== undefined,
  };
  const files: DirFile[] = [
    { name: CA_FILES.root, content: root.pem, mode: 0o644 },
    { name: CA_FILES.intermediate, content: intermediate.pem, mode: 0o644 },
    { name: CA_FILES.intermediateKey, content: keyPem(intermediateKey), mode: 0o600 },
    // Without keepRootKey the root key is never written: it lives only in this function's memory.
    ...(options.keepRootKey ? [{ name: CA_FILES.rootKey, content: keyPem(rootKey), mode: 0o600 } as const] : []),
    { name: CA_FILES.meta, content: `${JSON.stringify(meta, null, 2)}\n`, mode: 0o644 },
  ];
  const prepared = prepareTarget(options.dir, options.force);
  writeCa(options.dir, files, options.force);
  return { dir: options.dir, rootSubject: new X509Certificate(root.pem).subject.replace(/\n/g, ", "), ...prepared };
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? "user";
  }
}

/** Options of {@link adoptMkcertCa}. */
export interface AdoptMkcertOptions {
  dir: string;
  /** mkcert's CAROOT (`mkcert -CAROOT`), holding rootCA.pem and rootCA-key.pem. */
  caroot: string;
  /** Checked in software only: mkcert's root has no name constraints and cannot have an intermediate (pathlen 0). */
  permittedNames?: string[];
  permittedIpRanges?: string[];
  unconstrained?: boolean;
  force?: boolean;
}

/**
 * Uses an existing mkcert root, so users who already trust it need not trust a second root. mkcert's
 * root has pathlen 0, so it signs leaves directly; its key stays in CAROOT (referenced, not copied).
 */
export async function adoptMkcertCa(options: AdoptMkcertOptions): Promise<CreateCaResult> {
  const rootFile = join(options.caroot, "rootCA.pem");
  const keyFile = join(options.caroot, "rootCA-key.pem");
  const root = readCertificate(rootFile);
  const key = readPrivateKey(keyFile);
  if (!root.cert.ca) throw new CaFileError(rootFile, "corrupt", "it is not a CA certificate");
  if (!root.cert.checkPrivateKey(key)) throw new CaFileError(keyFile, "mismatched", `it is not the key of ${rootFile}`);
  const permitted = options.unconstrained
    ? undefined
    : permittedNamesFrom(options.permittedNames ?? [], options.permittedIpRanges ?? []);
  const meta: CaMeta = {
    version: 1,
    createdAt: new Date().toISOString(),
    permitted: permitted ? { dns: permitted.dns, ip: permitted.ip.map((r) => r.cidr) } : null,
    constraintsInCertificates: false,
    adoptedMkcertRoot: options.caroot,
  };
  const prepared = prepareTarget(options.dir, options.force);
  writeCa(
    options.dir,
    [
      { name: CA_FILES.root, content: root.pem, mode: 0o644 },
      { name: CA_FILES.meta, content: `${JSON.stringify(meta, null, 2)}\n`, mode: 0o644 },
    ],
    options.force,
  );
  return { dir: options.dir, rootSubject: root.cert.subject.replace(/\n/g, ", "), ...prepared };
}
