import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import {
  DevServerDetector,
  labelForCommand,
  suggestAppName,
  type DetectedServer,
} from "../../../extension/core/devservers/detector";

const VITE = join(__dirname, "..", "..", "..", "node_modules", "vite", "bin", "vite.js");

describe("noticing dev servers started under a watched process", () => {
  it("names frameworks from their command line, and anything else by its command", () => {
    assert.equal(labelForCommand(`/usr/bin/node\0${VITE}\0--port\0 5173`), "Vite");
    assert.equal(labelForCommand("node /app/node_modules/.bin/next dev"), "Next.js");
    assert.equal(
      labelForCommand("node node_modules/webpack-dev-server/bin/webpack-dev-server.js"),
      "webpack-dev-server",
    );
    assert.equal(labelForCommand("/usr/bin/node\0server.js"), "node server.js");
    assert.equal(labelForCommand("/usr/bin/node\0/x/bin/switchyard.js\0serve"), "Switchyard");
  });

  it("suggests a host label from package.json's name or the folder", () => {
    assert.equal(suggestAppName("ignored", "@acme/My_Shop"), "my-shop");
    assert.equal(suggestAppName("My Project!"), "my-project");
    assert.equal(suggestAppName("---"), "app");
  });

  it("reports a real Vite started in a watched shell, and reports it gone when it stops", async (t) => {
    if (process.platform !== "linux") return t.skip("reads /proc");
    // A shell standing in for a VS Code terminal; the dev server is its child, as when typed there.
    const shell = spawn(
      "sh",
      ["-c", `"${process.execPath}" "${VITE}" --port 0 --strictPort false --host 127.0.0.1; sleep 30`],
      {
        cwd: join(__dirname, "..", "..", "fixtures", "sample-workspace"),
        stdio: "ignore",
      },
    );
    const detector = new DevServerDetector({ intervalMs: 100 });
    try {
      const found = once(detector, "found") as Promise<[DetectedServer]>;
      detector.watch(shell.pid!);
      const [server] = await Promise.race([
        found,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error("no dev server found in 30 s")), 30_000)),
      ]);
      assert.equal(server.rootPid, shell.pid);
      assert.equal(server.label, "Vite");
      assert.ok(server.port > 0 && server.pid !== shell.pid);
      const gone = once(detector, "gone") as Promise<[DetectedServer]>;
      process.kill(server.pid, "SIGTERM");
      const [left] = await gone;
      assert.equal(left.port, server.port);
      assert.deepEqual(detector.servers(), []);
    } finally {
      detector.dispose();
      shell.kill("SIGKILL");
    }
  });
});
