/**
 * What the rest of Switchyard needs from the local CA. The proxy only sees {@link LeafSource}, so it
 * can be tested with any CA and never learns where keys live.
 */
import type { SecureContext } from "node:tls";
import type { KeyType } from "../settings";

/** A leaf certificate issued by the intermediate, with its private key. */
export interface IssuedLeaf {
  /** The SANs, DNS names and IP addresses, in the order asked for. */
  names: string[];
  /** The leaf certificate alone, PEM. */
  certPem: string;
  /** Leaf followed by the intermediate, PEM: what a server sends. */
  chainPem: string;
  /** PKCS#8 private key, PEM. */
  keyPem: string;
  keyType: KeyType;
  /** SHA-256 of the leaf's DER, upper-case hex with colons (as openssl prints it). */
  fingerprint256: string;
  subject: string;
  issuer: string;
  notBefore: Date;
  notAfter: Date;
}

/** Why a name cannot get a certificate from this CA (outside the name constraints, a bare-TLD wildcard, …). */
export class NameNotPermittedError extends Error {
  /** The refused DNS name or address. (`name` is the error class name, as for every Error.) */
  readonly hostname: string;

  constructor(
    name: string,
    readonly reason: string,
  ) {
    super(`cannot issue a certificate for "${name}": ${reason}`);
    this.name = "NameNotPermittedError";
    this.hostname = name;
  }
}

/** Issues and caches leaves on demand; what the proxy's SNI callback calls. */
export interface LeafSource {
  /** The cached leaf for `name` (a DNS name or an IP address), issuing it when missing or near expiry. Concurrent calls for one name share one issuance. */
  leafFor(name: string): Promise<IssuedLeaf>;
  /** A TLS secure context (chain + key) for `name`, cached alongside the leaf. */
  secureContextFor(name: string): Promise<SecureContext>;
  /** Undefined when the CA may issue for `name`, else the reason it may not. */
  refusalFor(name: string): string | undefined;
  /** The root certificate, PEM: what clients must trust. */
  rootPem(): string;
  /** Prepares what the first never-seen name would otherwise wait for (keys, compiled code); the proxy calls it when it starts. */
  warmUp?(): Promise<void>;
  /**
   * Calls `listener` when a leaf's disk copy could not be written (the leaf is still served; it
   * is issued again after a restart), so the proxy can log it; returns the unsubscribe.
   */
  onCacheWriteFailure?(listener: (failure: LeafCacheWriteFailure) => void): () => void;
}

/** A leaf whose disk copy could not be written. */
export interface LeafCacheWriteFailure {
  /** The file that could not be written (or the folder that could not be made). */
  file: string;
  error: Error;
}
