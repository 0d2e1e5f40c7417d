import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { createServer as createHttpServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import * as vscode from "vscode";
import { getApi } from "./api";

const port = Number(process.env.SWITCHYARD_TEST_PORT);
const config = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration("switchyard");

const until = async (what: string, check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

/** A TLS handshake to the proxy for `host`, trusting only `rootFile`; resolves with the HTTP status. */
function get(host: string, rootFile: string, atPort = port): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect(
      { host: "127.0.0.1", port: atPort, servername: host, ca: readFileSync(rootFile), ALPNProtocols: ["http/1.1"] },
      () => socket.write(`GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`),
    );
    let data = "";
    socket.setEncoding("utf8");
    socket.on("data", (d) => (data += d));
    socket.on("end", () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1])));
    socket.on("error", reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error("timed out")));
  });
}

function listen(server: Server, host: string, atPort = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port: atPort, ipv6Only: host.includes(":") }, () =>
      resolve((server.address() as { port: number }).port),
    );
  });
}

describe("honest proxy states, routes without JSON, and the CA reload", () => {
  let app: ReturnType<typeof createHttpServer>;
  let appPort: number;
  const caDirBefore = process.env.SWITCHYARD_CAROOT ?? "";

  before(async () => {
    await vscode.commands.executeCommand("switchyard.stopProxy");
    app = createHttpServer((req, res) => res.end(`states-app ${req.url}`));
    await new Promise<void>((r) => app.listen(0, "127.0.0.1", r));
    appPort = (app.address() as { port: number }).port;
    await config().update("proxy.routes", [], vscode.ConfigurationTarget.Workspace);
  });
  after(async () => {
    await vscode.commands.executeCommand("switchyard.stopProxy");
    await config().update("proxy.listen", [`127.0.0.1:${port}`], vscode.ConfigurationTarget.Workspace);
    await config().update("proxy.routes", [], vscode.ConfigurationTarget.Workspace);
    await config().update("ca.directory", undefined, vscode.ConfigurationTarget.Global);
    app?.close();
  });

  it("Add Route writes the workspace setting, the route works, and the status bar tooltip lists it", async () => {
    const api = await getApi();
    await vscode.commands.executeCommand("switchyard.addRoute", `http://127.0.0.1:${appPort}`, "added.test");
    const routes = config().inspect<{ host: string; upstream: string }[]>("proxy.routes")?.workspaceValue ?? [];
    assert.deepEqual(routes, [{ host: "added.test", upstream: `http://127.0.0.1:${appPort}` }]);
    await until("the session to read the route", () => api.session.routes().length === 1);
    assert.equal(api.session.routes()[0]?.url, `https://added.test:${port}/`, "the URL keeps the port while off");
    assert.match(api.statusBar.tooltip, new RegExp(`added\\\\?\\.test:${port}`));
    await vscode.commands.executeCommand("switchyard.startProxy");
    assert.equal(await get("added.test", join(caDirBefore, "root.pem")), 200);
  });

  it("Edit Route and Remove Route change the setting by position", async () => {
    await vscode.commands.executeCommand("switchyard.addRoute", `http://127.0.0.1:${appPort}`, "second.test");
    await vscode.commands.executeCommand("switchyard.removeRoute", 0);
    const routes = config().inspect<{ host: string }[]>("proxy.routes")?.workspaceValue ?? [];
    assert.deepEqual(
      routes.map((r) => r.host),
      ["second.test"],
    );
  });

  it("two starts at once (status bar and panel) start one proxy", async () => {
    const api = await getApi();
    await vscode.commands.executeCommand("switchyard.stopProxy");
    const [a, b] = (await Promise.all([
      vscode.commands.executeCommand("switchyard.startProxy"),
      vscode.commands.executeCommand("switchyard.startProxy"),
    ])) as { state: string }[][];
    assert.deepEqual(
      a?.map((x) => x.state),
      ["listening"],
    );
    assert.deepEqual(b, a, "the second caller joined the first start");
    assert.equal(api.session.state, "on");
    assert.ok(
      api.session.bindings().every((x) => x.state === "listening"),
      JSON.stringify(api.session.bindings()),
    );
  });

  it("a CA setting that changes while the proxy runs switches its certificates to the new CA", async () => {
    const api = await getApi();
    const fresh = mkdtempSync(join(tmpdir(), "switchyard-it-ca-"));
    await config().update("ca.directory", fresh, vscode.ConfigurationTarget.Global);
    await until("the new CA to be created", () => {
      try {
        readFileSync(join(fresh, "root.pem"));
        return true;
      } catch {
        return false;
      }
    });
    await until("the proxy to serve leaves of the new CA", async () =>
      get("second.test", join(fresh, "root.pem")).then(
        (s) => s === 200,
        () => false,
      ),
    );
    await assert.rejects(get("second.test", join(caDirBefore, "root.pem")), /issuer|unable to get|self.signed/i);
    assert.equal(api.session.state, "on");
  });

  it("shows a port taken on 127.0.0.1 only as partly listening everywhere, and a click offers the fix", async () => {
    const api = await getApi();
    const blocker = createServer();
    const taken = await listen(blocker, "127.0.0.1");
    try {
      await config().update(
        "proxy.listen",
        [`127.0.0.1:${taken}`, `[::1]:${taken}`],
        vscode.ConfigurationTarget.Workspace,
      );
      await until("a partial state", () => api.session.state === "partial");
      assert.equal(
        api.statusBar.command,
        "switchyard.showProxyProblem",
        "a click offers Retry / Change Port / Show Log",
      );
      assert.match(api.statusBar.text, /\$\(warning\)/);
      const snapshot = await api.panelModel.snapshot();
      assert.equal(snapshot.proxy.state, "partial", "the panel header says the same");
      assert.match(snapshot.proxy.error ?? "", new RegExp(`127\\.0\\.0\\.1:${taken}`));
      await vscode.commands.executeCommand("switchyard.listeners.focus");
      await until("the Listeners view", () => (api.trees.shown["switchyard.listeners"]?.length ?? 0) > 0);
      const listeners = api.trees.shown["switchyard.listeners"] ?? [];
      assert.ok(
        listeners.some((n) => n.label === `127.0.0.1:${taken}` && /failed/.test(n.description ?? "")),
        JSON.stringify(listeners.map((n) => [n.label, n.description])),
      );
    } finally {
      blocker.close();
    }
  });

  it("an invalid route edited live is reported as a panel problem, the valid ones still apply", async () => {
    const api = await getApi();
    await config().update(
      "proxy.routes",
      [
        { host: "good.test", upstream: `http://127.0.0.1:${appPort}` },
        { host: "bad.test", upstream: "localhost:3000" },
      ],
      vscode.ConfigurationTarget.Workspace,
    );
    await until("the problem", () => api.session.problems.length > 0);
    const snapshot = await api.panelModel.snapshot();
    assert.deepEqual(
      snapshot.settingsProblems?.map((p) => p.key),
      ["switchyard.proxy.routes"],
    );
    assert.match(
      snapshot.settingsProblems?.[0]?.message ?? "",
      /"localhost:3000" must start with http:\/\/ or https:\/\//,
    );
    assert.deepEqual(
      api.session.routes().map((r) => r.host),
      ["good.test"],
    );
  });
});
