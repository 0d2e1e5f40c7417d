/**
 * The probe's findings in words: "this port speaks HTTPS but the URL says http", "the certificate
 * is for x, not y", "nothing listens on [::1]:8443". Pure: computed from the probe's plain data.
 */
import { formatSocketAddress } from "./listenErrors";
import type { AddressProbe, ProbeReport } from "./probe";
import { certificateNames } from "./probeTls";

/** Stable identifiers for verdicts. */
export type VerdictCode =
  | "resolution"
  | "name-does-not-resolve"
  | "nothing-listens"
  | "connect-timeout"
  | "connect-failed"
  | "speaks-https-url-says-http"
  | "speaks-http-url-says-https"
  | "unknown-protocol"
  | "silent"
  | "no-final-response"
  | "tls-failed"
  | "certificate-wrong-name"
  | "certificate-untrusted"
  | "certificate-expired"
  | "redirect"
  | "host-check"
  | "works";

/** One finding. */
export interface ProbeVerdict {
  level: "ok" | "info" | "warning" | "error";
  code: VerdictCode;
  message: string;
  fix?: string;
}

/** The report fields verdicts are computed from. */
export type ProbeFindings = Omit<ProbeReport, "verdicts" | "works" | "startedAt" | "durationMs">;

/** The verdicts, deduplicated, and whether the URL works as typed. */
export function verdictsFor(report: ProbeFindings): { verdicts: ProbeVerdict[]; works: boolean } {
  const verdicts: ProbeVerdict[] = [];
  const add = (v: ProbeVerdict): void => {
    if (!verdicts.some((x) => x.code === v.code && x.message === v.message)) verdicts.push(v);
  };
  const r = report.resolution;
  if (report.addresses.length === 0) {
    add({
      level: "error",
      code: "name-does-not-resolve",
      message: `${report.host} does not resolve on this machine${r.system.error ? ` (${r.system.error})` : ""}`,
      fix: `map ${report.host} to 127.0.0.1 and ::1: "Switchyard: Add Host Mapping…" in VS Code, or \`switchyard hosts add ${report.host}\``,
    });
    return { verdicts, works: false };
  }
  if (r.source !== "literal") add({ level: "info", code: "resolution", message: r.explanation });

  const connected = report.addresses.filter((a) => a.connect.ok);
  for (const a of report.addresses) {
    if (!a.connect.ok) add(connectVerdict(a, report.port, connected.length > 0));
    else if (report.scheme === "http") httpVerdicts(a, report, add);
    else httpsVerdicts(a, report, add);
    const refusal = (report.scheme === "https" ? a.https : a.http)?.hostCheck;
    if (refusal)
      add({
        level: "error",
        code: "host-check",
        message: `the dev server behind ${report.url} (${refusal.framework}) refuses the name ${refusal.host ?? report.host} with 403: its host check does not know it`,
        fix: refusal.fix,
      });
  }
  const works = connected.length > 0 && connected.every((a) => worksAsTyped(a, report.scheme));
  if (works) {
    const a = connected[0]!;
    const answer = report.scheme === "https" ? a.https : a.http;
    const tls =
      report.scheme === "https"
        ? ` over ${a.tls?.protocol ?? "TLS"}${a.tls?.alpn ? ` with ${a.tls.alpn}` : ""}, certificate trusted,`
        : "";
    add({ level: "ok", code: "works", message: `${report.url} works:${tls} HTTP status ${answer?.status ?? "?"}` });
  }
  const order = { error: 0, warning: 1, info: 2, ok: 3 };
  return { verdicts: verdicts.sort((x, y) => order[x.level] - order[y.level]), works };
}

/** The URL works on this address exactly as typed (scheme, trust, name, an HTTP answer). */
export function worksAsTyped(a: AddressProbe, scheme: "http" | "https"): boolean {
  if (!a.connect.ok) return false;
  if (scheme === "http") return a.http?.kind === "http" && !a.http.hostCheck;
  const leaf = a.tls?.chain[0];
  return (
    a.tls?.ok === true &&
    a.tls.trusted &&
    a.tls.nameMatches &&
    !leaf?.expired &&
    a.https?.kind === "http" &&
    !a.https.hostCheck
  );
}

function connectVerdict(a: AddressProbe, port: number, othersWork: boolean): ProbeVerdict {
  const where = formatSocketAddress(a.address, port);
  const level = othersWork ? "warning" : "error";
  const fallback = othersWork ? "; clients that try this address first must fall back to another one" : "";
  if (a.connect.error === "ECONNREFUSED") {
    return {
      level,
      code: "nothing-listens",
      message: `nothing listens on ${where}${fallback}`,
      fix: `start the server, or make it (or Switchyard) listen on ${a.family === 6 ? "::1 as well" : a.address}`,
    };
  }
  if (a.connect.error === "ETIMEDOUT") {
    return {
      level,
      code: "connect-timeout",
      message: `no answer from ${where}: a firewall drops the packets or the address is not reachable from here${fallback}`,
      fix: "check the hosts entry for this name and any firewall rules",
    };
  }
  return {
    level,
    code: "connect-failed",
    message: `cannot connect to ${where}: ${a.connect.error ?? "unknown error"}${fallback}`,
  };
}

function httpVerdicts(a: AddressProbe, report: ProbeFindings, add: (v: ProbeVerdict) => void): void {
  const where = formatSocketAddress(a.address, report.port);
  if (a.speaks === "tls" || a.speaks === "https") {
    add({
      level: "error",
      code: "speaks-https-url-says-http",
      message: `this port speaks HTTPS but the URL says http (${where} completes a TLS handshake and ${a.http?.kind === "tls" ? "answers plain HTTP with TLS bytes" : "gives no HTTP response to plain HTTP"})`,
      fix: `use ${report.url.replace(/^http:/i, "https:")}`,
    });
    return;
  }
  if (a.http?.kind === "http") {
    redirectVerdict(a.http.status, a.http.location, report, add);
    return;
  }
  silentOrUnknown(a, where, add);
}

function httpsVerdicts(a: AddressProbe, report: ProbeFindings, add: (v: ProbeVerdict) => void): void {
  const where = formatSocketAddress(a.address, report.port);
  const tls = a.tls;
  if (!tls?.ok) {
    if (a.http?.kind === "http") {
      add({
        level: "error",
        code: "speaks-http-url-says-https",
        message: `this port speaks plain HTTP but the URL says https (${where} answered HTTP ${a.http.status ?? ""}, not TLS)`,
        fix: `use ${report.url.replace(/^https:/i, "http:")}, or put Switchyard's proxy in front with a route to it`,
      });
    } else {
      add({ level: "error", code: "tls-failed", message: `${where}: ${tls?.error ?? "TLS handshake failed"}` });
    }
    return;
  }
  const leaf = tls.chain[0];
  if (!tls.nameMatches) {
    const names = leaf ? certificateNames(leaf) : [];
    add({
      level: "error",
      code: "certificate-wrong-name",
      message: `the certificate is for ${names.join(", ") || "no name"}, not ${report.host}`,
      fix: `add a proxy route for ${report.host}, or issue a certificate for it ("Switchyard: Issue Certificate…", or \`switchyard ca issue ${report.host}\`)`,
    });
  }
  if (!tls.trusted) add(untrustedVerdict(tls.trustError, leaf?.issuer));
  if (leaf?.expired) {
    add({
      level: "error",
      code: "certificate-expired",
      message: `the certificate expired on ${leaf.validTo}`,
      fix: "issue a new certificate",
    });
  }
  if (a.https?.kind === "http") redirectVerdict(a.https.status, a.https.location, report, add);
  else silentOrUnknown({ ...a, http: a.https }, where, add, "after the TLS handshake ");
}

function untrustedVerdict(reason: string | undefined, issuer: string | undefined): ProbeVerdict {
  const why: Record<string, string> = {
    DEPTH_ZERO_SELF_SIGNED_CERT: "it is self-signed",
    SELF_SIGNED_CERT_IN_CHAIN: "its chain ends in a root this machine does not trust",
    UNABLE_TO_VERIFY_LEAF_SIGNATURE: "its issuer is not trusted here (or the server does not send the intermediate)",
    UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "its issuer is not trusted here",
    CERT_HAS_EXPIRED: "a certificate in its chain has expired",
  };
  const because = reason ? (why[reason] ?? reason) : "unknown reason";
  return {
    level: "error",
    code: "certificate-untrusted",
    message: `the certificate is not trusted by this machine: ${because}${issuer ? ` (issuer ${issuer})` : ""}`,
    fix: 'trust the CA that issued it (for Switchyard\'s own: "Switchyard: Trust Local CA", or `switchyard ca trust`), or point NODE_EXTRA_CA_CERTS at it',
  };
}

function redirectVerdict(
  status: number | undefined,
  location: string | undefined,
  report: ProbeFindings,
  add: (v: ProbeVerdict) => void,
): void {
  if (status === undefined || status < 300 || status >= 400 || !location) return;
  const toHttps = /^https:/i.test(location) && report.scheme === "http";
  add({
    level: "info",
    code: "redirect",
    message: `${report.url} answers ${status} and redirects to ${location}${toHttps ? " (plain HTTP is upgraded to HTTPS)" : ""}`,
  });
}

function silentOrUnknown(a: AddressProbe, where: string, add: (v: ProbeVerdict) => void, phase = ""): void {
  const answer = a.http;
  if (answer?.kind === "unknown") {
    add({
      level: "error",
      code: "unknown-protocol",
      message: `${where} ${phase}answered with bytes that are neither HTTP nor TLS (${answer.firstBytesHex ?? ""})`,
      fix: "check that the URL's port is the web server's port and not a database or another service",
    });
  } else if (answer?.kind === "error" && answer.problem) {
    // A response began but never became one: a head that did not end, 1xx without end, an unasked 101.
    add({
      level: "error",
      code: "no-final-response",
      message: `${where} accepted the connection but ${phase}gave no complete HTTP response: ${answer.problem}`,
      fix: "check the server's logs; it may be hung, or stream a response head that never ends",
    });
  } else {
    add({
      level: "error",
      code: "silent",
      message: `${where} accepted the connection but ${phase}${answer?.kind === "silent" ? "sent nothing back in time" : "closed it without an HTTP response"}`,
      fix: "check the server's logs; it may be hung, or speak a protocol that waits for the client",
    });
  }
}
