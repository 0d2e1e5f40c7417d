/**
 * The local CA as the rest of Switchyard uses it: open (or create) the CA in a directory, then
 * issue leaves on demand. {@link LocalCa} implements {@link LeafSource}, which is all the proxy sees.
 */
import type { SecureContext } from "node:tls";
import { join } from "node:path";
import type { KeyType } from "../settings";
import { issuerFromCertificate } from "./certificate";
import { canonicalName, refusalFor as policyRefusal } from "./constraints";
import { createCa, type CreateCaOptions, type CreateCaResult } from "./create";
import { derWith } from "./der";
import { loadAsn1 } from "./forge";
import { issueLeaf, type LeafIssuer, type LeafWithKey } from "./leaf";
import { assertKeyIsPrivate } from "./keyAccess";
import { completeContext, prepareLeafKey } from "./keyPool";
import { generateKey } from "./keys";
import { LeafCache } from "./leafCache";
import { CA_FILES } from "./paths";
import { inspectCaDir, loadCa, type CaMaterial } from "./store";
import { NameNotPermittedError, type IssuedLeaf, type LeafCacheWriteFailure, type LeafSource } from "./types";

/** How a {@link LocalCa} issues. */
export interface LocalCaOptions {
  dir: string;
  /** Key type of leaves from {@link LocalCa.leafFor}; default ECDSA P-256. */
  keyType?: KeyType;
  /** Keep issued leaves in `<dir>/leaves` across restarts; default true. */
  diskCache?: boolean;
  /** Leaf lifetime in days (capped at 397). */
  validityDays?: number;
  renewBeforeMs?: number;
  /** The clock, for tests of renewal. */
  now?: () => Date;
  /** How many leaves the cache keeps in memory and on disk (least recently used go first); defaults in leafCache.ts. */
  leafCacheLimits?: { inMemory?: number; onDisk?: number };
}

/** Options for issuing through {@link LocalCa.issue}. */
export interface IssueOptions {
  keyType?: KeyType;
  clientAuth?: boolean;
}

/** Names whose verdict {@link LocalCa.refusalFor} keeps; the memo starts over past this many. */
const REMEMBERED_VERDICTS = 256;

/** The local CA: issues and caches leaves signed by the intermediate. */
export class LocalCa implements LeafSource {
  private readonly cache: LeafCache;
  private readonly signer: LeafIssuer;
  private warming: Promise<void> | undefined;
  /**
   * Each name's verdict, by the name as asked: the proxy asks once to choose the certificate's
   * name and again to get its context, on every connection. The permitted set never changes for
   * one LocalCa (a new CA is opened again), so a verdict never goes stale.
   */
  private readonly verdicts = new Map<string, string | undefined>();
  private readonly cacheWriteListeners = new Set<(failure: LeafCacheWriteFailure) => void>();

  private constructor(
    /** The loaded files: root, issuer, meta. */
    readonly material: CaMaterial,
    signer: LeafIssuer,
    private readonly options: LocalCaOptions,
  ) {
    this.signer = signer;
    const now = options.now ?? (() => new Date());
    this.cache = new LeafCache({
      dir: options.diskCache === false ? undefined : join(material.dir, CA_FILES.leaves),
      issuerPublicKey: material.issuer.publicKey,
      now,
      renewBeforeMs: options.renewBeforeMs,
      maxInMemory: options.leafCacheLimits?.inMemory,
      maxOnDisk: options.leafCacheLimits?.onDisk,
      onWriteFailure: (failure) => {
        for (const listener of this.cacheWriteListeners) listener(failure);
      },
      issue: (names, keyType, clientAuth, leafKey) =>
        issueLeaf(this.signer, names, {
          keyType,
          clientAuth,
          leafKey,
          validityDays: options.validityDays,
          now: now(),
        }),
    });
  }

  /**
   * Opens the CA in `options.dir` to sign with; throws CaNotFoundError, CaIncompleteError,
   * CaFileError, or CaPermissionError when its key or folder is not this user's alone.
   */
  static async open(options: LocalCaOptions): Promise<LocalCa> {
    const der = derWith(await loadAsn1());
    const material = loadCa(options.dir);
    assertKeyIsPrivate(material.issuerKeyFile);
    const signer: LeafIssuer = {
      der,
      issuer: issuerFromCertificate(der, material.issuer.raw, material.issuerKey),
      issuerSubject: material.issuer.subject.replace(/\n/g, ", "),
      chainTailPem: material.chainTailPem,
      permitted: material.permitted,
    };
    return new LocalCa(material, signer, options);
  }

  /**
   * Opens the CA, creating it first when there is none ("create on first use"). A half-written CA is
   * moved aside and recreated; a complete but damaged one is an error (never replaced silently).
   */
  static async openOrCreate(
    options: LocalCaOptions & Omit<CreateCaOptions, "dir" | "force">,
  ): Promise<{ ca: LocalCa; created?: CreateCaResult }> {
    const state = inspectCaDir(options.dir);
    const created = state === "complete" ? undefined : await createCa({ ...options, force: false });
    return { ca: await LocalCa.open(options), created };
  }

  /** The cached leaf for one name (DNS, wildcard or IP), issued when missing or close to expiry. */
  async leafFor(name: string): Promise<IssuedLeaf> {
    this.assertPermitted(name);
    return (await this.cache.get([canonicalName(name)], this.options.keyType ?? "ecdsa")).leaf;
  }

  /**
   * The TLS secure context for `name`, cached with its leaf: what an SNI callback hands to Node.
   * The first call also starts filling the pool of leaf keys, so later new names skip key generation.
   */
  async secureContextFor(name: string): Promise<SecureContext> {
    this.assertPermitted(name);
    const keyType = this.options.keyType ?? "ecdsa";
    // Cached (and filed) by the name as the leaf holds it: `App.test.` shares the leaf of app.test.
    const entry = await this.cache.get([canonicalName(name)], keyType);
    if (!this.warming) this.warming = this.cache.warmUp(keyType);
    return entry.context();
  }

  /**
   * Gets the first never-seen name ready to be as quick as the later ones (the proxy calls this
   * when it starts): a throwaway leaf for localhost is signed into a throwaway context once, which
   * compiles the issuance code and primes OpenSSL's decoders (nothing is cached or written), then
   * the pool of leaf keys fills. Resolves once keys wait in the pool.
   */
  warmUp(): Promise<void> {
    return (this.warming ??= this.rehearseIssuance().then(() => this.cache.warmUp(this.options.keyType ?? "ecdsa")));
  }

  private async rehearseIssuance(): Promise<void> {
    // After the caller's turn: the proxy's start is answered first.
    await new Promise((resolve) => setImmediate(resolve));
    try {
      // Always an EC key (well under a millisecond); the code paths are the same for RSA leaves.
      const leafKey = prepareLeafKey(generateKey("ec-p256"));
      const now = (this.options.now ?? (() => new Date()))();
      const leaf = issueLeaf(this.signer, ["localhost"], { keyType: "ecdsa", leafKey, now });
      completeContext(leafKey, leaf.chainPem, leaf.keyPem);
    } catch {
      // Only a rehearsal: the first real name issues (and reports) the same way without it.
    }
  }

  /** Calls `listener` when a leaf's disk copy could not be written (see LeafSource); returns the unsubscribe. */
  onCacheWriteFailure(listener: (failure: LeafCacheWriteFailure) => void): () => void {
    this.cacheWriteListeners.add(listener);
    return () => this.cacheWriteListeners.delete(listener);
  }

  /** Resolves once the on-disk copies of the leaves issued so far are written. */
  diskWritesDone(): Promise<void> {
    return this.cache.diskWritesDone();
  }

  /** Why this CA may not issue for `name`, or undefined when it may. */
  refusalFor(name: string): string | undefined {
    if (this.verdicts.has(name)) return this.verdicts.get(name);
    const refusal = policyRefusal(name, this.material.permitted);
    if (this.verdicts.size >= REMEMBERED_VERDICTS) this.verdicts.clear();
    this.verdicts.set(name, refusal);
    return refusal;
  }

  /** What checkNames does for one name, from the remembered verdict. */
  private assertPermitted(name: string): void {
    const refusal = this.refusalFor(name);
    if (refusal !== undefined) throw new NameNotPermittedError(name, refusal);
  }

  /** The root certificate, PEM. */
  rootPem(): string {
    return this.material.rootPem;
  }

  /** Issues (or reuses) one leaf for several names; throws NameNotPermittedError for a refused name. */
  async issue(names: string[], options: IssueOptions = {}): Promise<LeafWithKey> {
    const normalised = names.map(canonicalName);
    const entry = await this.cache.get(
      normalised,
      options.keyType ?? this.options.keyType ?? "ecdsa",
      options.clientAuth,
    );
    return entry.leaf;
  }

  /** How many leaves the in-memory cache holds now (at most its bound). */
  get leavesInMemory(): number {
    return this.cache.size;
  }

  /** Drops the in-memory cache (after the CA changed on disk, for instance). */
  clearCache(): void {
    this.cache.clear();
  }
}
