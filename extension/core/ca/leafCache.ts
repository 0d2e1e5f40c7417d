/**
 * The leaf cache: in memory (promise per name, so concurrent handshakes for one name share one key)
 * and on disk (so a restart does not reissue), with renewal before expiry. A new leaf is handed out
 * as soon as it is signed; its disk copy is written a little later, once the handshake that asked
 * for it has had its round trips (the writes are synchronous on the proxy's thread). Both copies
 * are bounded, least recently used first out, so a client inventing names cannot fill memory or
 * the disk (issue 22).
 */
import { X509Certificate, createHash, createPrivateKey, type KeyObject } from "node:crypto";
import { existsSync, readdirSync, statSync, unlinkSync } from "node:fs";
import { mkdir, readFile, utimes } from "node:fs/promises";
import { createSecureContext, type SecureContext } from "node:tls";
import { join } from "node:path";
import type { KeyType } from "../settings";
import { fingerprint, type LeafWithKey } from "./leaf";
import type { LeafCacheWriteFailure } from "./types";
import { leafFileBase } from "./paths";
import { writeFileExclusively } from "./exclusiveFile";
import { completeContext, LeafKeyPool, type LeafKey } from "./keyPool";

/** A cached leaf and its secure context (built on first use). */
export interface CachedLeaf {
  leaf: LeafWithKey;
  context(): SecureContext;
}

/** How the cache issues, validates, and stores. */
export interface LeafCacheOptions {
  /** Where leaves are kept on disk; undefined keeps them in memory only. */
  dir?: string;
  /** Issues a leaf for `names` with `leafKey` (a key made ahead of time, never used before). */
  issue(names: string[], keyType: KeyType, clientAuth: boolean, leafKey: LeafKey): LeafWithKey;
  /** The public key leaves must be signed with: a disk entry from another CA is ignored. */
  issuerPublicKey: KeyObject;
  now(): Date;
  /** Renew when less than this remains; default 30 days (or a third of the lifetime, if shorter). */
  renewBeforeMs?: number;
  /**
   * A disk copy could not be written. Called for the first failure and then not again until a
   * write succeeds, so a full disk is one log line, not one per new name.
   */
  onWriteFailure?(failure: LeafCacheWriteFailure): void;
  /** Leaves kept in memory; default {@link MAX_LEAVES_IN_MEMORY}. */
  maxInMemory?: number;
  /** Leaves kept on disk; default {@link MAX_LEAVES_ON_DISK}. */
  maxOnDisk?: number;
}

/**
 * Leaves kept in memory, each with its key and TLS context (about 50 KB): far more names than a
 * developer serves, far less than a client inventing names would make. The least recently used
 * goes first (it is read from disk, or issued again, when asked for later).
 */
export const MAX_LEAVES_IN_MEMORY = 256;

/** Leaves kept on disk (two files each); the least recently used (written or read) go first. */
export const MAX_LEAVES_ON_DISK = 512;

/** Cache key and disk file base for a set of names. */
export function leafCacheKey(names: string[], keyType: KeyType, clientAuth = false): string {
  const first = leafFileBase(names[0] ?? "leaf");
  const extra = names.length > 1 ? `+${createHash("sha256").update(names.join(",")).digest("hex").slice(0, 8)}` : "";
  return `${first}${extra}${keyType === "rsa" ? ".rsa" : ""}${clientAuth ? ".client" : ""}`;
}

/**
 * How long a new leaf's disk copy waits: past the rest of its handshake (ServerHello out, the
 * client's Finished and first request in, a few ms on loopback), so those are not queued behind it.
 */
const DISK_WRITE_DELAY_MS = 50;

/** In-memory and on-disk cache of issued leaves. */
export class LeafCache {
  private readonly entries = new Map<string, Promise<CachedLeaf>>();
  private readonly keys = new LeafKeyPool();
  private readonly pendingWrites = new Set<Promise<void>>();
  /** The cache folder, created once (not once per leaf); reset when creating it failed. */
  private dirReady: Promise<void> | undefined;
  /** A write failed and was reported; the next failure is not, until a write succeeds. */
  private failing = false;
  /** The disk copies by key, least recently used first; read from the folder at the first write. */
  private onDisk: Map<string, true> | undefined;

  constructor(private readonly options: LeafCacheOptions) {}

  /** Resolves once every disk copy started so far is written (or has failed: the cache then reissues). */
  async diskWritesDone(): Promise<void> {
    while (this.pendingWrites.size > 0) await Promise.all([...this.pendingWrites]);
  }

  /** Resolves once keys for `keyType` wait in the pool, so the next new name pays for no key generation. */
  warmUp(keyType: KeyType): Promise<void> {
    return this.keys.filled(keyType);
  }

  /** The leaf for `names`, from memory, disk, or freshly issued; one issuance per key at a time. */
  get(names: string[], keyType: KeyType, clientAuth = false): Promise<CachedLeaf> {
    const key = leafCacheKey(names, keyType, clientAuth);
    const existing = this.entries.get(key);
    if (existing) {
      // Most recently used now: to the end of the map's order (eviction takes from the front).
      this.entries.delete(key);
      this.entries.set(key, existing);
      return existing.then((entry) => {
        if (!this.needsRenewal(entry.leaf)) return entry;
        if (this.entries.get(key) === existing) this.entries.delete(key);
        return this.get(names, keyType, clientAuth);
      });
    }
    const created = this.load(key, names, keyType, clientAuth);
    this.entries.set(key, created);
    created.catch(() => {
      if (this.entries.get(key) === created) this.entries.delete(key);
    });
    const max = this.options.maxInMemory ?? MAX_LEAVES_IN_MEMORY;
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= max) break;
      this.entries.delete(oldest);
    }
    return created;
  }

  /** Leaves held in memory now (issued, read from disk, or on their way). */
  get size(): number {
    return this.entries.size;
  }

  /** Forgets every in-memory entry (the disk copies stay). */
  clear(): void {
    this.entries.clear();
  }

  private needsRenewal(leaf: LeafWithKey): boolean {
    const lifetime = leaf.notAfter.getTime() - leaf.notBefore.getTime();
    const before = Math.min(this.options.renewBeforeMs ?? 30 * 86_400_000, lifetime / 3);
    return leaf.notAfter.getTime() - this.options.now().getTime() < before;
  }

  private async load(key: string, names: string[], keyType: KeyType, clientAuth: boolean): Promise<CachedLeaf> {
    const fromDisk = this.options.dir ? await this.readDisk(key, names, keyType) : undefined;
    if (fromDisk && !this.needsRenewal(fromDisk)) return cached(fromDisk);
    const leafKey = this.keys.take(keyType);
    const leaf = this.options.issue(names, keyType, clientAuth, leafKey);
    if (this.options.dir) this.writeSoon(key, leaf);
    return cached(leaf, leafKey);
  }

  /** Writes the disk copy a little later, so the handshake waiting for this leaf does not wait for the disk. */
  private writeSoon(key: string, leaf: LeafWithKey): void {
    const write = new Promise<void>((resolve) => setTimeout(resolve, DISK_WRITE_DELAY_MS))
      .then(() => this.writeDisk(key, leaf))
      .then(
        () => {
          this.failing = false;
        },
        (e: unknown) => {
          // The leaf is still served; it is issued again after a restart. Said once, not per name.
          if (this.failing) return;
          this.failing = true;
          const error = e instanceof Error ? e : new Error(String(e));
          const file = (error as NodeJS.ErrnoException).path ?? join(this.options.dir as string, `${key}.pem`);
          this.options.onWriteFailure?.({ file, error });
        },
      )
      .finally(() => this.pendingWrites.delete(write));
    this.pendingWrites.add(write);
  }

  private async readDisk(key: string, names: string[], keyType: KeyType): Promise<LeafWithKey | undefined> {
    const dir = this.options.dir as string;
    // One stat instead of two reads through the thread pool: a never-seen name has no file.
    if (!existsSync(join(dir, `${key}-key.pem`))) return undefined;
    try {
      const [chainPem, keyPem] = await Promise.all([
        readFile(join(dir, `${key}.pem`), "utf8"),
        readFile(join(dir, `${key}-key.pem`), "utf8"),
      ]);
      const cert = new X509Certificate(chainPem);
      const privateKey = createPrivateKey(keyPem);
      // A stale, foreign or damaged cache entry is not an error: it is simply reissued.
      if (!cert.verify(this.options.issuerPublicKey) || !cert.checkPrivateKey(privateKey)) return undefined;
      this.touchOnDisk(key);
      const certPem = cert.toString();
      return {
        names,
        certPem,
        chainPem,
        keyPem,
        key: privateKey,
        keyType,
        fingerprint256: fingerprint(cert.raw),
        subject: cert.subject.replace(/\n/g, ", "),
        issuer: cert.issuer.replace(/\n/g, ", "),
        notBefore: new Date(cert.validFrom),
        notAfter: new Date(cert.validTo),
      };
    } catch {
      return undefined;
    }
  }

  private async writeDisk(key: string, leaf: LeafWithKey): Promise<void> {
    const dir = this.options.dir as string;
    const write = (): void => {
      // No fsync: this is a cache, and a torn entry fails verification and is reissued.
      writeFileExclusively(join(dir, `${key}-key.pem`), leaf.keyPem, 0o600, { durable: false });
      writeFileExclusively(join(dir, `${key}.pem`), leaf.chainPem, 0o644, { durable: false });
    };
    await this.ensureDir(dir);
    try {
      write();
    } catch (e) {
      // The folder went away while the proxy ran: made again, as every write used to.
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      this.dirReady = undefined;
      this.onDisk = undefined;
      await this.ensureDir(dir);
      write();
    }
    this.evictFromDisk(dir, key);
  }

  /**
   * Notes `key` as just written and removes the least recently used copies beyond the bound. The
   * folder is listed once (by modification time, which a read refreshes), then followed in memory.
   */
  private evictFromDisk(dir: string, key: string): void {
    this.onDisk ??= diskIndex(dir);
    this.onDisk.delete(key);
    this.onDisk.set(key, true);
    const max = this.options.maxOnDisk ?? MAX_LEAVES_ON_DISK;
    for (const oldest of this.onDisk.keys()) {
      if (this.onDisk.size <= max) break;
      this.onDisk.delete(oldest);
      for (const file of [`${oldest}.pem`, `${oldest}-key.pem`]) {
        try {
          unlinkSync(join(dir, file));
        } catch {
          // Already gone (removed by hand, another process): nothing to free.
        }
      }
    }
  }

  /** A disk copy was used: the most recent now, also for the next process (its modification time). */
  private touchOnDisk(key: string): void {
    if (this.onDisk?.delete(key)) this.onDisk.set(key, true);
    const now = new Date();
    utimes(join(this.options.dir as string, `${key}.pem`), now, now).catch(() => {
      // Only an ordering hint for eviction.
    });
  }

  private ensureDir(dir: string): Promise<void> {
    this.dirReady ??= mkdir(dir, { recursive: true, mode: 0o700 }).then(
      () => undefined,
      (e: unknown) => {
        this.dirReady = undefined;
        throw e;
      },
    );
    return this.dirReady;
  }
}

/** The leaves in `dir` by cache key, least recently written (or read) first. */
function diskIndex(dir: string): Map<string, true> {
  const found: { key: string; mtime: number }[] = [];
  for (const entry of readdirSync(dir)) {
    if (!entry.endsWith(".pem") || entry.endsWith("-key.pem")) continue;
    try {
      found.push({ key: entry.slice(0, -".pem".length), mtime: statSync(join(dir, entry)).mtimeMs });
    } catch {
      // Removed meanwhile.
    }
  }
  found.sort((a, b) => a.mtime - b.mtime);
  return new Map(found.map((f) => [f.key, true]));
}

function cached(leaf: LeafWithKey, leafKey?: LeafKey): CachedLeaf {
  let context: SecureContext | undefined;
  return {
    leaf,
    context: () =>
      (context ??= leafKey
        ? completeContext(leafKey, leaf.chainPem, leaf.keyPem)
        : createSecureContext({ cert: leaf.chainPem, key: leaf.keyPem })),
  };
}
