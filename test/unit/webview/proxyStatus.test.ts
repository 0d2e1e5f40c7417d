import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { BindingRecord } from "../../../extension/core/proxy/records/records";
import { failureLines, proxyStatus } from "../../../extension/vscode/proxyStatus";
import { configuredTlsPort, routeView } from "../../../extension/vscode/views";

const binding = (address: string, state: BindingRecord["state"], reason?: string): BindingRecord => ({
  spec: "localhost:8443",
  address,
  family: address.includes(":") ? 6 : 4,
  port: 8443,
  role: "tls+http",
  state,
  ...(reason ? { reason } : {}),
});

describe("the proxy state every view shows", () => {
  it("is partial, not on, when one address of a spec failed, and names the failed address", () => {
    const s = proxyStatus({
      starting: false,
      running: true,
      bindings: [binding("127.0.0.1", "failed", "port 8443 is in use by nginx"), binding("::1", "listening")],
    });
    assert.equal(s.state, "partial");
    assert.deepEqual(s.ports, [8443]);
    assert.deepEqual(s.problems, ["127.0.0.1:8443: port 8443 is in use by nginx"]);
    assert.equal(s.summary, "partly listening at :8443 (1 address failed)");
  });

  it("is error when nothing listens, and on when everything does", () => {
    assert.equal(
      proxyStatus({ starting: false, running: true, bindings: [binding("127.0.0.1", "failed", "in use")] }).state,
      "error",
    );
    const on = proxyStatus({ starting: false, running: true, bindings: [binding("127.0.0.1", "listening")] });
    assert.equal(on.state, "on");
    assert.equal(on.summary, "on at :8443");
  });

  it("reports a failed start with its reason, and a stopped proxy as off", () => {
    const failed = proxyStatus({ starting: false, running: false, startError: "the CA is damaged", bindings: [] });
    assert.deepEqual([failed.state, failed.problems], ["error", ["the CA is damaged"]]);
    assert.equal(proxyStatus({ starting: false, running: false, bindings: [] }).state, "off");
    assert.equal(proxyStatus({ starting: true, running: false, bindings: [] }).state, "starting");
  });

  it("names a spec that resolved to nothing by its spec", () => {
    const s = proxyStatus({
      starting: false,
      running: true,
      bindings: [
        { ...binding("", "failed", "no interface eth9"), spec: "eth9:8443", port: 0 },
        binding("::1", "listening"),
      ],
    });
    assert.deepEqual(s.problems, ["eth9:8443: no interface eth9"]);
  });
});

describe("route URLs", () => {
  it("keep the configured port while the proxy is off", () => {
    const route = {
      host: "my-awesome-service.test",
      upstream: "http://localhost:3000",
      redirect: true,
      passthrough: false,
      rewriteHost: false,
      insecureUpstream: false,
    };
    assert.equal(configuredTlsPort(["localhost:8443"]), 8443);
    assert.equal(configuredTlsPort(["[::1]:9443"]), 9443);
    assert.equal(routeView(route, configuredTlsPort(["localhost:8443"])).url, "https://my-awesome-service.test:8443/");
    assert.equal(routeView(route, 443).url, "https://my-awesome-service.test/");
  });
});

describe("failed addresses said once", () => {
  it("does not repeat an address the reason already names, and joins addresses that failed the same way", () => {
    const inUse = (address: string, where: string): BindingRecord =>
      binding(address, "failed", `port 8443 is already in use on ${where} by node (pid 7)`);
    const s = proxyStatus({
      starting: false,
      running: true,
      bindings: [inUse("127.0.0.1", "127.0.0.1:8443"), inUse("::1", "[::1]:8443"), binding("10.0.0.1", "listening")],
    });
    assert.deepEqual(s.problems, ["port 8443 is already in use on 127.0.0.1:8443 and [::1]:8443 by node (pid 7)"]);
    assert.deepEqual(failureLines([binding("127.0.0.1", "failed", "permission denied")]), [
      "127.0.0.1:8443: permission denied",
    ]);
  });
});
