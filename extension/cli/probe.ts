/** `switchyard probe`: what the port behind a URL really speaks. */
import { readFileSync } from "node:fs";
import { formatSocketAddress } from "../core/net/listenErrors";
import { probeUrl, ProbeUrlError, type AddressProbe, type ProbeOptions, type ProbeReport } from "../core/net/probe";
import { parseCommandArgs, UsageError, type CliCommand } from "./command";

const HELP = `Usage:
  switchyard probe URL [--json]

Resolves the URL's host (saying whether the answer came from the hosts file or DNS), connects to
each address, tries TLS and plain HTTP, and says in words what the port speaks and what is wrong.

Options:
  --json             print the full report as one JSON object
  --timeout MS       wait at most MS per step (connect, handshake, response); default 3000
  --ca FILE          also trust this CA certificate (PEM), e.g. Switchyard's root
  --hosts-file PATH  read this hosts file instead of the OS one when saying where an answer came from

Trust is Node's: its bundled roots plus NODE_EXTRA_CA_CERTS (plus --ca).

Exit codes:
  0  the URL works as typed: every address that accepts a connection speaks the URL's scheme,
     and for https the certificate is trusted here and valid for the name
  1  the probe ran and the URL does not work as typed (the report says why), or it could not run
  2  usage error
`;

export const probeCommand: CliCommand = {
  name: "probe",
  summary: "find out what the port behind a URL really speaks",
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs("probe", argv, {
      json: { type: "boolean" },
      timeout: { type: "string" },
      ca: { type: "string" },
      "hosts-file": { type: "string" },
    });
    if (positionals.length !== 1)
      throw new UsageError(positionals.length === 0 ? "missing URL" : "probe takes one URL");
    const url = positionals[0]!;
    const options: ProbeOptions = { env: io.env };
    if (values.timeout !== undefined) {
      const ms = Number(values.timeout);
      if (!Number.isInteger(ms) || ms < 50 || ms > 120_000)
        throw new UsageError(`--timeout "${values.timeout}" must be milliseconds between 50 and 120000`);
      options.timeoutMs = ms;
    }
    if (values.ca !== undefined) {
      try {
        options.extraCaPem = readFileSync(values.ca, "utf8");
      } catch (e) {
        throw new Error(`cannot read the CA certificate ${values.ca}: ${(e as Error).message}`);
      }
    }
    if (values["hosts-file"] !== undefined) options.resolution = { hostsPath: values["hosts-file"] };
    let report: ProbeReport;
    try {
      report = await probeUrl(url, options);
    } catch (e) {
      if (e instanceof ProbeUrlError) throw new UsageError(e.message);
      throw e;
    }
    io.stdout(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatProbeReport(report));
    return report.works ? 0 : 1;
  },
};

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
      return `failed (${answer.error ?? "error"})`;
  }
}
