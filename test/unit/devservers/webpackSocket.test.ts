import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { labelForCommand } from "../../../extension/core/devservers/detector";
import { devServerEnv } from "../../../extension/core/devservers/devServerEnv";
import { webpackSocketAdvice } from "../../../extension/core/devservers/webpackSocket";

describe("webpack-dev-server's hot-reload socket behind the proxy", () => {
  it("tells CRA's and Vue CLI's client the proxy's port through WDS_SOCKET_PORT", () => {
    assert.equal(devServerEnv({ host: "shop.localhost", port: 4000, proxyPort: 8443 }).WDS_SOCKET_PORT, "8443");
    assert.equal("WDS_SOCKET_PORT" in devServerEnv({ host: "shop.localhost", port: 4000 }), false);
  });

  it("names the one setting for webpack-dev-server on its own, seen by its command line", () => {
    for (const cmdline of [
      "node\0/app/node_modules/.bin/webpack\0serve\0--mode\0development",
      "node\0/app/node_modules/webpack-dev-server/bin/webpack-dev-server.js",
      "node\0/app/node_modules/.bin/webpack-dev-server",
    ]) {
      const advice = webpackSocketAdvice(labelForCommand(cmdline), "shop.localhost");
      assert.ok(advice, cmdline);
      assert.match(advice, /wss:\/\/shop\.localhost:PORT\/ws/);
      assert.match(advice, /devServer\.client\.webSocketURL to "auto:\/\/0\.0\.0\.0:0\/ws"/);
      assert.match(advice, /--client-web-socket-url auto:\/\/0\.0\.0\.0:0\/ws/);
    }
  });

  it("says nothing for Create React App (WDS_SOCKET_PORT is enough there) or other servers", () => {
    assert.equal(
      webpackSocketAdvice(labelForCommand("node\0/app/node_modules/react-scripts/scripts/start.js"), "a.localhost"),
      undefined,
    );
    assert.equal(webpackSocketAdvice(labelForCommand("node\0/app/node_modules/.bin/vite"), "a.localhost"), undefined);
  });
});
