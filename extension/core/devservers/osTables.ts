/**
 * The listening-socket tables of macOS (`lsof -F`) and Windows (`netstat -ano`), parsed. Pure: the
 * commands' text in, sockets out, so both are tested on recorded output where they cannot run.
 */

/** A TCP socket in the LISTEN state and the process that holds it. */
export interface ListeningSocket {
  pid: number;
  /** The process name, where the OS said it (lsof's `c` field). */
  command?: string;
  family: 4 | 6;
  /** As the OS prints it, unbracketed: "127.0.0.1", "::1", "0.0.0.0", "::". */
  address: string;
  port: number;
}

/** Splits "HOST:PORT", "[V6]:PORT" or "*:PORT" (lsof's wildcard). */
function splitHostPort(text: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([^\]]+)\]|([^\s]*)):(\d+)$/.exec(text.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) return undefined;
  return { host: (m[1] ?? m[2] ?? "").replace(/%.*$/, ""), port };
}

/**
 * `lsof -nP -a -iTCP -sTCP:LISTEN … -F pctn` (any of those fields): a `p` line starts a process
 * (`c` names it), each open file brings `t` (IPv4/IPv6) and `n` (the address) lines. Without a
 * `t` field the family is told from the address, and `*` reads as 0.0.0.0.
 */
export function parseLsofListening(text: string): ListeningSocket[] {
  const out: ListeningSocket[] = [];
  let pid = 0;
  let command: string | undefined;
  let family: 4 | 6 | undefined;
  for (const line of text.split("\n")) {
    const tag = line[0];
    const value = line.slice(1).trim();
    if (tag === "p") {
      pid = Number(value);
      command = undefined;
    } else if (tag === "c") command = value;
    else if (tag === "f") family = undefined;
    else if (tag === "t") family = value === "IPv6" ? 6 : 4;
    else if (tag === "n" && pid > 0) {
      const hp = splitHostPort(value.replace(/\s*\(LISTEN\)$/, ""));
      if (!hp) continue;
      const fam = family ?? (hp.host.includes(":") ? 6 : 4);
      const address = hp.host === "*" ? (fam === 6 ? "::" : "0.0.0.0") : hp.host;
      out.push({ pid, ...(command !== undefined ? { command } : {}), family: fam, address, port: hp.port });
    }
  }
  return out;
}

/**
 * `netstat -ano -p TCP` and `-p TCPv6`. The state column is translated on non-English Windows, so a
 * listening row is told by its foreign address (`0.0.0.0:0`, `[::]:0`) rather than by the word.
 */
export function parseNetstatListening(text: string): ListeningSocket[] {
  const out: ListeningSocket[] = [];
  for (const line of text.split(/\r?\n/)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length !== 5 || !/^TCP/i.test(fields[0] ?? "")) continue;
    const local = splitHostPort(fields[1] ?? "");
    const foreign = splitHostPort(fields[2] ?? "");
    const pid = Number(fields[4]);
    if (!local || !foreign || foreign.port !== 0 || !Number.isInteger(pid)) continue;
    out.push({ pid, family: local.host.includes(":") ? 6 : 4, address: local.host, port: local.port });
  }
  return out;
}
