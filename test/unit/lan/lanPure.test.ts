/**
 * The pure parts of sharing on the LAN: route names to `.local` names and renames, which
 * addresses count as LAN and which interface faces a querier, the root's downloads (a real plist
 * parser reads the iOS profile) and the onboarding page's answers.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash, X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { LocalCa } from "../../../extension/core/ca/index";
import { addressesFacing, inCidr, lanAddresses } from "../../../extension/core/lan/lanAddresses";
import { aliasRoutes, lanNameFor, nextLanName, wantedLanNames } from "../../../extension/core/lan/lanNames";
import { onboardingAnswer } from "../../../extension/core/lan/onboardingPage";
import { rootForms } from "../../../extension/core/lan/rootDownloads";
import { listInterfaces } from "../../../extension/core/net/interfaces";
import { parseSettings } from "../../../extension/core/settings";
import { toolsMissing } from "../requirements";

const route = (host: string): ReturnType<typeof parseSettings>["settings"]["proxy"]["routes"][number] =>
  parseSettings({ "switchyard.proxy.routes": [{ host, upstream: "http://127.0.0.1:3000" }] }).settings.proxy.routes[0]!;

describe("LAN names", () => {
  it("gives a route NAME.TLD the name NAME.local, and none to wildcards, IPs and localhost", () => {
    assert.equal(lanNameFor("my-app.test"), "my-app.local");
    assert.equal(lanNameFor("api.my-app.test"), "api.my-app.local");
    assert.equal(lanNameFor("My-App.Internal."), "my-app.local");
    assert.equal(lanNameFor("shop.local"), "shop.local");
    for (const none of ["*.my-app.test", "127.0.0.1", "::1", "localhost", "shop.localhost", "single"])
      assert.equal(lanNameFor(none), undefined, none);
  });

  it("numbers the first label after a conflict, as RFC 6762 section 9 suggests", () => {
    assert.equal(nextLanName("my-app.local", "my-app.local"), "my-app-2.local");
    assert.equal(nextLanName("my-app-2.local", "my-app.local"), "my-app-3.local");
    assert.equal(nextLanName("api-9.shop.local", "api.shop.local"), "api-10.shop.local");
  });

  it("wants one name per route host and serves claimed names as aliases of every route of that host", () => {
    const routes = [route("my-app.test"), { ...route("my-app.test"), pathPrefix: "/api" }, route("*.x.test")];
    assert.deepEqual(wantedLanNames(routes), [{ wanted: "my-app.local", routeHost: "my-app.test" }]);
    const aliases = aliasRoutes(routes, [
      { wanted: "my-app.local", name: "my-app-2.local", routeHost: "my-app.test", state: "claimed" },
    ]);
    assert.deepEqual(
      aliases.map((a) => [a.host, a.pathPrefix]),
      [
        ["my-app-2.local", undefined],
        ["my-app-2.local", "/api"],
      ],
    );
    assert.deepEqual(
      aliasRoutes(routes, [
        { wanted: "my-app.local", name: "my-app.local", routeHost: "my-app.test", state: "probing" },
      ]),
      [],
      "a name still being probed routes nothing",
    );
  });
});

describe("LAN addresses", () => {
  it("keeps Wi-Fi and Ethernet addresses, and leaves out loopback, link-local and container bridges", () => {
    const table = {
      lo: [
        { address: "127.0.0.1", family: "IPv4", netmask: "255.0.0.0", internal: true, mac: "", cidr: "127.0.0.1/8" },
      ],
      wlp2s0: [
        {
          address: "192.168.1.20",
          family: "IPv4",
          netmask: "255.255.255.0",
          internal: false,
          mac: "aa:bb:cc:dd:ee:ff",
          cidr: "192.168.1.20/24",
        },
        {
          address: "fe80::1",
          family: "IPv6",
          netmask: "ffff:ffff:ffff:ffff::",
          internal: false,
          mac: "aa:bb:cc:dd:ee:ff",
          cidr: "fe80::1/64",
          scopeid: 2,
        },
        {
          address: "2001:db8::20",
          family: "IPv6",
          netmask: "ffff:ffff:ffff:ffff::",
          internal: false,
          mac: "aa:bb:cc:dd:ee:ff",
          cidr: "2001:db8::20/64",
          scopeid: 0,
        },
      ],
      docker0: [
        {
          address: "172.17.0.1",
          family: "IPv4",
          netmask: "255.255.0.0",
          internal: false,
          mac: "02:42:00:00:00:01",
          cidr: "172.17.0.1/16",
        },
      ],
    } as unknown as Parameters<typeof listInterfaces>[0];
    const addresses = lanAddresses(listInterfaces(table, "linux"));
    assert.deepEqual(
      addresses.map((a) => [a.interfaceName, a.address]),
      [
        ["wlp2s0", "192.168.1.20"],
        ["wlp2s0", "2001:db8::20"],
      ],
    );
    assert.deepEqual(
      addressesFacing("192.168.1.77", addresses).map((a) => a.address),
      ["192.168.1.20", "2001:db8::20"],
    );
    assert.deepEqual(addressesFacing("10.0.0.5", addresses), []);
  });

  it("tells whether an address is in a subnet, IPv4 and IPv6", () => {
    assert.ok(inCidr("10.1.2.3", "10.1.0.0/16"));
    assert.ok(!inCidr("10.2.0.1", "10.1.0.0/16"));
    assert.ok(inCidr("2001:db8::1:2", "2001:db8::/64"));
    assert.ok(!inCidr("2001:db9::1", "2001:db8::/32"));
    assert.ok(!inCidr("10.1.2.3", "2001:db8::/64"));
  });
});

describe("the root's downloads and the onboarding page", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "sy-lan-pure-"));
  const ready = LocalCa.openOrCreate({ dir: path.join(dir, "ca"), diskCache: false });

  it("offers the same root as DER, PEM and an iOS profile a plist parser reads, with its SHA-256", async (t) => {
    const { ca } = await ready;
    const forms = rootForms(ca.rootPem());
    const cert = new X509Certificate(ca.rootPem());
    assert.deepEqual(forms.crt.body, cert.raw);
    assert.equal(forms.fingerprint256, cert.fingerprint256);
    assert.equal(
      forms.fingerprint256,
      createHash("sha256").update(cert.raw).digest("hex").toUpperCase().match(/../g)!.join(":"),
    );
    assert.deepEqual(new X509Certificate(forms.pem.body).raw, cert.raw);
    if (toolsMissing("python3")) return t.skip("python3 reads the profile's plist");
    const parsed = spawnSync(
      "python3",
      [
        "-c",
        "import plistlib,sys,json;p=plistlib.loads(sys.stdin.buffer.read());c=p['PayloadContent'][0];print(json.dumps([p['PayloadType'],c['PayloadType'],c['PayloadContent'].hex()]))",
      ],
      { input: forms.mobileconfig.body, encoding: "utf8" },
    );
    assert.equal(parsed.status, 0, parsed.stderr);
    assert.deepEqual(JSON.parse(parsed.stdout), ["Configuration", "com.apple.security.root", cert.raw.toString("hex")]);
  });

  it("answers the page, the three downloads with their types, and 404 for anything else; never a key", async () => {
    const { ca } = await ready;
    // Even handed a PEM with a key in it, only the certificate goes out.
    const key =
      "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n";
    const facts = {
      root: rootForms(key + ca.rootPem()),
      shared: [{ url: "https://my-app.local:8443/", routeHost: "my-app.test" }],
    };
    const page = onboardingAnswer("/", facts);
    assert.equal(page.status, 200);
    assert.equal(page.contentType, "text/html; charset=utf-8");
    const html = page.body.toString();
    assert.match(html, /Settings › General › About › Certificate Trust Settings/);
    assert.match(html, /href="https:\/\/my-app\.local:8443\/"/);
    for (const [p, type] of [
      ["/switchyard-root.crt", "application/x-x509-ca-cert"],
      ["/switchyard-root.mobileconfig", "application/x-apple-aspen-config"],
      ["/switchyard-root.pem?x=1", "application/x-pem-file"],
    ] as const) {
      const a = onboardingAnswer(p, facts);
      assert.equal(a.status, 200, p);
      assert.equal(a.contentType, type);
      assert.doesNotMatch(a.body.toString("latin1"), /PRIVATE KEY/);
    }
    assert.doesNotMatch(html, /PRIVATE KEY/);
    assert.equal(onboardingAnswer("/switchyard-root.key", facts).status, 404);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));
});
