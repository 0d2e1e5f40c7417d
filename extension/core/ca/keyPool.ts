/**
 * Leaf keys made ahead of time, so the first handshake for a new name does not wait for key
 * generation, key encoding or the TLS context's key setup. Each key is used for exactly one leaf
 * and lives only in memory until then (the same as a key generated on the spot); the pool is
 * refilled off the hot path, a little after a key was taken, one key per turn of the event loop.
 * EC keys (the default) are made synchronously: P-256 takes well under a millisecond, and an
 * asynchronous key job still running when a worker thread is terminated (the proxy stopping)
 * crashes Node 20 (FATAL "ToLocalChecked Empty MaybeLocal" in KeyObjectHandle, seen on CI). RSA
 * keys use the thread pool on the main thread only.
 */
import { createPublicKey, generateKeyPair, type KeyObject } from "node:crypto";
import { isMainThread } from "node:worker_threads";
import { createSecureContext, type SecureContext } from "node:tls";
import type { KeyType } from "../settings";
import { generateKey, type KeySpec } from "./keys";

/** A leaf key with what issuance and TLS need from it, computed once. */
export interface LeafKey {
  key: KeyObject;
  /** PKCS#8 PEM, as stored on disk. */
  keyPem: string;
  /** SubjectPublicKeyInfo, DER: what the certificate certifies. */
  spkiDer: Buffer;
  /**
   * A TLS context that already holds this key and waits for its certificate chain (see
   * {@link completeContext}); undefined when this Node cannot prepare one.
   */
  context?: SecureContext;
}

/** How many keys of each type wait in the pool: enough for a page that opens a few new names at once. */
export const LEAF_KEY_POOL_SIZE = 4;

/** Wait this long after a key was taken before making the next: the handshake that took it goes first. */
const REFILL_DELAY_MS = 25;

/** The native half of a SecureContext, which Node's own createSecureContext configures. */
interface NativeContext {
  setKey(key: string, passphrase?: string): void;
  setCert(cert: string): void;
}

function nativeOf(context: SecureContext): NativeContext | undefined {
  const native = (context as { context?: Partial<NativeContext> }).context;
  return typeof native?.setKey === "function" && typeof native.setCert === "function"
    ? (native as NativeContext)
    : undefined;
}

/** Key type as settings name it, to the key generator's spec. */
export function keySpecFor(keyType: KeyType): KeySpec {
  return keyType === "rsa" ? "rsa-2048" : "ec-p256";
}

/** Everything about `key` a leaf needs, and (where Node allows) a TLS context holding it. */
export function prepareLeafKey(key: KeyObject): LeafKey {
  const keyPem = key.export({ type: "pkcs8", format: "pem" }).toString();
  const spkiDer = createPublicKey(key).export({ type: "spki", format: "der" });
  let context: SecureContext | undefined = createSecureContext({});
  try {
    const native = nativeOf(context);
    if (native) native.setKey(keyPem);
    else context = undefined;
  } catch {
    context = undefined; // created the ordinary way once the certificate exists
  }
  return { key, keyPem, spkiDer, context };
}

/**
 * The TLS context for a freshly issued leaf: the prepared one given its chain (the certificate must
 * match the key, which OpenSSL checks), or a new context from the PEMs when there is none.
 */
export function completeContext(leafKey: LeafKey | undefined, chainPem: string, keyPem: string): SecureContext {
  const prepared = leafKey?.context;
  const native = prepared ? nativeOf(prepared) : undefined;
  if (prepared && native) {
    try {
      native.setCert(chainPem);
      return prepared;
    } catch {
      // fall through to the documented way
    }
  }
  return createSecureContext({ cert: chainPem, key: keyPem });
}

/** Pre-generated leaf keys per key type, refilled in the background after each take. */
export class LeafKeyPool {
  private readonly ready = new Map<KeyType, LeafKey[]>();
  private readonly filling = new Set<KeyType>();

  constructor(private readonly size = LEAF_KEY_POOL_SIZE) {}

  /** A key no leaf has used: from the pool when one is waiting, else generated now. Never the same key twice. */
  take(keyType: KeyType): LeafKey {
    const waiting = this.ready.get(keyType);
    const key = waiting?.shift() ?? prepareLeafKey(generateKey(keySpecFor(keyType)));
    this.scheduleRefill(keyType);
    return key;
  }

  /** How many keys of `keyType` are ready (for tests and the bench). */
  readyCount(keyType: KeyType): number {
    return this.ready.get(keyType)?.length ?? 0;
  }

  /** Resolves once the pool for `keyType` is full (tests; the bench's warm-up). */
  async filled(keyType: KeyType): Promise<void> {
    this.scheduleRefill(keyType);
    for (let i = 0; i < 1000 && this.readyCount(keyType) < this.size; i++)
      await new Promise((resolve) => setTimeout(resolve, 5));
  }

  /** Drops every waiting key. */
  clear(): void {
    this.ready.clear();
  }

  private scheduleRefill(keyType: KeyType): void {
    if (this.filling.has(keyType) || this.readyCount(keyType) >= this.size) return;
    this.filling.add(keyType);
    const timer = setTimeout(() => this.refillOne(keyType), REFILL_DELAY_MS);
    timer.unref();
  }

  private refillOne(keyType: KeyType): void {
    // The next key follows on the next turn of the event loop, until the pool is full.
    const done = (): void => {
      if (this.readyCount(keyType) < this.size) {
        setImmediate(() => this.refillOne(keyType)).unref();
        return;
      }
      this.filling.delete(keyType);
    };
    const store = (err: Error | null, privateKey: KeyObject | undefined): void => {
      if (err || !privateKey) {
        // Not retried in a loop: the next take() generates on the spot and schedules again.
        this.filling.delete(keyType);
        return;
      }
      const list = this.ready.get(keyType) ?? [];
      if (list.length < this.size) list.push(prepareLeafKey(privateKey));
      this.ready.set(keyType, list);
      done();
    };
    if (keyType === "rsa" && isMainThread)
      return generateKeyPair("rsa", { modulusLength: 2048 }, (err, _pub, key) => store(err, key));
    let key: KeyObject;
    try {
      key = generateKey(keySpecFor(keyType));
    } catch (e) {
      return store(e as Error, undefined);
    }
    store(null, key);
  }
}
