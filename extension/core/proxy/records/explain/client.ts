/**
 * Words for a client that does not trust the Switchyard root, named from its ClientHello
 * (records/clientIdentity.ts) and where it connected from: what that client reads its trust from,
 * and the fix that works for it. Re-running "Trust Local CA" when every store already trusts the
 * root changes nothing, so it is offered only as one fix among others, and the panel drops it
 * once every store on this machine trusts the root ({@link ClientFix.whenStoreUntrusted}).
 */
import type { ClientIdentity } from "../clientIdentity";

/** Where the rejecting client connected from. */
export interface ClientOrigin {
  client?: ClientIdentity;
  /** The client's address is not a loopback one: another device or machine. */
  remote?: boolean;
  /** The client's address, for the words ("192.168.1.20"). */
  address?: string;
}

/** One way to fix it, as the panel offers it: a command to run, a command to copy, or a page to open. */
export interface ClientFix {
  /** The button's words. */
  label: string;
  /** A Switchyard action (the panel's FixAction). */
  action?: "trustCa" | "exportRoot" | "openDeviceOnboarding";
  /** Text to copy (a shell command); `{root}` stands for the root certificate's file. */
  copy?: string;
  /** Only worth offering while some store on this machine does not trust the root yet. */
  whenStoreUntrusted?: boolean;
  /**
   * One copy per Firefox profile of the user, `{nssdb}` standing for its database (`sql:FOLDER`); with no profile
   * found it is not offered and {@link noFirefoxProfileAdvice} says what to do instead.
   */
  perFirefoxProfile?: boolean;
}

/** The words and fixes for one client that rejected the root. */
export interface ClientTrustAdvice {
  /** Who it is and where its trust comes from, one sentence; appended to the failure's explanation. */
  explanation: string;
  fixes: ClientFix[];
}

const TRUST_LOCAL_CA: ClientFix = { label: "Trust Local CA", action: "trustCa", whenStoreUntrusted: true };
const EXPORT_ROOT: ClientFix = { label: "Export Root…", action: "exportRoot" };
const CA_ENV: ClientFix = { label: "Copy the ca env command", copy: 'eval "$(switchyard ca env)"' };

/** What to tell the user about the client that rejected the root, and how to fix it for that client. */
export function clientTrustAdvice(origin: ClientOrigin): ClientTrustAdvice {
  const who = origin.client && origin.client.kind !== "unknown" ? origin.client : undefined;
  const named = who ? `${who.name}${who.userAgent ? "" : `, by its ClientHello (${who.evidence})`}` : undefined;
  if (origin.remote) {
    return {
      explanation:
        `the client${named ? ` (${named})` : ""} is on another device${origin.address ? ` (${origin.address})` : ""}: ` +
        `it trusts its own stores, not this machine's. Install the root there: open the device page ` +
        `(Switchyard's LAN sharing shows it with a QR code), or Export Root… and import it on that device`,
      fixes: [{ label: "Open the device page", action: "openDeviceOnboarding" }, EXPORT_ROOT],
    };
  }
  switch (who?.kind) {
    case "chromium":
      return {
        explanation:
          `the client is ${named}. On Linux it reads the NSS database of its profile's user (~/.pki/nssdb); ` +
          `a browser run by another user, a snap or flatpak browser, or a profile with its own --user-data-dir does not see the root ` +
          `Trust Local CA installed. Import the root into this browser: Settings › Privacy and security › Security › ` +
          `Manage certificates › Authorities › Import (Export Root… saves it), then restart the browser`,
        fixes: [EXPORT_ROOT, TRUST_LOCAL_CA],
      };
    case "grease-browser":
      return {
        explanation:
          `the client is ${named}. Safari reads the login keychain of the Mac it runs on; ` +
          `on another Mac, import the root there (Export Root…, then open it in Keychain Access and set it to Always Trust)`,
        fixes: [EXPORT_ROOT, TRUST_LOCAL_CA],
      };
    case "firefox":
      return {
        explanation:
          `the client is ${named}. Firefox keeps its own certificate store in each profile: import the root into the ` +
          `profile that connected (Settings › Privacy & Security › Certificates › View Certificates › Authorities › Import…, ` +
          `then tick "Trust this CA to identify websites"; Export Root… saves it), or set security.enterprise_roots.enabled ` +
          `so it reads the system store`,
        fixes: [
          EXPORT_ROOT,
          {
            label: "Copy the certutil command",
            copy: "certutil -d {nssdb} -A -t C,, -n Switchyard -i {root}",
            perFirefoxProfile: true,
          },
          TRUST_LOCAL_CA,
        ],
      };
    case "java":
      return {
        explanation:
          `the client is ${named}. Java reads the cacerts keystore of the JDK that runs it, which may not be the one ` +
          `Trust Local CA found (JAVA_HOME, else the java on PATH): import the root into that JDK with keytool`,
        fixes: [
          {
            label: "Copy the keytool command",
            copy: "keytool -importcert -cacerts -storepass changeit -noprompt -alias switchyard -file {root}",
          },
          TRUST_LOCAL_CA,
        ],
      };
    case "node":
      return {
        explanation:
          `the client is ${named}. Node ignores the system store: start it with NODE_EXTRA_CA_CERTS naming the root ` +
          `(eval "$(switchyard ca env)" in the shell first; VS Code terminals opened after Trust Local CA have it already)`,
        fixes: [
          CA_ENV,
          { label: "Copy NODE_EXTRA_CA_CERTS", copy: "export NODE_EXTRA_CA_CERTS={root}" },
          TRUST_LOCAL_CA,
        ],
      };
    case "python":
      return {
        explanation:
          `the client is ${named}. Python reads OpenSSL's default file, and requests reads certifi's own bundle: ` +
          `start it with SSL_CERT_FILE and REQUESTS_CA_BUNDLE set (eval "$(switchyard ca env)" in the shell first)`,
        fixes: [CA_ENV, { label: "Copy REQUESTS_CA_BUNDLE", copy: "export REQUESTS_CA_BUNDLE={root}" }, TRUST_LOCAL_CA],
      };
    case "curl":
      return {
        explanation:
          `the client is ${named}. Give it the root: curl --cacert with the root's file, or CURL_CA_BUNDLE ` +
          `(eval "$(switchyard ca env)"). Trust Local CA adds the root to the system store, which helps only a curl ` +
          `that reads that store: not one in a container, on another machine, or built with its own CA bundle`,
        fixes: [{ label: "Copy curl --cacert", copy: "curl --cacert {root} URL" }, CA_ENV, TRUST_LOCAL_CA],
      };
    case "openssl-cli":
      return {
        explanation: `the client is ${named}. Give it the root with -CAfile`,
        fixes: [{ label: "Copy the -CAfile option", copy: "openssl s_client -CAfile {root} -connect HOST:PORT" }],
      };
    case "openssl":
      return {
        explanation:
          `the client is ${named}. Programs on OpenSSL read SSL_CERT_FILE: start it after eval "$(switchyard ca env)", ` +
          `or give it the root's file with its own CA option`,
        fixes: [CA_ENV, TRUST_LOCAL_CA],
      };
    default:
      return {
        explanation:
          `run "Switchyard: Trust Local CA" (or \`switchyard ca trust\`) and restart the client; a runtime that ignores the ` +
          `system store needs eval "$(switchyard ca env)", and another machine needs the root imported (Export Root…)`,
        fixes: [TRUST_LOCAL_CA, CA_ENV, EXPORT_ROOT],
      };
  }
}

/**
 * What to do when a Firefox rejected the root and this user has no Firefox profile in `roots` (a
 * Firefox run by another user, in a container, or one never started): the certutil command needs a profile.
 */
export function noFirefoxProfileAdvice(roots: string[]): string {
  return (
    `No Firefox profile of this user was found (no profiles.ini with a profile in ${roots.join(", ")}), ` +
    `so there is no certutil command to copy: if this Firefox runs as another user, in a container or on another ` +
    `machine, import the root there (Export Root…); otherwise start Firefox once so it creates its profile, then run ` +
    `Trust Local CA, which imports the root into every Firefox profile it finds`
  );
}

/** The explanation says the client does not trust the root (explainHandshakeFailure's and explainClosedAfterHandshake's words). */
export function rejectsTheRoot(explanation: string): boolean {
  return /does not trust the (Switchyard )?root/.test(explanation);
}
