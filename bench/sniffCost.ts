/**
 * The per-connection cost of deciding what a connection speaks: the pure `sniff()` over a real
 * ClientHello (Chromium's, post-quantum key share, about 1.9 KB), and the full ClientHello parse
 * that follows it on a TLS connection. Measured in-process over many calls; ns per call.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseClientHello } from "../extension/core/proxy/accept/clientHello";
import { sniff } from "../extension/core/proxy/accept/sniff";

/** One microbench figure. */
export interface SniffCostRow {
  label: string;
  nsPerCall: number;
  calls: number;
}

/** Times `sniff()` and `parseClientHello()` over the fixture captures. */
export function measureSniffCost(repoRoot: string): SniffCostRow[] {
  const dir = join(repoRoot, "test", "fixtures", "clienthello");
  const chromium = new Uint8Array(readFileSync(join(dir, "chromium.bin")));
  const curl = new Uint8Array(readFileSync(join(dir, "curl-http2.bin")));
  const http = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: my-awesome-service.test\r\n\r\n");
  return [
    time("sniff(chromium ClientHello)", 2_000_000, () => sniff(chromium)),
    time("sniff(plain HTTP request)", 2_000_000, () => sniff(http)),
    time("parseClientHello(chromium, 1.9 KB)", 50_000, () => parseClientHello(chromium)),
    time("parseClientHello(curl)", 50_000, () => parseClientHello(curl)),
  ];
}

function time(label: string, calls: number, fn: () => unknown): SniffCostRow {
  let sink = 0;
  for (let i = 0; i < Math.min(calls, 10_000); i++) if (fn()) sink++;
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) if (fn()) sink++;
  const ns = Number(process.hrtime.bigint() - start) / calls;
  // Keeps the calls from being optimised away.
  if (sink < 0) throw new Error("unreachable");
  return { label, nsPerCall: ns, calls };
}
