import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as vscode from "vscode";
import { getApi } from "./api";
import { httpsGet } from "./httpsGet";

async function until(check: () => boolean | Promise<boolean>, ms = 20_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("dev servers found in VS Code", function () {
  this.timeout(90_000);
  const config = () => vscode.workspace.getConfiguration("switchyard");

  after(async () => {
    await config().update("devServers.autoRoute", undefined, vscode.ConfigurationTarget.Workspace);
    await config().update("devServers.name", undefined, vscode.ConfigurationTarget.Workspace);
  });

  it("routes a server a task starts to https://NAME.localhost, the task's environment trusts the root, and the route goes when the task ends", async () => {
    const api = await getApi();
    await api.session.startProxy();
    await config().update("devServers.name", "itshop", vscode.ConfigurationTarget.Workspace);
    await config().update("devServers.autoRoute", true, vscode.ConfigurationTarget.Workspace);
    await until(() => api.session.currentSettings.devServers.autoRoute, 10_000, "the settings apply");
    // Terminals and tasks started from now on carry the root (the CA exists once the proxy runs).
    const work = mkdtempSync(join(tmpdir(), "switchyard-task-"));
    const envFile = join(work, "env.txt");
    const script = join(work, "server.js");
    writeFileSync(
      script,
      `require("fs").writeFileSync(${JSON.stringify(envFile)}, process.env.NODE_EXTRA_CA_CERTS || "unset");\n` +
        `require("http").createServer((q, s) => s.end("from the task " + q.url)).listen(0, "127.0.0.1");\n`,
    );
    const task = new vscode.Task(
      { type: "shell", id: "switchyard-dev-server" },
      vscode.TaskScope.Workspace,
      "dev server",
      "switchyard-test",
      new vscode.ShellExecution(`"${process.execPath}" "${script}"`, { env: { ELECTRON_RUN_AS_NODE: "1" } }),
    );
    const execution = await vscode.tasks.executeTask(task);
    try {
      await until(
        () => api.session.routes().some((r) => r.host === "itshop.localhost" && r.source === "detected"),
        30_000,
        "the task's server is routed",
      );
      const answer = await httpsGet("itshop.localhost", "/hello");
      assert.equal(answer.status, 200);
      assert.equal(answer.body, "from the task /hello");
      await until(() => existsSync(envFile), 10_000, "the task wrote its environment");
      const rootFile = join(api.session.caDirectory(), "root.pem");
      const named = readFileSync(envFile, "utf8");
      const bodyOf = (pem: string): string => pem.replace(/-----[A-Z ]+-----|\s/g, "");
      assert.ok(bodyOf(readFileSync(named, "utf8")).includes(bodyOf(readFileSync(rootFile, "utf8"))), named);
      // The window's own NODE_EXTRA_CA_CERTS (here the machine's) is kept beside the root.
      const own = process.env.NODE_EXTRA_CA_CERTS;
      if (own) {
        const first = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(
          readFileSync(own, "utf8"),
        )?.[0];
        assert.ok(first && bodyOf(readFileSync(named, "utf8")).includes(bodyOf(first)), "the user's roots are kept");
      } else assert.equal(named, rootFile);
    } finally {
      execution.terminate();
    }
    await until(
      () => !api.session.routes().some((r) => r.host === "itshop.localhost"),
      20_000,
      "the route goes when the task ends",
    );
  });
});
