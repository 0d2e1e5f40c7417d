/** `switchyard probe`: what the port behind a URL really speaks. */
import { readFileSync } from "node:fs";
import { probeUrl, ProbeUrlError, type ProbeOptions, type ProbeReport } from "../core/net/probe";
import { formatProbeReport } from "../core/net/probeText";
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
