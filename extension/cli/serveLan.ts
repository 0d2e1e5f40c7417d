/**
 * `switchyard serve --lan`'s output about sharing: the LAN addresses and `.local` names as they
 * are claimed, renames on a conflict (in words), and once per onboarding URL a QR code of it in
 * the terminal with the root's fingerprint, so a phone can scan it and compare.
 */
import type { LanState } from "../core/lan/lanShare";
import { qrForTerminal } from "../core/lan/qrCode";
import type { WorkerProxy } from "../core/proxy/worker/workerProxy";
import type { CliIO } from "./command";

/** Prints sharing changes; ndjson gets one `{"type":"lan",…}` line per change. */
export function followLan(io: CliIO, proxy: WorkerProxy, ndjson: boolean): void {
  let shown = "";
  let notesSeen = 0;
  let qrShownFor = "";
  let queue: Promise<void> = Promise.resolve();
  proxy.on("lan", (state) => {
    queue = queue.then(async () => {
      if (ndjson) {
        io.stdout(`${JSON.stringify({ type: "lan", ...state })}\n`);
        return;
      }
      const fresh = state.notes.slice(Math.min(notesSeen, state.notes.length));
      notesSeen = state.notes.length;
      for (const note of fresh) io.stdout(`LAN: ${note}\n`);
      const summary = describe(state);
      if (summary === shown) return;
      shown = summary;
      io.stdout(summary);
      const url = state.onboardingUrls[0];
      if (url && url !== qrShownFor) {
        qrShownFor = url;
        io.stdout(`\nscan on the phone to install the root (${url}):\n${await qrForTerminal(url)}`);
        io.stdout(`root SHA-256 (compare on the device):\n  ${state.fingerprint256 ?? "unknown"}\n\n`);
      }
    });
  });
}

/** The lines about sharing: off, or the addresses, the device page and each shared name. */
export function describe(state: LanState): string {
  if (!state.sharing) return "sharing on the LAN: off\n";
  const lines = ["sharing on the LAN:"];
  for (const a of state.addresses)
    lines.push(`  listening on ${a.family === 6 ? `[${a.address}]` : a.address}:${state.port} (${a.interfaceName})`);
  for (const url of state.onboardingUrls) lines.push(`  device page: ${url}`);
  for (const n of state.names) {
    const renamed = n.name !== n.wanted ? ` (renamed: ${n.renamedBecause ?? `${n.wanted} is taken`})` : "";
    const url = state.sharedUrls.find((s) => s.url.includes(`//${n.name}`))?.url;
    lines.push(
      n.state === "claimed"
        ? `  ${url ?? n.name} -> ${n.routeHost}${renamed}`
        : `  ${n.name}: probing the network before claiming it${renamed}`,
    );
  }
  if (state.names.length === 0)
    lines.push("  no route has a name to share (add --route my-app.test=http://127.0.0.1:3000)");
  return `${lines.join("\n")}\n`;
}
