/** A probe report as plain text: what the CLI prints and the panel shows. */
import { formatSocketAddress } from "./listenErrors";
import type { AddressProbe, ProbeReport } from "./probe";

/** The report as terminal text: resolution, one block per address, then the verdicts. */
export function formatProbeReport(report: ProbeReport): string {
  const lines: string[] = [`Probing ${report.url}`];
  const r = report.resolution;
  if (r.source !== "literal") {
    lines.push(`  ${r.explanation}`);
    if (r.dns.addresses.length > 0) lines.push(`  DNS says: ${r.dns.addresses.map((a) => a.address).join(", ")}`);
  }
  lines.push("");
  for (const a of report.addresses) lines.push(...formatAddress(a, report.port));
  lines.push("");
  const mark = { error: "ERROR  ", warning: "WARNING", info: "note   ", ok: "ok     " } as const;
  for (const v of report.verdicts) {
    lines.push(`${mark[v.level]} ${v.message}`);
    if (v.fix) lines.push(`        fix: ${v.fix}`);
  }
  lines.push("", report.works ? `${report.url} works as typed.` : `${report.url} does not work as typed.`);
  return `${lines.join("\n")}\n`;
}

const SPEAKS: Record<AddressProbe["speaks"], string> = {
  "https+http": "speaks HTTPS and plain HTTP on the same port",
  https: "speaks HTTPS",
  http: "speaks plain HTTP",
  tls: "speaks TLS, but no HTTP answer came over it",
  unknown: "answers with something that is neither HTTP nor TLS",
  nothing: "nothing listens",
};

function formatAddress(a: AddressProbe, port: number): string[] {
  const where = formatSocketAddress(a.address, port);
  if (!a.connect.ok)
    return [
      `  ${where}  ${a.connect.error === "ECONNREFUSED" ? "nothing listens (connection refused)" : `cannot connect (${a.connect.error})`}`,
    ];
  const out = [`  ${where}  ${SPEAKS[a.speaks]}  (connected in ${a.connect.ms ?? "?"} ms)`];
  const tls = a.tls;
  if (tls?.ok) {
    out.push(`    TLS: ${tls.protocol ?? "?"}, ${tls.cipher ?? "?"}, ALPN ${tls.alpn ?? "none"}`);
    tls.chain.forEach((c, i) => {
      out.push(`    ${i === 0 ? "certificate" : `  issued by`}: ${c.subject}`);
      if (c.subjectAltNames.length > 0) out.push(`      names: ${c.subjectAltNames.join(", ")}`);
      out.push(`      issuer: ${c.issuer}; valid ${c.validFrom} to ${c.validTo}${c.expired ? " (EXPIRED)" : ""}`);
      out.push(`      sha256: ${c.fingerprint256}`);
    });
    out.push(
      `    trusted here: ${tls.trusted ? "yes" : `no (${tls.trustError ?? "unknown reason"})`}; valid for the name: ${tls.nameMatches ? "yes" : "no"}`,
    );
  } else if (tls) {
    out.push(`    TLS: ${tls.error ?? "failed"}`);
  }
  if (a.https) out.push(`    HTTPS request: ${describeAnswer(a.https)}`);
  if (a.http) out.push(`    plain HTTP request: ${describeAnswer(a.http)}`);
  return out;
}

function describeAnswer(answer: NonNullable<AddressProbe["http"]>): string {
  switch (answer.kind) {
    case "http":
      return `${answer.httpVersion ?? "HTTP"} ${answer.status ?? "?"}${answer.location ? ` -> ${answer.location}` : ""}${answer.server ? ` (server: ${answer.server})` : ""}`;
    case "tls":
      return "answered with TLS bytes (the port wants TLS)";
    case "unknown":
      return `unknown bytes ${answer.firstBytesHex ?? ""}`;
    case "closed":
      return "closed without answering";
    case "silent":
      return "no answer in time";
    case "error":
      return `failed (${answer.problem ?? answer.error ?? "error"})`;
  }
}
