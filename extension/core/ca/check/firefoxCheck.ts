/**
 * A real page load from headless Firefox for `switchyard ca check`. Firefox runs on a throwaway
 * profile holding copies of the user's profile database (cert9.db, key4.db), so the verdict is
 * Firefox's own over the user's trust settings, while the user's profile is never opened (it may be
 * in use, and automation would change its preferences). Driven over WebDriver BiDi by a small child
 * Node process (WebSocket is built into Node 22+, behind --experimental-websocket in Node 20).
 */
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NssLocation } from "../trust/discovery/nssClient";
import { FIREFOX_PROGRAMS } from "../trust/discovery/firefox";
import type { CommandRunner } from "../trust/types";
import { CHECK_PAGE_MARKER } from "./browserCheck";
import type { ClientCheck } from "./clientCheck";

/** The BiDi driver: argv firefox, profile, url; prints {"loaded":bool,"detail":string}. */
const DRIVER = `
const { spawn } = require("node:child_process");
const [firefox, profile, url] = process.argv.slice(1);
const child = spawn(firefox, ["--headless", "--no-remote", "--profile", profile, "--remote-debugging-port", "0", "about:blank"], { stdio: ["ignore", "pipe", "pipe"] });
const done = (r) => { process.stdout.write(JSON.stringify(r)); child.kill("SIGKILL"); process.exit(0); };
setTimeout(() => done({ loaded: false, detail: "Firefox did not answer within 40 s" }), 40000).unref();
let said = "";
const onData = (d) => { said += d; const m = /WebDriver BiDi listening on (ws:\\/\\/\\S+)/.exec(said); if (m && !globalThis.started) { globalThis.started = true; drive(m[1]).catch((e) => done({ loaded: false, detail: String(e) })); } };
child.stdout.on("data", onData); child.stderr.on("data", onData);
child.on("exit", () => done({ loaded: false, detail: "Firefox exited: " + said.slice(-300) }));
async function drive(endpoint) {
  const ws = new WebSocket(endpoint + "/session");
  await new Promise((ok, fail) => { ws.onopen = ok; ws.onerror = () => fail(new Error("BiDi connection failed")); });
  let id = 0; const pending = new Map();
  ws.onmessage = (e) => { const m = JSON.parse(e.data); if (pending.has(m.id)) pending.get(m.id)(m); };
  const send = (method, params) => new Promise((r) => { const n = ++id; pending.set(n, r); ws.send(JSON.stringify({ id: n, method, params })); });
  await send("session.new", { capabilities: {} });
  const context = (await send("browsingContext.getTree", {})).result.contexts[0].context;
  const nav = await send("browsingContext.navigate", { context, url, wait: "complete" });
  if (nav.error) return done({ loaded: false, detail: nav.message || nav.error });
  const text = await send("script.evaluate", { expression: "document.body ? document.body.innerText : ''", target: { context }, awaitPromise: false });
  done({ loaded: true, detail: (text.result && text.result.result && text.result.result.value) || "" });
}
`;

/** Plain words for what Firefox said. */
export function firefoxReason(detail: string): string {
  if (/SEC_ERROR_UNKNOWN_ISSUER|MOZILLA_PKIX_ERROR_SELF_SIGNED_CERT|SEC_ERROR_UNTRUSTED_ISSUER/.test(detail))
    return "it does not trust the Switchyard root (SEC_ERROR_UNKNOWN_ISSUER)";
  return `the page did not load (${detail.split("\n")[0]?.slice(0, 200) ?? "no answer"})`;
}

/** Loads https://name:port/ in headless Firefox over a copy of `profileDb`; undefined when Firefox is not installed. */
export async function firefoxCheck(
  runner: CommandRunner,
  profileDb: NssLocation | undefined,
  name: string,
  port: number,
  nodePath: string = process.execPath,
): Promise<ClientCheck | undefined> {
  let program: string | undefined;
  for (const p of FIREFOX_PROGRAMS) if ((program = await runner.which(p))) break;
  if (!program) return undefined;
  const client = "firefox (headless page load)";
  if (!profileDb?.exists)
    return { client, passed: false, reason: "Firefox has no profile database yet", fix: "switchyard ca trust" };
  const profile = mkdtempSync(join(tmpdir(), "switchyard-check-firefox-"));
  try {
    for (const f of ["cert9.db", "key4.db"])
      if (existsSync(join(profileDb.dir, f))) copyFileSync(join(profileDb.dir, f), join(profile, f));
    // The probe name resolves to loopback in this profile only.
    writeFileSync(join(profile, "user.js"), `user_pref("network.dns.localDomains", "${name}");\n`);
    const flags = Number(process.versions.node.split(".")[0]) < 22 ? ["--experimental-websocket"] : [];
    const said = await new Promise<string>((resolve) =>
      execFile(
        nodePath,
        [...flags, "-e", DRIVER, program, profile, `https://${name}:${port}/`],
        { timeout: 60_000 },
        (_e, out) => resolve(String(out)),
      ),
    );
    let result: { loaded?: boolean; detail?: string } = {};
    try {
      result = JSON.parse(said) as typeof result;
    } catch {
      result = { loaded: false, detail: said || "the Firefox driver did not answer" };
    }
    if (result.loaded && (result.detail ?? "").includes(CHECK_PAGE_MARKER)) return { client, passed: true };
    return {
      client,
      passed: false,
      reason: firefoxReason(result.detail ?? ""),
      fix: "switchyard ca trust (then restart Firefox)",
    };
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}
