/**
 * The TLS half of the probe: handshake with a server without trusting it blindly or rejecting it
 * outright, then record what was negotiated and whether THIS machine's trust accepts the chain for
 * the name in the URL. "This machine's trust" is what Node uses: its bundled Mozilla roots plus
 * NODE_EXTRA_CA_CERTS, plus an optional extra CA (Switchyard's own root). Browsers using the OS
 * store may differ; the trust/ code checks those stores.
 */
import { readFileSync } from "node:fs";
import net from "node:net";
import tls, { type DetailedPeerCertificate, type TLSSocket } from "node:tls";

/** One certificate of the chain the server sent, leaf first. */
export interface CertificateInfo {
  subject: string;
  /** DNS names and IP addresses, e.g. `DNS:my-awesome-service.test`, `IP Address:127.0.0.1`. */
  subjectAltNames: string[];
  issuer: string;
  /** SHA-256 fingerprint, colon-separated hex. */
  fingerprint256: string;
  serialNumber: string;
  validFrom: string;
  validTo: string;
  expired: boolean;
  notYetValid: boolean;
  selfSigned: boolean;
}

/** The outcome of one TLS handshake attempt. */
export interface TlsHandshake {
  ok: boolean;
  /** Why the handshake failed, e.g. `the server closed the connection during the handshake` or an OpenSSL alert. */
  error?: string;
  errorCode?: string;
  protocol?: string;
  cipher?: string;
  /** The ALPN protocol the server chose, or undefined when it chose none. */
  alpn?: string;
  chain: CertificateInfo[];
  /** The chain verifies against this machine's trust. */
  trusted: boolean;
  /** OpenSSL's reason when not trusted, e.g. `DEPTH_ZERO_SELF_SIGNED_CERT`. */
  trustError?: string;
  /** The leaf is valid for the URL's host. */
  nameMatches: boolean;
  nameError?: string;
}

/** How to run the handshake. */
export interface TlsProbeOptions {
  address: string;
  port: number;
  /** The URL's host: sent as SNI (unless it is an IP address) and checked against the certificate. */
  host: string;
  timeoutMs: number;
  /** Extra trusted CA certificates (PEM), added to Node's default roots and NODE_EXTRA_CA_CERTS. */
  extraCaPem?: string;
  alpn?: string[];
  env?: NodeJS.ProcessEnv;
}

/** Handshakes and returns the record plus the open socket (for an HTTP request over it); the caller destroys it. */
export function handshake(options: TlsProbeOptions): Promise<{ result: TlsHandshake; socket?: TLSSocket }> {
  return new Promise((resolve) => {
    const ca = options.extraCaPem ? trustedRoots(options.extraCaPem, options.env ?? process.env) : undefined;
    const socket = tls.connect({
      host: options.address,
      port: options.port,
      servername: net.isIP(options.host) ? undefined : options.host,
      ALPNProtocols: options.alpn ?? ["h2", "http/1.1"],
      rejectUnauthorized: false,
      ...(ca ? { ca } : {}),
    });
    const fail = (error: string, errorCode?: string): void => {
      clearTimeout(timer);
      socket.destroy();
      const result: TlsHandshake = { ok: false, error, chain: [], trusted: false, nameMatches: false };
      if (errorCode) result.errorCode = errorCode;
      resolve({ result });
    };
    const timer = setTimeout(
      () => fail(`no TLS handshake within ${options.timeoutMs} ms`, "ETIMEDOUT"),
      options.timeoutMs,
    );
    socket.on("error", (e: NodeJS.ErrnoException) => fail(describeHandshakeError(e), e.code));
    socket.once("close", () => fail("the server closed the connection during the TLS handshake", "ECONNRESET"));
    socket.once("secureConnect", () => {
      clearTimeout(timer);
      socket.removeAllListeners("error");
      socket.removeAllListeners("close");
      socket.on("error", () => undefined);
      const peer = socket.getPeerCertificate(true);
      const chain = peer && Object.keys(peer).length > 0 ? chainOf(peer) : [];
      const identityError =
        peer && peer.raw ? tls.checkServerIdentity(options.host, peer) : new Error("no certificate");
      const result: TlsHandshake = {
        ok: true,
        chain,
        trusted: socket.authorized,
        nameMatches: identityError === undefined,
      };
      const protocol = socket.getProtocol();
      if (protocol) result.protocol = protocol;
      const cipher = socket.getCipher();
      if (cipher) result.cipher = cipher.standardName ?? cipher.name;
      if (typeof socket.alpnProtocol === "string") result.alpn = socket.alpnProtocol;
      if (!socket.authorized && socket.authorizationError) result.trustError = String(socket.authorizationError);
      if (identityError) result.nameError = identityError.message;
      resolve({ result, socket });
    });
  });
}

/** Node's default roots, NODE_EXTRA_CA_CERTS and `extraPem`: setting `ca` replaces the defaults, so all three are listed. */
export function trustedRoots(extraPem: string, env: NodeJS.ProcessEnv): string[] {
  const roots = [...tls.rootCertificates];
  const extraFile = env.NODE_EXTRA_CA_CERTS;
  if (extraFile) {
    try {
      roots.push(readFileSync(extraFile, "utf8"));
    } catch {
      // Node itself only warns about an unreadable NODE_EXTRA_CA_CERTS; so do we, by ignoring it.
    }
  }
  roots.push(extraPem);
  return roots;
}

/** The chain as the server sent it, leaf first, stopping at a self-signed certificate or a loop. */
export function chainOf(leaf: DetailedPeerCertificate): CertificateInfo[] {
  const out: CertificateInfo[] = [];
  const seen = new Set<string>();
  let cert: DetailedPeerCertificate | undefined = leaf;
  while (cert && cert.fingerprint256 && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    out.push(describeCertificate(cert));
    cert = cert.issuerCertificate;
  }
  return out;
}

/** A certificate in the fields the panel shows. */
export function describeCertificate(cert: DetailedPeerCertificate, now: Date = new Date()): CertificateInfo {
  const validFrom = new Date(cert.valid_from);
  const validTo = new Date(cert.valid_to);
  const subject = formatName(cert.subject);
  const issuer = formatName(cert.issuer);
  return {
    subject,
    subjectAltNames: cert.subjectaltname ? cert.subjectaltname.split(/,\s*/) : [],
    issuer,
    fingerprint256: cert.fingerprint256,
    serialNumber: cert.serialNumber,
    validFrom: isoOr(validFrom, cert.valid_from),
    validTo: isoOr(validTo, cert.valid_to),
    expired: validTo.getTime() < now.getTime(),
    notYetValid: validFrom.getTime() > now.getTime(),
    selfSigned: subject === issuer && cert.issuerCertificate?.fingerprint256 === cert.fingerprint256,
  };
}

/** The names a certificate is for: its SANs, or its CN when it has none. */
export function certificateNames(cert: CertificateInfo): string[] {
  if (cert.subjectAltNames.length > 0) return cert.subjectAltNames.map((n) => n.replace(/^(DNS|IP Address):/, ""));
  const cn = /(?:^|, )CN=([^,]+)/.exec(cert.subject);
  return cn ? [cn[1]!] : [];
}

function formatName(name: object | undefined): string {
  if (!name) return "";
  return Object.entries(name)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join("+") : String(v)}`)
    .join(", ");
}

function isoOr(date: Date, fallback: string): string {
  return Number.isNaN(date.getTime()) ? fallback : date.toISOString();
}

function describeHandshakeError(e: NodeJS.ErrnoException): string {
  if (e.code === "ECONNRESET") return "the server reset the connection during the TLS handshake";
  if (e.code === "ERR_SSL_WRONG_VERSION_NUMBER" || /wrong version number|packet length too long/i.test(e.message)) {
    return "the server answered the TLS ClientHello with something that is not TLS (probably plain HTTP)";
  }
  return `TLS handshake failed: ${e.message}`;
}
