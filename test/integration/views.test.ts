/**
 * The native views' models in the real extension host: a port conflict said once (status, the
 * status bar item's accessible name, the Listeners view), the Routes view's nodes (the name as the
 * label, Enter runs Open in Browser, an invalid route kept with an error icon and Fix Route…).
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:net";
import * as vscode from "vscode";
import { getApi } from "./api";

const port = Number(process.env.SWITCHYARD_TEST_PORT);
const config = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration("switchyard");

const until = async (what: string, check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

function listen(server: Server, host: string, atPort: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port: atPort, ipv6Only: host.includes(":") }, () =>
      resolve((server.address() as { port: number }).port),
    );
  });
}

describe("the native views: one port conflict said once, route nodes", () => {
  after(async () => {
    await vscode.commands.executeCommand("switchyard.stopProxy");
    await config().update("proxy.listen", [`127.0.0.1:${port}`], vscode.ConfigurationTarget.Workspace);
    await config().update("proxy.routes", [], vscode.ConfigurationTarget.Workspace);
  });

  it("says a port in use on both loopback addresses once, in plain words for a screen reader too", async () => {
    const api = await getApi();
    await vscode.commands.executeCommand("switchyard.stopProxy");
    const v4 = createServer();
    const v6 = createServer();
    const taken = await listen(v4, "127.0.0.1", 0);
    await listen(v6, "::1", taken);
    try {
      await config().update(
        "proxy.listen",
        [`127.0.0.1:${taken}`, `[::1]:${taken}`],
        vscode.ConfigurationTarget.Workspace,
      );
      await vscode.commands.executeCommand("switchyard.startProxy");
      await until("the failed state", () => api.session.status().state === "error");
      const problems = api.session.status().problems;
      assert.equal(problems.length, 1, JSON.stringify(problems));
      const line = problems[0] ?? "";
      assert.match(line, new RegExp(`in use on 127\\.0\\.0\\.1:${taken} and \\[::1\\]:${taken}`));
      assert.equal(line.split(`127.0.0.1:${taken}`).length, 2, `the address once: ${line}`);
      const name = api.statusBar.accessibleName;
      assert.match(name, /^Switchyard proxy failed: port \d+ is already in use on /);
      assert.doesNotMatch(name, /\$\(|\*\*|\]\(/, "no icon ids or markdown");
      await vscode.commands.executeCommand("switchyard.listeners.focus");
      const failed = (): { label: string; description?: string }[] =>
        (api.trees.shown["switchyard.listeners"] ?? []).filter((n) => n.label.endsWith(`:${taken}`));
      await until("the Listeners view", () => failed().length === 2).catch((e: Error) => {
        const shown = (api.trees.shown["switchyard.listeners"] ?? []).map((n) => [n.label, n.description]);
        throw new Error(`${e.message}: ${JSON.stringify(shown)}`);
      });
      for (const n of failed()) {
        assert.match(n.description ?? "", /failed: port \d+ is already in use by /);
        assert.ok(!(n.description ?? "").includes(n.label), `${n.label} is not repeated in "${n.description}"`);
      }
    } finally {
      await vscode.commands.executeCommand("switchyard.stopProxy");
      v4.close();
      v6.close();
    }
  });

  it("shows each route by name with Open in Browser as its default command, and keeps an invalid one", async () => {
    const api = await getApi();
    await config().update("proxy.listen", [`127.0.0.1:${port}`], vscode.ConfigurationTarget.Workspace);
    await config().update(
      "proxy.routes",
      [
        { host: "bad.test", upstream: "3000" },
        { host: "good.test", upstream: "http://127.0.0.1:3000" },
      ],
      vscode.ConfigurationTarget.Workspace,
    );
    await vscode.commands.executeCommand("switchyard.routes.focus");
    await until("both routes in the view", () => (api.trees.shown["switchyard.routes"]?.length ?? 0) === 2);
    const [bad, good] = api.trees.shown["switchyard.routes"] ?? [];
    assert.equal(good?.label, "good.test");
    assert.equal(good?.description, `→ 127.0.0.1:3000 · port ${port}`);
    assert.equal(good?.command?.command, "switchyard.openInBrowser");
    assert.equal(good?.route?.index, 1, "its position in the setting as written");
    assert.equal(bad?.kind, "invalidRoute");
    assert.equal(bad?.label, "bad.test");
    assert.equal(bad?.icon?.id, "error");
    assert.match(bad?.description ?? "", /^ignored: /);
    assert.equal(bad?.command?.command, "switchyard.fixRoute");
    assert.equal(bad?.invalid?.upstream, "http://127.0.0.1:3000", "the correction Fix Route… offers");
  });
});
