/**
 * The parts of standard ports that are pure or cannot run here: the macOS (pf, launchd) and
 * Windows (http.sys) paths against recorded command lines, through the one CommandRunner
 * interface and a SystemFiles that records instead of writing; the Linux ruleset and unit texts;
 * which user a root process acts for; the URLs shown. Linux runs for real in namespace.test.ts.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { CommandResult, CommandRunner } from "../../../extension/core/commandRunner";
import { standardPortHolders } from "../../../extension/core/ports/holders";
import { nftRuleset, systemdUnit } from "../../../extension/core/ports/linuxNft";
import {
  daemonPlist,
  launchdPlist,
  macosPf,
  parsePfToken,
  pfFile,
  pfRules,
} from "../../../extension/core/ports/macosPf";
import { targetUser, uidIn } from "../../../extension/core/ports/standardPorts";
import { formatState, parseState, type PortsState } from "../../../extension/core/ports/state";
import { SystemFiles } from "../../../extension/core/ports/systemFiles";
import { parseHttpSysUrls, windowsHttpSys, windowsPortHolder } from "../../../extension/core/ports/windowsHttpSys";
import { renderPage } from "../../../extension/core/proxy/http/pages";
import { publicUrl } from "../../../extension/core/publicUrl";
import type { RouteSetting } from "../../../extension/core/settings";
import { routeView } from "../../../extension/vscode/views";

/** Answers each command line from a table (exit 1 for any other) and records every call. */
function recordedRunner(answers: Record<string, Partial<CommandResult>>): CommandRunner & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async run(file, args) {
      const line = [file, ...args].join(" ");
      calls.push(line);
      const a = answers[line];
      return { code: a?.code ?? (a ? 0 : 1), stdout: a?.stdout ?? "", stderr: a?.stderr ?? "" };
    },
    async which(program) {
      return `/usr/bin/${program}`;
    },
  };
}

/** Records what a mechanism would write, writing nothing. */
class RecordedFiles extends SystemFiles {
  readonly written = new Map<string, string>();
  override write(path: string, text: string): void {
    this.written.set(path, text);
    this.files.push(path);
  }
  override link(path: string, target: string): void {
    this.written.set(path, `-> ${target}`);
    this.files.push(path);
  }
}

const PASSWD =
  "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\nana:x:1000:1000::/home/ana:/bin/bash\n";

describe("macOS: pf anchor and launchd daemon, against recorded command lines", () => {
  it("enable writes the anchor's rdr rules and the daemon, loads the anchor with pfctl -E and keeps the token", async () => {
    const runner = recordedRunner({
      "/sbin/pfctl -E -a com.apple/switchyard-ports-501 -f /etc/switchyard/ports-501.pf": {
        stderr: "pf enabled\nToken : 13486539937011451649\n",
      },
    });
    const files = new RecordedFiles();
    const result = await macosPf(runner).enable({ uid: 501, targetPort: 8443 }, files);
    assert.deepEqual(runner.calls, [
      "/sbin/pfctl -E -a com.apple/switchyard-ports-501 -f /etc/switchyard/ports-501.pf",
    ]);
    assert.equal(result.pfToken, "13486539937011451649");
    assert.deepEqual([...files.written.keys()], [pfFile(501), daemonPlist(501)]);
    assert.match(
      files.written.get(pfFile(501))!,
      /^rdr pass on lo0 inet proto tcp from any to 127\.0\.0\.1 port \{ 80, 443 \} -> 127\.0\.0\.1 port 8443$/m,
    );
    assert.match(
      files.written.get(pfFile(501))!,
      /^rdr pass on lo0 inet6 proto tcp from any to ::1 port \{ 80, 443 \} -> ::1 port 8443$/m,
    );
    assert.match(
      launchdPlist(501),
      /<string>\/sbin\/pfctl<\/string>\s*<string>-E<\/string>\s*<string>-a<\/string>\s*<string>com\.apple\/switchyard-ports-501<\/string>/,
    );
  });

  it("disable flushes only its anchor, releases only its own pf reference and boots the daemon out", async () => {
    const runner = recordedRunner({
      "/sbin/pfctl -a com.apple/switchyard-ports-501 -F all": {},
      "/sbin/pfctl -X 42": {},
    });
    const state: PortsState = {
      version: 1,
      mechanism: "pf",
      uid: 501,
      targetPort: 8443,
      files: [],
      createdDirs: [],
      pfToken: "42",
    };
    await macosPf(runner).disable(state);
    assert.deepEqual(runner.calls, [
      "/sbin/pfctl -a com.apple/switchyard-ports-501 -F all",
      "/sbin/pfctl -X 42",
      "/bin/launchctl bootout system/dev.switchyard.ports.501",
    ]);
  });

  it("status reads the anchor's rules (root) and says so when it cannot", async () => {
    const loaded = recordedRunner({
      "/sbin/pfctl -a com.apple/switchyard-ports-501 -s nat": { stdout: pfRules({ uid: 501, targetPort: 8443 }) },
      "/bin/test -f /Library/LaunchDaemons/dev.switchyard.ports.501.plist": {},
    });
    const s = await macosPf(loaded).status(501);
    assert.equal(s.loaded, true);
    assert.equal(s.persisted, true);
    const user = await macosPf(recordedRunner({})).status(501);
    assert.equal(user.loaded, undefined);
    assert.match(user.details[0]!, /needs root/);
  });

  it("enable is refused when lsof shows a program on 443, naming it", async () => {
    const runner = recordedRunner({
      "lsof -nP -iTCP:443 -sTCP:LISTEN -Fpcn": { stdout: "p812\ncnginx\nf6\nn*:443\n" },
    });
    const holders = await standardPortHolders("darwin", runner);
    assert.deepEqual(
      holders.map((h) => h.description),
      ["nginx (pid 812) listens on 0.0.0.0:443"],
    );
  });

  it("reads pfctl's token line", () => {
    assert.equal(parsePfToken("No ALTQ support in kernel\npf enabled\nToken : 123\n"), "123");
    assert.equal(parsePfToken("pfctl: pf already enabled\n"), undefined);
  });
});

describe("Windows: http.sys and other holders of 443, against recorded command lines", () => {
  const NETSTAT = [
    "",
    "Active Connections",
    "",
    "  Proto  Local Address          Foreign Address        State           PID",
    "  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       1032",
    "  TCP    0.0.0.0:443            0.0.0.0:0              LISTENING       4",
    "  TCP    127.0.0.1:80           0.0.0.0:0              LISTENING       7788",
    "",
  ].join("\r\n");
  const SERVICESTATE = [
    "Snapshot of HTTP service state (Request Queue View):",
    "Request queue name: Request queue is unnamed.",
    "    Registered URLs:",
    "        HTTPS://+:443/WSMAN/",
    "        HTTP://+:47001/WSMAN/",
    "",
  ].join("\r\n");
  const runner = (): ReturnType<typeof recordedRunner> =>
    recordedRunner({
      "netstat -ano -p tcp": { stdout: NETSTAT },
      "netstat -ano -p tcpv6": { stdout: "" },
      "netsh http show servicestate view=requestq": { stdout: SERVICESTATE },
      "tasklist /FI PID eq 7788 /FO CSV /NH": { stdout: '"httpd.exe","7788","Console","1","12,345 K"\r\n' },
    });

  it("explains that System (pid 4) holds 443 for http.sys and lists the registered URLs", async () => {
    const said = await windowsPortHolder(runner(), 443);
    assert.match(said!, /^System \(pid 4\) holds 443 for http\.sys/);
    assert.match(said!, /registered: HTTPS:\/\/\+:443\/WSMAN\//);
    assert.doesNotMatch(said!, /47001/);
  });

  it("names another program by its image name", async () => {
    assert.equal(await windowsPortHolder(runner(), 80), "httpd.exe (pid 7788) listens on 127.0.0.1:80");
  });

  it("standardPortHolders lists both; enable explains the two settings and changes nothing", async () => {
    const holders = await standardPortHolders("win32", runner());
    assert.deepEqual(
      holders.map((h) => h.port),
      [443, 80],
    );
    await assert.rejects(
      windowsHttpSys(runner()).enable({ uid: -1, targetPort: 8443 }, new RecordedFiles()),
      /no privileged ports.*localhost:443.*nothing was changed/s,
    );
  });

  it("reads http.sys URLs by port, the default port of the scheme included", () => {
    assert.deepEqual(parseHttpSysUrls("  https://contoso:443/a/\n  http://+:80/b/\n  https://+/c/\n", 443), [
      "https://contoso:443/a/",
      "https://+/c/",
    ]);
  });
});

describe("Linux texts", () => {
  it("the ruleset redirects only uid's loopback 443 and 80, and reloads idempotently", () => {
    const text = nftRuleset({ uid: 1000, targetPort: 8443 });
    assert.match(
      text,
      /^table inet switchyard_ports_1000\ndelete table inet switchyard_ports_1000\ntable inet switchyard_ports_1000 \{$/m,
    );
    assert.match(text, /type nat hook output priority -100; policy accept;/);
    assert.match(text, /meta skuid 1000 ip daddr 127\.0\.0\.0\/8 tcp dport \{ 80, 443 \} redirect to :8443/);
    assert.match(text, /meta skuid 1000 ip6 daddr ::1 tcp dport \{ 80, 443 \} redirect to :8443/);
  });

  it("the unit loads the file at boot and deletes the table when stopped", () => {
    const unit = systemdUnit({ uid: 1000, targetPort: 8443 }, "/usr/sbin/nft");
    assert.match(unit, /^ExecStart=\/usr\/sbin\/nft -f \/etc\/switchyard\/ports-1000\.nft$/m);
    assert.match(unit, /^ExecStop=-\/usr\/sbin\/nft delete table inet switchyard_ports_1000$/m);
    assert.match(unit, /^WantedBy=multi-user\.target$/m);
  });

  it("the state file round-trips and anything else is not a state", () => {
    const state: PortsState = {
      version: 1,
      mechanism: "nftables",
      uid: 1000,
      targetPort: 8443,
      files: ["/a"],
      createdDirs: ["/etc/switchyard"],
    };
    assert.deepEqual(parseState(formatState(state)), state);
    assert.equal(parseState('{"version":1,"uid":"1000"}'), undefined);
    assert.equal(parseState("not json"), undefined);
  });
});

describe("which user root acts for", () => {
  const as = (uid: number, env: NodeJS.ProcessEnv, explicit?: string): number =>
    targetUser({ explicit, env, uid, passwd: PASSWD }).uid;

  it("a user acts for itself, and not for another", () => {
    assert.equal(as(1000, {}), 1000);
    assert.throws(() => as(1000, {}, "nobody"), /only root can act for another user/);
  });

  it("root takes --user, PKEXEC_UID or SUDO_UID", () => {
    assert.equal(as(0, {}, "nobody"), 65534);
    assert.equal(as(0, { PKEXEC_UID: "1000" }), 1000);
    assert.equal(as(0, { SUDO_UID: "1000" }), 1000);
    assert.equal(as(0, { SUDO_UID: "0" }, "ana"), 1000);
  });

  it("root refuses when the sources disagree or there is none", () => {
    assert.throws(
      () => as(0, { SUDO_UID: "1000" }, "nobody"),
      /--user nobody \(uid 65534\) and SUDO_UID=1000 disagree/,
    );
    assert.throws(() => as(0, { PKEXEC_UID: "1000", SUDO_UID: "1001" }), /disagree/);
    assert.throws(() => as(0, {}), /for which user\? pass --user NAME/);
    assert.throws(() => as(0, {}, "root"), /root's own programs/);
    assert.throws(() => as(0, {}, "nosuchuser"), /no user "nosuchuser"/);
    assert.equal(uidIn(PASSWD, "1234"), 1234);
  });
});

describe("the URL Switchyard shows", () => {
  it("has no port when standard ports reach the proxy or it listens on 443, and its port otherwise", () => {
    assert.equal(publicUrl("my-app.test", { tlsPort: 8443, standardPorts: true }), "https://my-app.test/");
    assert.equal(publicUrl("my-app.test", { tlsPort: 8443, standardPorts: false }), "https://my-app.test:8443/");
    assert.equal(publicUrl("my-app.test", { tlsPort: 443, standardPorts: false }, "/api"), "https://my-app.test/api");
    assert.equal(publicUrl("my-app.test", { tlsPort: undefined, standardPorts: false }), "https://my-app.test/");
  });

  it("the Routes view's URL follows it", () => {
    const route: RouteSetting = {
      host: "my-app.test",
      upstream: "http://127.0.0.1:3000",
      redirect: false,
      passthrough: false,
      rewriteHost: false,
      insecureUpstream: false,
    };
    assert.equal(routeView(route, 8443, 0, true).url, "https://my-app.test/");
    assert.equal(routeView(route, 8443, 0, false).url, "https://my-app.test:8443/");
    assert.equal(
      routeView({ ...route, host: "*.my-app.test", pathPrefix: "/api/" }, 8443, 0, true).url,
      "https://www.my-app.test/api/",
    );
    const page = (port: number): string =>
      renderPage({
        status: 404,
        title: "No route",
        message: "none",
        routes: [route],
        routesTlsPort: port,
      }).body.toString();
    assert.match(page(8443), /href="https:\/\/my-app\.test:8443\/"/, "the proxy's no-route page links with the port");
    assert.match(page(443), /href="https:\/\/my-app\.test\/"/, "and without it on standard ports");
  });
});
