/**
 * Dev servers typed into the real workbench's integrated terminal: each is announced once, by
 * VS Code (its port forwarding, in this remote window) or by Switchyard, never by both; a server
 * on a port a route already serves is "NAME is up", not a new offer; two servers get two names; the
 * toast shows the whole command and the address it listens on.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Page } from "playwright-core";
import { listeningSocketsOfTree } from "../../extension/core/devservers/treeSockets";
import { openWorkbench, runCommand, screenshot, type Workbench } from "./workbench";

/** A python3 http.server started in a terminal, found by its unique directory. */
interface TerminalServer {
  pid: number;
  port: number;
  command: string;
}

async function until<T>(what: string, ms: number, check: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * The python process whose command line holds `marker` (a temp folder only that server was given),
 * and that command line as a person reads it. `python3` may be a shim (pyenv) that execs the real
 * interpreter, whose argv[0] is then a path such as /root/.pyenv/versions/3.12.1/bin/python3.12.
 */
function serverWith(marker: string): { pid: number; command: string } | undefined {
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const args = readFileSync(`/proc/${name}/cmdline`, "utf8")
        .split("\0")
        .filter((a) => a !== "");
      const program = args[0]?.replace(/^.*\//, "") ?? "";
      if (/^python3(\.\d+)?$/.test(program) && args.includes(marker))
        return { pid: Number(name), command: [program, ...args.slice(1)].join(" ") };
    } catch {
      /* gone meanwhile */
    }
  }
  return undefined;
}

/** Types `python3 -m http.server 0 …` into a new terminal; the server picks its port, read back from /proc. */
async function startInTerminal(page: Page, dir: string): Promise<TerminalServer> {
  await runCommand(page, "Terminal: Create New Terminal");
  await page.locator(".terminal-wrapper.active .xterm").first().waitFor({ timeout: 30_000 });
  const typed = `python3 -m http.server 0 --bind 127.0.0.1 --directory ${dir}`;
  // Keys typed before the shell's first prompt can be lost: type again, a bounded number of times.
  let found: { pid: number; command: string } | undefined;
  for (let attempt = 0; attempt < 4 && found === undefined; attempt++) {
    await page.locator(".terminal-wrapper.active .xterm").first().click();
    await page.keyboard.type(`${typed}\n`);
    found = await until(`the server in ${dir} started`, 10_000, () => serverWith(dir)).catch(() => undefined);
  }
  if (found === undefined) {
    await screenshot(page, "dev-server-terminal-failed.png");
    throw new Error(`the server typed into the terminal did not start: ${typed}`);
  }
  const { pid, command } = found;
  assert.ok(command.endsWith(typed.slice("python3".length)), command);
  const port = await until(`the server in ${dir} listens`, 30_000, async () => {
    const sockets = await listeningSocketsOfTree(pid);
    return sockets.find((s) => s.address === "127.0.0.1")?.port;
  });
  return { pid, port, command };
}

/**
 * The text of every notification VS Code holds, read in the Notifications center: with the smoke
 * test driver on (how the harness loads the extension under development) VS Code shows no toasts,
 * and each notification that would have been a toast is listed there.
 */
async function notificationTexts(page: Page, waitFor?: string, shot?: string): Promise<string[]> {
  await runCommand(page, "Notifications: Show Notifications");
  const center = page.locator(".notifications-center");
  await center.waitFor({ state: "visible", timeout: 15_000 });
  if (waitFor)
    await center.locator(".notification-list-item-message", { hasText: waitFor }).first().waitFor({ timeout: 40_000 });
  const texts = await center.locator(".notification-list-item-message").allInnerTexts();
  if (shot) await screenshot(page, shot);
  await runCommand(page, "Notifications: Hide Notifications");
  return texts.map((t) => t.replace(/\s+/g, " ").trim());
}

function writeSettings(wb: Workbench, change: Record<string, unknown>): void {
  const file = join(wb.workspace, ".vscode", "settings.json");
  const current = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  writeFileSync(file, JSON.stringify({ ...current, ...change }, null, 2));
}

describe("dev servers typed into the integrated terminal", () => {
  let wb: Workbench;
  let dirs: string;
  const servers: TerminalServer[] = [];

  before(async () => {
    dirs = mkdtempSync(join(tmpdir(), "switchyard-devservers-"));
    wb = await openWorkbench({ settings: { "switchyard.proxy.listen": ["127.0.0.1:0"] } });
  });
  after(async () => {
    // Terminal processes have their own sessions: VS Code's server going does not take them.
    for (const s of servers) {
      try {
        process.kill(s.pid, "SIGTERM");
      } catch {
        /* already gone */
      }
    }
    await wb?.close();
    if (dirs) rmSync(dirs, { recursive: true, force: true });
  });

  it("announces a server once: where VS Code forwards the port and shows its toast, Switchyard adds none", async () => {
    // This window is remote (a VS Code server in a browser) and remote.autoForwardPorts is on.
    const dir = mkdtempSync(join(dirs, "forwarded-"));
    const server = await startInTerminal(wb.page, dir);
    servers.push(server);
    // Switchyard noticed it: it says so in the status bar instead of a second toast.
    const message = wb.page.locator(".statusbar-item", { hasText: `on 127.0.0.1:${server.port}` }).first();
    await message.waitFor({ timeout: 30_000 });
    const said = await message.innerText();
    assert.ok(said.includes(`Switchyard: ${server.command} on 127.0.0.1:${server.port}`), said);
    // VS Code forwarded it (the Ports view's badge); give its toast time to appear.
    await new Promise((r) => setTimeout(r, 5000));
    const texts = (await notificationTexts(wb.page)).filter((t) => t.includes(String(server.port)));
    assert.equal(
      texts.filter((t) => /Switchyard/.test(t)).length,
      0,
      `Switchyard adds no toast: ${JSON.stringify(texts)}`,
    );
    assert.ok(texts.length <= 1, `at most one toast for the server: ${JSON.stringify(texts)}`);
  });

  it("says NAME is up for a server on a port a route already serves, and adds no second route", async () => {
    // Detection off while the server starts, so that its port can be put into a route first.
    writeSettings(wb, { "switchyard.devServers.detect": false, "remote.autoForwardPorts": false });
    const dir = mkdtempSync(join(dirs, "routed-"));
    const server = await startInTerminal(wb.page, dir);
    servers.push(server);
    const route = { host: "my-awesome-service.test", upstream: `http://127.0.0.1:${server.port}` };
    writeSettings(wb, { "switchyard.proxy.routes": [route], "switchyard.devServers.detect": true });
    const texts = (await notificationTexts(wb.page, "my-awesome-service.test is up", "dev-server-is-up.png")).filter(
      (t) => t.includes(String(server.port)),
    );
    assert.deepEqual(
      texts,
      [`my-awesome-service.test is up: ${server.command} is listening on 127.0.0.1:${server.port}.`],
      "one notification, with the whole command and the address, and no offer of a new name",
    );
    const settings = JSON.parse(readFileSync(join(wb.workspace, ".vscode", "settings.json"), "utf8")) as Record<
      string,
      unknown
    >;
    assert.deepEqual(settings["switchyard.proxy.routes"], [route], "no second route to the same port");
  });

  it("offers two servers two different names, each toast with its whole command", async () => {
    const first = await startInTerminal(wb.page, mkdtempSync(join(dirs, "first-")));
    servers.push(first);
    const second = await startInTerminal(wb.page, mkdtempSync(join(dirs, "second-")));
    servers.push(second);
    const offers = await until("both servers were offered", 60_000, async () => {
      const all = await notificationTexts(wb.page);
      const found = [first, second].map((s) => all.find((t) => t.includes(`127.0.0.1:${s.port}:`)));
      return found.every((t) => t !== undefined) ? (found as string[]) : undefined;
    });
    const names = offers.map((t, i) => {
      const s = [first, second][i];
      assert.ok(
        t.startsWith(`${s.command} is listening on 127.0.0.1:${s.port}: open https://`),
        `the whole command and the address: ${t}`,
      );
      return /open https:\/\/([^\s]+) through Switchyard\?/.exec(t)?.[1];
    });
    assert.ok(names[0] && names[1], JSON.stringify(offers));
    assert.notEqual(names[0], names[1], "two servers, two names");
    assert.ok(!names.includes("my-awesome-service.test"), "not a name a route already uses");
    const texts = await notificationTexts(wb.page, undefined, "dev-server-offers.png");
    for (const s of [first, second])
      assert.equal(texts.filter((t) => t.includes(`127.0.0.1:${s.port}`)).length, 1, `one toast for port ${s.port}`);
  });
});
