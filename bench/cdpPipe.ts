/**
 * Chromium driven over its DevTools pipe with nothing but Target, Page.navigate/reload and
 * Runtime.evaluate: no Network domain. Playwright enables the Network domain on every page, and
 * then Chromium reports each request to the driver (the browser process and the renderer spend
 * about 3 CPU-seconds on it per 1,000-module load on this machine, more than Vite and the proxy
 * together), so a page-load row measured through Playwright is bound by the instrumentation, not
 * by what the user waits for. This driver leaves the page as a user's browser runs it.
 *
 * `--remote-debugging-pipe`: commands are JSON written to fd 3, replies and events are read from
 * fd 4, each message ending in a NUL byte.
 */
import { spawn, type ChildProcess } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import type { ProcessGroup } from "./processes";
import CHROMIUM_FLAGS from "../test/harness/chromium-flags.json";

const CHROMIUM = "/usr/bin/chromium";

interface Pending {
  resolve(value: Record<string, unknown>): void;
  reject(error: Error): void;
}

/** One Chromium process; each `page()` is a new browser context (a fresh profile's state). */
export class PipeBrowser {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private buffered = "";

  private constructor(
    readonly child: ChildProcess,
    private readonly input: Writable,
  ) {
    const output = child.stdio[4] as Readable;
    output.setEncoding("utf8");
    output.on("data", (chunk: string) => this.read(chunk));
    child.once("exit", () => {
      for (const p of this.pending.values()) p.reject(new Error("Chromium exited"));
      this.pending.clear();
    });
  }

  /**
   * Launches headless Chromium with HOME=`home` and every name in `names` resolving to 127.0.0.1,
   * in `group` (which ends it with the bench's other processes, also when the bench is killed).
   */
  static launch(group: ProcessGroup, home: string, names: string[]): PipeBrowser {
    const rules = names.map((n) => `MAP ${n} 127.0.0.1`).join(",");
    const child = spawn(
      CHROMIUM,
      [
        "--headless",
        ...CHROMIUM_FLAGS,
        "--remote-debugging-pipe",
        `--host-resolver-rules=${rules}`,
        `--user-data-dir=${home}/chromium-profile`,
        "about:blank",
      ],
      { env: { ...process.env, HOME: home }, stdio: ["ignore", "ignore", "ignore", "pipe", "pipe"], detached: true },
    );
    group.adopt("chromium", child);
    return new PipeBrowser(child, child.stdio[3] as Writable);
  }

  /** Sends one command (to the browser, or to an attached page's session); resolves with its result. */
  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    const message = JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) });
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.input.write(`${message}\0`);
    });
  }

  /** A new browser context with one page in it, attached. */
  async page(): Promise<PipePage> {
    const { browserContextId } = (await this.send("Target.createBrowserContext")) as { browserContextId: string };
    const { targetId } = (await this.send("Target.createTarget", { url: "about:blank", browserContextId })) as {
      targetId: string;
    };
    const { sessionId } = (await this.send("Target.attachToTarget", { targetId, flatten: true })) as {
      sessionId: string;
    };
    return new PipePage(this, sessionId, browserContextId);
  }

  /** Ends Chromium (its whole process group). */
  close(): void {
    try {
      process.kill(-this.child.pid!, "SIGKILL");
    } catch {
      // already gone
    }
  }

  private read(chunk: string): void {
    this.buffered += chunk;
    let end: number;
    while ((end = this.buffered.indexOf("\0")) !== -1) {
      const message = JSON.parse(this.buffered.slice(0, end)) as {
        id?: number;
        result?: Record<string, unknown>;
        error?: { message: string };
      };
      this.buffered = this.buffered.slice(end + 1);
      if (message.id === undefined) continue; // an event: none is enabled but target ones
      const p = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error) p?.reject(new Error(message.error.message));
      else p?.resolve(message.result ?? {});
    }
  }
}

/** One page in its own browser context. */
export class PipePage {
  constructor(
    private readonly browser: PipeBrowser,
    private readonly sessionId: string,
    private readonly contextId: string,
  ) {}

  /** Evaluates `expression` in the page (awaiting a promise it returns); its JSON value. */
  async evaluate(expression: string): Promise<unknown> {
    const reply = (await this.browser.send(
      "Runtime.evaluate",
      { expression, awaitPromise: true, returnByValue: true },
      this.sessionId,
    )) as { result?: { value?: unknown }; exceptionDetails?: { text: string } };
    if (reply.exceptionDetails) throw new Error(`in the page: ${reply.exceptionDetails.text}`);
    return reply.result?.value;
  }

  /** Navigates to `url`; resolves once the page at `url` (not the one before) has fired load. */
  async goto(url: string, timeoutMs: number): Promise<void> {
    await this.browser.send("Page.navigate", { url }, this.sessionId);
    await this.loaded(timeoutMs);
  }

  /** Reloads (the browser revalidates what it cached); resolves once the new document fired load. */
  async reload(timeoutMs: number): Promise<void> {
    const before = await this.evaluate("performance.timeOrigin");
    await this.browser.send("Page.reload", {}, this.sessionId);
    await this.loaded(timeoutMs, before as number);
  }

  /** Closes the page's browser context. */
  async close(): Promise<void> {
    await this.browser.send("Target.disposeBrowserContext", { browserContextId: this.contextId });
  }

  /**
   * Polls (every 100 ms, bounded by `timeoutMs`) until the current document is not about:blank,
   * is not the document with time origin `previous`, and has fired load.
   */
  private async loaded(timeoutMs: number, previous?: number): Promise<void> {
    const check = `(() => location.href !== "about:blank" && performance.timeOrigin !== ${previous ?? -1} &&
      (performance.getEntriesByType("navigation")[0]?.loadEventEnd ?? 0) > 0)()`;
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      if ((await this.evaluate(check).catch(() => false)) === true) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the page did not finish loading within ${timeoutMs} ms`);
  }
}
