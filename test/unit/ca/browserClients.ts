/**
 * Test support: does a real browser load a page without a certificate error? Headless Chromium
 * through playwright-core, and Firefox ESR headless over WebDriver BiDi (playwright-core cannot drive
 * a stock Firefox). Each uses HOME as given, so it reads that home's NSS databases the way a user's
 * browser would, and each is bounded in time. A missing browser throws: these tests never skip.
 */
import CHROMIUM_FLAGS from "../../harness/chromium-flags.json";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chromium } from "playwright-core";
import WebSocket from "ws";

/** What a browser did with a URL. */
export interface PageLoad {
  loaded: boolean;
  /** The page text when loaded; the error (e.g. net::ERR_CERT_AUTHORITY_INVALID) when not. */
  detail: string;
}

export const CHROMIUM = "/usr/bin/chromium";
export const FIREFOX = "/usr/bin/firefox-esr";

/** Loads `url` in headless Chromium with HOME=`home`. */
export async function chromiumLoad(home: string, url: string, env: NodeJS.ProcessEnv): Promise<PageLoad> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is required (apt install chromium)`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    env: { ...env, HOME: home },
    args: [...CHROMIUM_FLAGS],
    timeout: 30_000,
  });
  try {
    const page = await browser.newPage();
    const response = await page.goto(url, { timeout: 20_000 });
    return { loaded: response?.ok() === true, detail: (await page.textContent("body")) ?? "" };
  } catch (e) {
    return { loaded: false, detail: (e as Error).message.split("\n")[0] ?? "" };
  } finally {
    await browser.close();
  }
}

/** Loads `url` in headless Firefox ESR with HOME=`home` (its default profile), over WebDriver BiDi. */
export async function firefoxLoad(home: string, url: string, env: NodeJS.ProcessEnv): Promise<PageLoad> {
  if (!existsSync(FIREFOX)) throw new Error(`${FIREFOX} is required (apt install firefox-esr)`);
  const child = spawn(FIREFOX, ["--headless", "--remote-debugging-port", "0", "about:blank"], {
    env: { ...env, HOME: home },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const deadline = setTimeout(() => child.kill("SIGKILL"), 60_000);
  try {
    const endpoint = await new Promise<string>((resolve, reject) => {
      let said = "";
      const onData = (d: Buffer): void => {
        said += d.toString();
        const m = /WebDriver BiDi listening on (ws:\/\/\S+)/.exec(said);
        if (m?.[1]) resolve(m[1]);
      };
      child.stdout.on("data", onData);
      child.stderr.on("data", onData);
      child.once("exit", (code) =>
        reject(new Error(`firefox exited (${code}) before BiDi was up: ${said.slice(-800)}`)),
      );
    });
    const ws = new WebSocket(`${endpoint}/session`);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    let id = 0;
    const pending = new Map<number, (m: { error?: string; message?: string; result?: unknown }) => void>();
    ws.on("message", (raw: Buffer) => {
      const m = JSON.parse(raw.toString()) as { id?: number; error?: string; message?: string; result?: unknown };
      if (m.id !== undefined) pending.get(m.id)?.(m);
    });
    ws.on("close", () => {
      for (const settle of pending.values()) settle({ error: "the BiDi connection closed" });
      pending.clear();
    });
    const send = (method: string, params: object): Promise<{ error?: string; message?: string; result?: unknown }> =>
      new Promise((resolve) => {
        const n = ++id;
        pending.set(n, resolve);
        ws.send(JSON.stringify({ id: n, method, params }));
      });
    try {
      // acceptInsecureCerts stays false (the default): a certificate error fails the navigation.
      await send("session.new", { capabilities: {} });
      const tree = (await send("browsingContext.getTree", {})).result as { contexts: { context: string }[] };
      const context = tree.contexts[0]?.context ?? "";
      const nav = await send("browsingContext.navigate", { context, url, wait: "complete" });
      if (nav.error) return { loaded: false, detail: nav.message ?? nav.error };
      const text = await send("script.evaluate", {
        expression: "document.body ? document.body.innerText : ''",
        target: { context },
        awaitPromise: false,
      });
      const value = (text.result as { result?: { value?: string } } | undefined)?.result?.value ?? "";
      return { loaded: true, detail: value };
    } finally {
      await send("session.end", {}).catch(() => undefined);
      ws.close();
    }
  } finally {
    clearTimeout(deadline);
    child.kill("SIGTERM");
    const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once("exit", r)));
    clearTimeout(killer);
  }
}
