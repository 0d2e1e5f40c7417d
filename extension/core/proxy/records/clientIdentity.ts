/**
 * Which program most likely sent a ClientHello, from its shape alone: GREASE, the extensions it
 * sends and their order, its cipher list and the lowest TLS version it offers. Each TLS stack
 * builds its hello its own way (BoringSSL's GREASE and ALPS, NSS's record_size_limit, JSSE's
 * status_request_v2, OpenSSL's encrypt_then_mac), and each runtime on OpenSSL sets its own
 * cipher list and options, so the stack, and often the program, can be named without a User-Agent.
 *
 * Pure: a parsed {@link ClientHello} in, a {@link ClientIdentity} out. The rules were read off real
 * captures (test/fixtures/clienthello); a hello that fits none is "unknown", never a guess.
 */
import type { ClientHello } from "../accept/clientHello";
import { isGrease } from "../accept/tlsNames";

/** The programs a hello is told apart as; each gets its own fix when it does not trust the root. */
export type ClientKind =
  | "chromium"
  | "grease-browser"
  | "firefox"
  | "java"
  | "node"
  | "python"
  | "curl"
  | "openssl-cli"
  | "openssl"
  | "unknown";

/** What kind of fix applies: a browser has a profile, a runtime reads variables or a CA file. */
export type ClientFamily = "browser" | "runtime" | "unknown";

/** The program a ClientHello most likely came from, and what in the hello says so. */
export interface ClientIdentity {
  kind: ClientKind;
  family: ClientFamily;
  /** For people: "curl (OpenSSL)", "Chromium-based browser (Chrome, Edge, Brave, VS Code)". */
  name: string;
  /** A word or two for a table row: "curl", "Chromium", "Node". */
  short: string;
  /** The hello's features that decided it, in words ("GREASE values, ALPS extension"). */
  evidence: string;
  /** Set when a request on another connection from the same client said who it is. */
  userAgent?: string;
}

const EXT = {
  statusRequestV2: 17,
  encryptThenMac: 22,
  recordSizeLimit: 28,
  delegatedCredentials: 34,
  sessionTicket: 35,
  postHandshakeAuth: 49,
  signatureAlgorithmsCert: 50,
  alpsOld: 17513,
  alps: 17613,
} as const;

const TLS12 = 0x0303;
/** ECDHE-RSA-AES128-GCM-SHA256: Node's own default cipher list puts it first among TLS 1.2 suites. */
const NODE_FIRST_TLS12_SUITE = 0xc02f;
/** The TLS 1.3 suites (0x1301..0x1305). */
const isTls13Suite = (s: number): boolean => s >= 0x1301 && s <= 0x1305;

const SHORT: Record<ClientKind, string> = {
  chromium: "Chromium",
  "grease-browser": "the browser",
  firefox: "Firefox",
  java: "Java",
  node: "Node",
  python: "Python",
  curl: "curl",
  "openssl-cli": "openssl",
  openssl: "the OpenSSL client",
  unknown: "the client",
};

function identity(kind: ClientKind, family: ClientFamily, name: string, evidence: string): ClientIdentity {
  return { kind, family, name, short: SHORT[kind], evidence };
}

/** Names the client that most likely sent `hello`. */
export function identifyClient(hello: ClientHello): ClientIdentity {
  const has = (ext: number): boolean => hello.extensions.includes(ext);
  const grease = hello.extensions.some(isGrease) || hello.cipherSuites.some(isGrease);
  if (grease) {
    if (has(EXT.alps) || has(EXT.alpsOld))
      return identity(
        "chromium",
        "browser",
        "a Chromium-based browser (Chrome, Edge, Brave, or an Electron app such as VS Code)",
        "GREASE values and the ALPS extension, as BoringSSL sends them",
      );
    return identity(
      "grease-browser",
      "browser",
      "a browser (Safari or a Chromium-based one)",
      "GREASE values without ALPS",
    );
  }
  if (has(EXT.recordSizeLimit) && has(EXT.delegatedCredentials))
    return identity(
      "firefox",
      "browser",
      "Firefox (or another browser on NSS)",
      "the record_size_limit and delegated_credentials extensions, as NSS sends them",
    );
  if (has(EXT.statusRequestV2) || (has(EXT.signatureAlgorithmsCert) && !has(EXT.encryptThenMac)))
    return identity(
      "java",
      "runtime",
      "a Java program (JSSE)",
      "the status_request_v2 and signature_algorithms_cert extensions, as JSSE sends them",
    );
  if (!has(EXT.encryptThenMac))
    return identity("unknown", "unknown", "an unrecognised client", "its ClientHello matches no known TLS stack");
  // OpenSSL: each program on it sets its own cipher list and options.
  const firstTls12 = hello.cipherSuites.find((s) => !isTls13Suite(s));
  const offersOldVersions = hello.supportedVersions.some((v) => v < TLS12);
  if (firstTls12 === NODE_FIRST_TLS12_SUITE && !has(EXT.postHandshakeAuth))
    return identity("node", "runtime", "a Node.js program", "Node's own cipher order on OpenSSL");
  if (has(EXT.postHandshakeAuth) && has(EXT.sessionTicket) && !offersOldVersions)
    return identity(
      "python",
      "runtime",
      "a Python program (ssl module: urllib, requests, httpx)",
      "post_handshake_auth with Python's short cipher list and TLS 1.2 as its lowest version",
    );
  if (has(EXT.postHandshakeAuth) && !has(EXT.sessionTicket))
    return identity(
      "curl",
      "runtime",
      "curl (OpenSSL)",
      "post_handshake_auth without session tickets, as curl on OpenSSL sends",
    );
  if (hello.alpn.length === 0 && !has(EXT.postHandshakeAuth) && offersOldVersions)
    return identity("openssl-cli", "runtime", "openssl s_client", "OpenSSL's defaults with no ALPN");
  return identity(
    "openssl",
    "runtime",
    "a program on OpenSSL (wget, Ruby, PHP, a language runtime)",
    "the encrypt_then_mac extension, as OpenSSL sends it",
  );
}

/**
 * The client a User-Agent names, when a request on another connection from the same place got
 * through; undefined for agents that say nothing useful.
 */
export function clientFromUserAgent(userAgent: string): Pick<ClientIdentity, "kind" | "family" | "name"> | undefined {
  const ua = userAgent.trim();
  if (/^curl\//i.test(ua)) return { kind: "curl", family: "runtime", name: `curl (${ua})` };
  if (/^python|aiohttp|httpx/i.test(ua)) return { kind: "python", family: "runtime", name: `a Python program (${ua})` };
  if (/^node|undici|axios|node-fetch/i.test(ua))
    return { kind: "node", family: "runtime", name: `a Node.js program (${ua})` };
  if (/^Java/i.test(ua)) return { kind: "java", family: "runtime", name: `a Java program (${ua})` };
  if (/Firefox\//.test(ua)) return { kind: "firefox", family: "browser", name: "Firefox" };
  if (/Edg\//.test(ua)) return { kind: "chromium", family: "browser", name: "Microsoft Edge" };
  if (/Electron\//.test(ua)) return { kind: "chromium", family: "browser", name: "an Electron app" };
  if (/Chrom(e|ium)\//.test(ua)) return { kind: "chromium", family: "browser", name: "Chrome or Chromium" };
  if (/Safari\//.test(ua)) return { kind: "grease-browser", family: "browser", name: "Safari" };
  return undefined;
}
