import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { commandText } from "../../../extension/core/devservers/detector";
import { routeServing } from "../../../extension/core/devservers/servedBy";
import { uniqueServerHost } from "../../../extension/core/devservers/serverName";
import { onAutoForwardFor, vscodeAnnouncesPort } from "../../../extension/core/devservers/vscodePortNotice";

describe("what detection says about a dev server", () => {
  it("shows the whole command line, the program without its folder", () => {
    assert.equal(commandText("python3\0-m\0http.server\x005173\0"), "python3 -m http.server 5173");
    assert.equal(commandText("/usr/bin/node\0server.js\0--port\x003000\0"), "node server.js --port 3000");
    assert.equal(commandText("node\0-e\0require('x')\0a b\0"), "node -e require('x') \"a b\"");
    assert.equal(commandText(""), "");
    const long = commandText(`node\0${"x".repeat(500)}\0`);
    assert.equal(long.length, 200);
    assert.ok(long.endsWith("…"));
  });

  it("finds the route that already sends requests to the server's socket", () => {
    const routes = [
      { host: "other.test", upstream: "http://localhost:3000" },
      { host: "my-awesome-service.test", upstream: "http://localhost:5173" },
    ];
    assert.equal(
      routeServing({ port: 5173, upstream: "http://127.0.0.1:5173" }, routes)?.host,
      "my-awesome-service.test",
    );
    assert.equal(routeServing({ port: 5173, upstream: "http://[::1]:5173" }, routes)?.host, "my-awesome-service.test");
    assert.equal(routeServing({ port: 5174, upstream: "http://127.0.0.1:5174" }, routes), undefined);
  });

  it("matches an address-pinned route only to a server of that loopback family", () => {
    const v4 = [{ host: "a.test", upstream: "http://127.0.0.1:8080/app" }];
    const v6 = [{ host: "b.test", upstream: "http://[::1]:8080" }];
    assert.equal(routeServing({ port: 8080, upstream: "http://127.0.0.1:8080" }, v4)?.host, "a.test");
    assert.equal(routeServing({ port: 8080, upstream: "http://[::1]:8080" }, v4), undefined);
    assert.equal(routeServing({ port: 8080, upstream: "http://[::1]:8080" }, v6)?.host, "b.test");
    // A route to another machine, or one with no port, is not this server.
    assert.equal(
      routeServing({ port: 80, upstream: "http://127.0.0.1:80" }, [{ host: "c.test", upstream: "http://10.0.0.2" }]),
      undefined,
    );
    assert.equal(
      routeServing({ port: 443, upstream: "http://127.0.0.1:443" }, [{ host: "d.test", upstream: "https://localhost" }])
        ?.host,
      "d.test",
    );
    assert.equal(
      routeServing({ port: 3000, upstream: "http://127.0.0.1:3000" }, [{ host: "e.test", upstream: "not a url" }]),
      undefined,
    );
  });

  it("gives each server its own name: the app's, then the port beside it", () => {
    assert.equal(uniqueServerHost("shop", 5173, []), "shop.localhost");
    assert.equal(uniqueServerHost("shop", 5174, ["shop.localhost"]), "shop-5174.localhost");
    assert.equal(uniqueServerHost("shop", 5174, ["SHOP.localhost", "shop-5174.localhost"]), "shop-5174-2.localhost");
    assert.equal(uniqueServerHost("shop.test", 8000, ["shop.test"]), "shop-8000.test");
    const long = "a".repeat(63);
    const named = uniqueServerHost(long, 65535, [`${long}.localhost`]);
    assert.equal(named, `${"a".repeat(57)}-65535.localhost`);
    assert.throws(() => uniqueServerHost("no spaces", 1, []), /cannot be a host name/);
  });

  it("knows when VS Code's port forwarding shows its own toast for the port", () => {
    const remote = { remote: true };
    assert.equal(vscodeAnnouncesPort(5173, "python3 -m http.server 5173", remote), true);
    assert.equal(vscodeAnnouncesPort(5173, "", { remote: false }), false, "a local window forwards nothing");
    assert.equal(vscodeAnnouncesPort(5173, "", { remote: true, autoForwardPorts: false }), false);
    assert.equal(
      vscodeAnnouncesPort(5173, "", { remote: true, otherPortsAttributes: { onAutoForward: "silent" } }),
      false,
    );
    assert.equal(
      vscodeAnnouncesPort(5173, "", { remote: true, portsAttributes: { "5000-6000": { onAutoForward: "ignore" } } }),
      false,
    );
  });

  it("resolves remote.portsAttributes as VS Code does: the exact port, then ranges and command patterns, then the rest", () => {
    const portsAttributes = {
      "http\\.server": { onAutoForward: "silent" },
      "5173": { onAutoForward: "openBrowser" },
      "8443": { protocol: "https" },
    };
    const settings = { remote: true, portsAttributes, otherPortsAttributes: { onAutoForward: "ignore" } };
    assert.equal(onAutoForwardFor(5173, "python3 -m http.server 5173", settings), "openBrowser");
    assert.equal(onAutoForwardFor(8000, "python3 -m http.server 8000", settings), "silent");
    // An entry that applies without onAutoForward replaces otherPortsAttributes: VS Code notifies.
    assert.equal(onAutoForwardFor(8443, "node proxy.js", settings), "notify");
    assert.equal(onAutoForwardFor(9000, "node server.js", settings), "ignore");
    assert.equal(
      onAutoForwardFor(9000, "node", { remote: true, portsAttributes: { "(": { onAutoForward: "x" } } }),
      "notify",
    );
  });
});
