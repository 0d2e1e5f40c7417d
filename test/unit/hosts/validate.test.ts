import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  findDnsConflicts,
  findFileConflicts,
  findManagedBlock,
  flushOsNameCache,
  hostnameWarnings,
  InvalidAddressError,
  InvalidHostnameError,
  normalizeAddress,
  normalizeHostname,
  osHostsFilePath,
  parseHostsFile,
  switchyardDataDir,
  type FlushRunner,
} from "../../../extension/core/hosts";

describe("hostname and address validation", () => {
  it("lower-cases, drops a trailing dot and turns IDN into punycode", () => {
    assert.equal(normalizeHostname("My-Awesome-Service.TEST."), "my-awesome-service.test");
    assert.equal(normalizeHostname("bücher.test"), "xn--bcher-kva.test");
  });

  const badNames: [string, RegExp][] = [
    ["", /empty/],
    ["a b.test", /whitespace/],
    ["a\nb.test", /line break/],
    ["a#b.test", /"#"/],
    ["a\u0007.test", /control character/],
    ["under_score.test", /letters, digits and inner hyphens/],
    ["-lead.test", /inner hyphens/],
    ["a..test", /empty label/],
    [`${"a".repeat(64)}.test`, /64 characters long; the limit is 63/],
    [`${"abcdefghi.".repeat(26)}test`, /the limit is 253/],
    ["127.0.0.1", /address, not a name/],
    ["fe80::1%eth0", /address, not a name/],
    ["host.123", /all digits/],
  ];
  for (const [name, reason] of badNames) {
    it(`refuses ${JSON.stringify(name)} with the reason`, () => {
      assert.throws(
        () => normalizeHostname(name),
        (e: unknown) => e instanceof InvalidHostnameError && reason.test(e.message),
      );
    });
  }

  it("accepts IPv4 and IPv6 and refuses zone ids and junk with the reason", () => {
    assert.equal(normalizeAddress("127.0.0.1"), "127.0.0.1");
    assert.equal(normalizeAddress("FD00::1"), "fd00::1");
    assert.throws(
      () => normalizeAddress("fe80::1%lo0"),
      (e: unknown) => e instanceof InvalidAddressError && /zone ids/.test(e.message),
    );
    assert.throws(() => normalizeAddress("300.1.1.1"), InvalidAddressError);
    assert.throws(() => normalizeAddress(" 127.0.0.1"), /surrounding whitespace/);
    assert.throws(() => normalizeAddress("localhost"), /neither an IPv4/);
  });
});

describe("warnings and conflicts", () => {
  it("warns about .localhost, HSTS-preloaded TLDs and .local, not about .test", () => {
    assert.equal(hostnameWarnings("app.localhost")[0]?.code, "localhost-tld");
    assert.equal(hostnameWarnings("shop.dev")[0]?.code, "hsts-preloaded-tld");
    assert.equal(hostnameWarnings("shop.app")[0]?.code, "hsts-preloaded-tld");
    assert.equal(hostnameWarnings("printer.local")[0]?.code, "mdns-local");
    assert.deepEqual(hostnameWarnings("my-awesome-service.test"), []);
  });

  it("finds the same name mapped outside the block and says the earlier line wins", () => {
    const bytes = Buffer.from(
      "10.0.0.5 api.test\n# BEGIN Switchyard managed block: do not edit by hand\n127.0.0.1 api.test\n# END Switchyard\n",
    );
    const block = findManagedBlock(bytes);
    const conflicts = findFileConflicts(parseHostsFile(bytes), block, block?.mappings ?? []);
    assert.equal(conflicts.length, 1);
    assert.match(conflicts[0]?.message ?? "", /10\.0\.0\.5 at line 1.*comes first/);
  });

  it("asks the injected DNS probe only about names outside reserved TLDs", async () => {
    const asked: string[] = [];
    const probe = async (name: string): Promise<string[]> => {
      asked.push(name);
      return name === "example.com" ? ["93.184.215.14"] : [];
    };
    const mappings = ["a.test", "b.localhost", "example.com", "nothing.org"].map((name) => ({
      name,
      addresses: ["127.0.0.1"],
    }));
    const conflicts = await findDnsConflicts(mappings, probe);
    assert.deepEqual(asked, ["example.com", "nothing.org"]);
    assert.equal(conflicts.length, 1);
    assert.equal(conflicts[0]?.kind, "public-dns");
  });
});

describe("OS paths and cache flush", () => {
  it("knows each OS's hosts file and data directory", () => {
    assert.equal(osHostsFilePath("linux", {}), "/etc/hosts");
    assert.equal(osHostsFilePath("darwin", {}), "/etc/hosts");
    assert.equal(osHostsFilePath("win32", { SystemRoot: "D:\\Win" }), "D:\\Win\\System32\\drivers\\etc\\hosts");
    assert.equal(switchyardDataDir("linux", {}, "/home/u"), "/home/u/.local/share/switchyard");
    assert.equal(switchyardDataDir("linux", { SWITCHYARD_DATA_DIR: "/x" }, "/home/u"), "/x");
    assert.equal(switchyardDataDir("win32", { LOCALAPPDATA: "C:\\L" }, "C:\\U"), "C:\\L\\Switchyard");
  });

  it("falls back from resolvectl to systemd-resolve on Linux", async () => {
    const ran: string[] = [];
    const runner: FlushRunner = {
      run: async (file, args) => {
        ran.push([file, ...args].join(" "));
        return file === "resolvectl"
          ? { code: 127, stdout: "", stderr: "not found" }
          : { code: 0, stdout: "", stderr: "" };
      },
    };
    const report = await flushOsNameCache("linux", runner);
    assert.deepEqual(ran, ["resolvectl flush-caches", "systemd-resolve --flush-caches"]);
    assert.equal(report.flushed, true);
  });

  it("runs both macOS steps and ipconfig on Windows", async () => {
    const ran: string[] = [];
    const runner: FlushRunner = {
      run: async (file, args) => {
        ran.push([file, ...args].join(" "));
        return { code: 0, stdout: "", stderr: "" };
      },
    };
    await flushOsNameCache("darwin", runner);
    await flushOsNameCache("win32", runner);
    assert.deepEqual(ran, ["dscacheutil -flushcache", "killall -HUP mDNSResponder", "ipconfig /flushdns"]);
  });
});
