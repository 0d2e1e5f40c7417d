import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
// @ts-expect-error: plain JS harness module shared with `npm start` and the integration runner
import { launchChromium } from "../harness/browser.mjs";
// @ts-expect-error: plain JS harness module shared with `npm start` and the integration runner
import { repoRoot } from "../harness/codeServer.mjs";
// @ts-expect-error: plain JS harness module shared with run.mjs and the VS Code harness
import { spawnGroup, stopGroup, trackGroup } from "../harness/processGroup.mjs";
import { screenshot } from "./workbench";

/** `npm start` as the README tells a newcomer to run it, on a machine without desktop VS Code. */
describe("npm start", () => {
  let child: ChildProcess;
  let output = "";
  let url: string;
  before(async () => {
    // Its own process group (npm start, its VS Code server and that server's children), ended
    // in `after` and also when this test process is stopped by a signal.
    child = spawnGroup(process.execPath, [join(repoRoot as string, "scripts", "start.mjs")], {
      cwd: repoRoot as string,
      env: {
        ...process.env,
        // 0: the VS Code server binds a free port itself and npm start prints it in the URL.
        SWITCHYARD_PORT: "0",
        SWITCHYARD_NO_DESKTOP: "1",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    trackGroup(child.pid);
    child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL within 400 s:\n${output.slice(-3000)}`)), 400_000);
      const look = (): void => {
        const m = /^\s+(http:\/\/127\.0\.0\.1:\d+\/\S*)$/m.exec(output);
        if (m) {
          clearTimeout(timer);
          resolve(m[1] as string);
        }
      };
      child.stdout?.on("data", look);
      child.once("exit", (code) => reject(new Error(`npm start exited (${code}) before printing a URL:\n${output}`)));
    });
  });
  after(async () => {
    if (child?.pid) await stopGroup(child.pid);
  });

  it("opens a fresh copy of the sample workspace, not the tracked fixture, and says where", () => {
    const said = /^Workspace: (\/\S+)$/m.exec(output)?.[1];
    assert.ok(said, `npm start names the folder it opens:\n${output.slice(0, 2000)}`);
    const fixture = join(repoRoot as string, "test", "fixtures", "sample-workspace");
    assert.notEqual(said, fixture);
    assert.equal(new URL(url).searchParams.get("folder"), said, "the URL opens that folder");
    const settings = join(".vscode", "settings.json");
    assert.equal(readFileSync(join(said, settings), "utf8"), readFileSync(join(fixture, settings), "utf8"));
  });

  it("prints a URL that opens the workbench with the packaged Switchyard active", async () => {
    assert.match(url, /\?folder=/);
    const { browser, close } = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.goto(url);
      await page.locator(".monaco-workbench").waitFor({ timeout: 60_000 });
      // The status bar item is the extension's own: it exists only once Switchyard has activated.
      const item = page.locator(".statusbar-item", { hasText: "Switchyard" }).first();
      await item.waitFor({ timeout: 90_000 });
      assert.match((await item.textContent()) ?? "", /Switchyard/);
      await screenshot(page, "npm-start-workbench.png");
    } finally {
      await close();
    }
  });
});
