import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { defaultSettings, parseRouteFlag, parseSettings, RESTRICTED_KEYS } from "../../extension/core/settings";

const manifest = JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8"));

describe("settings", () => {
  it("defaults to binding localhost:8443 (loopback only) with a 10 s sniff timeout and 307 redirects", () => {
    const s = defaultSettings();
    assert.deepEqual(s.proxy.listen, ["localhost:8443"]);
    assert.equal(s.proxy.sniffTimeoutMs, 10_000);
    assert.equal(s.proxy.redirectStatus, 307);
    assert.equal(s.ca.keyType, "ecdsa");
    assert.equal(s.ca.unconstrained, false);
  });

  it("reads flat switchyard.* keys as in settings.json", () => {
    const { settings, problems } = parseSettings({
      "switchyard.proxy.listen": ["127.0.0.1:9443"],
      "switchyard.proxy.routes": [{ host: "My-Awesome-Service.test", upstream: "http://localhost:3000" }],
      "switchyard.hosts.mappings": { "a.test": "127.0.0.1", "b.test": [] },
    });
    assert.deepEqual(problems, []);
    assert.deepEqual(settings.proxy.listen, ["127.0.0.1:9443"]);
    assert.equal(settings.proxy.routes[0]?.host, "my-awesome-service.test");
    assert.equal(settings.proxy.routes[0]?.redirect, true);
    assert.deepEqual(settings.hosts.mappings, { "a.test": ["127.0.0.1"], "b.test": ["127.0.0.1", "::1"] });
  });

  it("reads the same keys nested", () => {
    const { settings } = parseSettings({ switchyard: { proxy: { sniffTimeoutMs: 500 }, ca: { keyType: "rsa" } } });
    assert.equal(settings.proxy.sniffTimeoutMs, 500);
    assert.equal(settings.ca.keyType, "rsa");
  });

  it("reports invalid values and unknown keys, and keeps the defaults for them", () => {
    const { settings, problems } = parseSettings({
      "switchyard.proxy.redirectStatus": 303,
      "switchyard.proxy.httpPort": 70000,
      "switchyard.proxy.routes": [
        { host: "x.test", upstream: "ftp://x" },
        { host: "y.test", upstream: "http://localhost:1" },
      ],
      "switchyard.nonsense": 1,
    });
    assert.equal(settings.proxy.redirectStatus, 307);
    assert.equal(settings.proxy.httpPort, undefined);
    assert.deepEqual(
      settings.proxy.routes.map((r) => r.host),
      ["y.test"],
    );
    assert.deepEqual(problems.map((p) => p.key).sort(), [
      "switchyard.nonsense",
      "switchyard.proxy.httpPort",
      "switchyard.proxy.redirectStatus",
      "switchyard.proxy.routes",
    ]);
  });

  it("parses --route HOST=URL and explains a malformed one", () => {
    assert.equal(parseRouteFlag("a.test=http://localhost:3000").upstream, "http://localhost:3000");
    assert.throws(() => parseRouteFlag("a.test"), /HOST=UPSTREAM_URL/);
    assert.throws(() => parseRouteFlag("a.test=localhost:3000"), /http:\/\/ or https:\/\//);
  });

  it("refuses link-local and cloud metadata upstreams in every spelling, saying why", () => {
    for (const upstream of [
      "http://169.254.169.254/latest/meta-data/",
      "http://169.254.0.1:8080",
      "http://0xA9FEA9FE/",
      "http://2852039166/",
      "http://[::ffff:169.254.169.254]/",
      "http://[fe80::1]:3000",
      "https://[febf::abcd]/",
      "http://[fd00:ec2::254]/",
    ])
      assert.throws(
        () => parseRouteFlag(`meta.test=${upstream}`),
        /is refused: .*link-local address \(169\.254\.0\.0\/16 or fe80::\/10\).*credentials/,
        upstream,
      );
    assert.throws(() => parseRouteFlag("meta.test=http://metadata.google.internal/"), /cloud metadata service/);
    const { settings, problems } = parseSettings({
      "switchyard.proxy.routes": [
        { host: "meta.test", upstream: "http://169.254.169.254" },
        { host: "ok.test", upstream: "http://127.0.0.1:3000" },
      ],
    });
    assert.deepEqual(
      settings.proxy.routes.map((r) => r.host),
      ["ok.test"],
    );
    assert.match(problems[0]?.message ?? "", /meta\.test: upstream "http:\/\/169\.254\.169\.254" is refused/);
    // Neighbours of the ranges stay usable: a LAN address, site-local IPv6.
    for (const upstream of ["http://169.255.0.1", "http://192.168.1.20:3000", "http://[fec0::1]/"])
      assert.equal(parseRouteFlag(`lan.test=${upstream}`).upstream, upstream);
  });

  it("never repeats an upstream's password in a route error", () => {
    assert.throws(
      () => parseRouteFlag("a.test=ftp://user:hunter2@host/"),
      (e: Error) => !e.message.includes("hunter2") && e.message.includes("ftp://user:***@host/"),
    );
    assert.throws(
      () => parseRouteFlag("a.test=http://user:hunter2@169.254.169.254/"),
      (e: Error) => !e.message.includes("hunter2") && /is refused/.test(e.message),
    );
  });

  it("declares every setting in package.json and restricts the dangerous ones in untrusted workspaces", () => {
    // Grouped into categories (Proxy, Hosts, Certificate Authority): one properties object each.
    const properties: Record<string, { default: unknown; order?: number }> = Object.assign(
      {},
      ...(manifest.contributes.configuration as { properties: object }[]).map((c) => c.properties),
    );
    const declared = Object.keys(properties).sort();
    const restricted: string[] = manifest.capabilities.untrustedWorkspaces.restrictedConfigurations;
    assert.deepEqual([...restricted].sort(), [...RESTRICTED_KEYS].sort());
    for (const key of restricted) assert.ok(declared.includes(key), `${key} is declared`);
    const { problems } = parseSettings(Object.fromEntries(declared.map((k) => [k, properties[k]!.default])));
    assert.deepEqual(problems, [], "the declared defaults are all valid");
    // The Settings editor flags an upstream without a scheme as the parser would.
    const routes = properties["switchyard.proxy.routes"] as unknown as {
      items: { properties: { upstream: { pattern: string } } };
    };
    const upstream = new RegExp(routes.items.properties.upstream.pattern);
    for (const ok of ["http://localhost:3000", "https://127.0.0.1:8443/api"]) assert.match(ok, upstream);
    for (const bad of ["localhost:3000", "ftp://x", "http://"]) assert.doesNotMatch(bad, upstream);
  });
});
