/**
 * Standard ports on Linux for real, as a user would meet them, inside a private network and mount
 * namespace (lo up; /etc an overlay over a temp folder, so every file enable writes lands there and
 * this machine's /etc, nftables and trust stores are never touched; /etc/hosts a temp copy mapping
 * my-app.test to 127.0.0.1 and ::1). Root runs `switchyard ports enable --yes --user nobody`; nobody
 * runs `switchyard serve` with a route, and curl and Chromium, as nobody, load https://my-app.test/
 * (443, no port) and follow http://my-app.test/ (80) to it, over IPv4 and IPv6 loopback. disable
 * then leaves `nft list ruleset` and every touched file as before.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import CHROMIUM_FLAGS from "../../harness/chromium-flags.json";
import { resolveCaDir } from "../../../extension/core/ca/paths";
import { CA_FILES } from "../../../extension/core/ca/paths";
import { cliArgv, newMark, reapMarked, ROOT } from "../cli/cliProcesses";
import { mountNamespaceUnavailable } from "../namespaces";
import { rootMissing, toolsMissing } from "../requirements";

const NOBODY = 65534;
const NAME = "my-app.test";
const MARK_VAR = "SWITCHYARD_TEST_PROCESS_MARK";
const unmetNeed =
  rootMissing("to make a network namespace and run switchyard ports enable") ??
  mountNamespaceUnavailable() ??
  toolsMissing("nft", "nsenter", "setpriv", "curl", "certutil", "/usr/bin/chromium", "ip");

describe("standard ports in a private network and mount namespace", { skip: unmetNeed ?? false }, () => {
  const mark = newMark();
  const dir = mkdtempSync(join(tmpdir(), "sy-ports-"));
  const home = join(dir, "home");
  const hostsFile = join(dir, "hosts");
  const appFile = join(dir, "app.mjs");
  let holder: ChildProcess | undefined;
  let nsPid = 0;
  let upstreamPort = 0;
  const started: ChildProcess[] = [];

  /** argv run inside the namespace (network and mount), as root. */
  const inNs = (argv: string[]): string[] => ["nsenter", "-t", String(nsPid), "-n", "-m", "--", ...argv];
  /** argv run inside the namespace as nobody, with a clean environment and its own HOME. */
  const asNobody = (argv: string[]): string[] =>
    inNs([
      "setpriv",
      "--reuid=nobody",
      "--regid=nogroup",
      "--clear-groups",
      "env",
      "-i",
      `PATH=${process.env.PATH}`,
      `HOME=${home}`,
      `${MARK_VAR}=${mark}`,
      ...argv,
    ]);
  const run = (argv: string[]): { code: number | null; out: string } => {
    const r = spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8", timeout: 120_000, cwd: ROOT });
    return { code: r.status, out: `${r.stdout}${r.stderr}` };
  };
  const cli = (args: string[]): string[] => [process.execPath, ...cliArgv(args)];
  /** Starts a long-running process; resolves with it once `ready` shows in its output. */
  const start = (
    argv: string[],
    ready: RegExp,
  ): Promise<{ child: ChildProcess; out: () => string; match: RegExpExecArray }> =>
    new Promise((resolve, reject) => {
      const child = spawn(argv[0]!, argv.slice(1), {
        cwd: ROOT,
        env: { ...process.env, [MARK_VAR]: mark },
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      });
      started.push(child);
      let out = "";
      const timer = setTimeout(() => reject(new Error(`no ${ready} within 90 s:\n${out}`)), 90_000);
      const onData = (d: Buffer): void => {
        out += d.toString();
        const m = ready.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve({ child, out: () => out, match: m });
        }
      };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", onData);
      child.once("exit", (code) => {
        clearTimeout(timer);
        if (!ready.exec(out)) reject(new Error(`exited (${code}) before ${ready}:\n${out}`));
      });
    });
  const stop = (child: ChildProcess): void => {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // gone already
    }
  };
  /** What enable may touch, and disable must restore: the ruleset and every file under the folders it writes. */
  const snapshot = (): string =>
    run(
      inNs([
        "sh",
        "-c",
        "nft list ruleset; for d in /etc/switchyard /etc/systemd/system; do " +
          "find $d \\( -type f -exec sha256sum {} \\; \\) -o \\( -type l -printf '%p -> %l\\n' \\) -o \\( -printf '%p %m %u %y\\n' \\) 2>&1; done",
      ]),
    ).out;
  const rootPem = (): string => join(resolveCaDir({ env: {}, home, platform: "linux" }), CA_FILES.root);

  before(async () => {
    chmodSync(dir, 0o755);
    mkdirSync(join(dir, "upper"));
    mkdirSync(join(dir, "work"));
    mkdirSync(home, { mode: 0o700 });
    chownSync(home, NOBODY, NOBODY);
    writeFileSync(hostsFile, `${readFileSync("/etc/hosts", "utf8")}\n127.0.0.1 ${NAME}\n::1 ${NAME}\n`);
    chmodSync(hostsFile, 0o644);
    writeFileSync(
      appFile,
      'import http from "node:http";\n' +
        "const s = http.createServer((req, res) => res.end(`hello from the app at ${req.url}`));\n" +
        's.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => console.log(`app on ${s.address().port}`));\n',
    );
    chmodSync(appFile, 0o644);
    const setup =
      `ip link set lo up && mount -t overlay overlay -o lowerdir=/etc,upperdir=${dir}/upper,workdir=${dir}/work /etc && ` +
      `mount --bind ${hostsFile} /etc/hosts && echo "ns ready $$" && exec sleep 100000`;
    const ns = await start(
      ["unshare", "--net", "--mount", "--propagation", "private", "--", "sh", "-c", setup],
      /ns ready (\d+)/,
    );
    holder = ns.child;
    nsPid = Number(ns.match[1]);
    const app = await start(inNs([process.execPath, appFile]), /app on (\d+)/);
    upstreamPort = Number(app.match[1]);
  });

  after(async () => {
    for (const child of started) stop(child);
    if (holder) stop(holder);
    await reapMarked(mark);
    rmSync(dir, { recursive: true, force: true });
  });

  it("enable refuses while a root server listens on 443, naming it, and changes nothing", async () => {
    const before = snapshot();
    const server = await start(
      inNs([process.execPath, "-e", 'require("net").createServer().listen(443, "::", () => console.log("on 443"))']),
      /on 443/,
    );
    const enable = run(inNs(cli(["ports", "enable", "--yes", "--user", "nobody"])));
    stop(server.child);
    assert.equal(enable.code, 1, enable.out);
    assert.match(enable.out, new RegExp(`node \\(pid ${server.child.pid}\\) listens on \\[::\\]:443`));
    assert.match(enable.out, /nothing was changed/);
    assert.equal(snapshot(), before);
  });

  let beforeEnable = "";
  let serve: Awaited<ReturnType<typeof start>> | undefined;

  it("enable for nobody, then nobody's curl gets https://my-app.test/ on 443 and a redirect from http:// on 80, over IPv4 and IPv6", async () => {
    beforeEnable = snapshot();
    const enable = run(inNs(cli(["ports", "enable", "--yes", "--user", "nobody"])));
    assert.equal(enable.code, 0, enable.out);
    assert.match(enable.out, /loaded the nftables table inet switchyard_ports_65534/);
    serve = await start(
      asNobody(cli(["serve", "--listen", "localhost:8443", "--route", `${NAME}=http://127.0.0.1:${upstreamPort}`])),
      /stop with Ctrl\+C/,
    );
    for (const family of ["-4", "-6"]) {
      const page = run(asNobody(["curl", family, "-sS", "--cacert", rootPem(), `https://${NAME}/`]));
      assert.equal(page.out, "hello from the app at /", `curl ${family} https://${NAME}/`);
      const redirect = run(
        asNobody([
          "curl",
          family,
          "-sS",
          "-o",
          "/dev/null",
          "-w",
          "%{http_code} %{redirect_url}",
          `http://${NAME}/x?y=1`,
        ]),
      );
      assert.match(redirect.out, new RegExp(`^30[178] https://${NAME}/x\\?y=1$`), `curl ${family} http://${NAME}/`);
      const followed = run(asNobody(["curl", family, "-sSL", "--cacert", rootPem(), `http://${NAME}/followed`]));
      assert.equal(followed.out, "hello from the app at /followed");
    }
    // The proxy's own port keeps working.
    const own = run(asNobody(["curl", "-4", "-sS", "--cacert", rootPem(), `https://${NAME}:8443/own`]));
    assert.equal(own.out, "hello from the app at /own");
  });

  it("root's own connections to 443 are not redirected (only nobody's are)", () => {
    const root = run(inNs(["curl", "-4", "-sS", "-o", "/dev/null", "-w", "%{http_code}", `https://${NAME}/`]));
    assert.match(root.out, /Failed to connect|Couldn't connect|refused/i);
  });

  it("status, run as nobody, finds the redirect in place and probes that 443 and 80 reach nobody's proxy", () => {
    const status = run(asNobody(cli(["ports", "status", "--json"])));
    assert.equal(status.code, 0, status.out);
    const parsed = JSON.parse(status.out) as {
      state?: { targetPort: number };
      holders: unknown[];
      reach: { port: number; address: string; outcome: string }[];
      reachesProxy: boolean;
      foreignOwners: number[];
    };
    assert.equal(parsed.state?.targetPort, 8443);
    assert.deepEqual(parsed.holders, []);
    assert.deepEqual(
      parsed.reach.map((r) => `${r.address}:${r.port} ${r.outcome}`),
      ["127.0.0.1:443 proxy", "127.0.0.1:80 proxy", "::1:443 proxy", "::1:80 proxy"],
    );
    assert.deepEqual(parsed.foreignOwners, []);
    assert.equal(parsed.reachesProxy, true);
  });

  it("Chromium, as nobody with the CA in its NSS database, loads https://my-app.test/ and follows http:// to it", async () => {
    const db = `sql:${join(home, ".pki", "nssdb")}`;
    const nss = run(
      asNobody([
        "sh",
        "-c",
        `mkdir -p ${home}/.pki/nssdb ${home}/chromium && certutil -N -d ${db} --empty-password && certutil -A -d ${db} -t C,, -n switchyard -i ${rootPem()}`,
      ]),
    );
    assert.equal(nss.code, 0, nss.out);
    // Chromium runs inside the namespace as nobody; Playwright talks to it over the inherited pipe.
    const wrapper = join(dir, "chromium-in-ns.sh");
    writeFileSync(wrapper, `#!/bin/sh\nexec ${asNobody(["/usr/bin/chromium"]).join(" ")} "$@"\n`, { mode: 0o755 });
    // A profile folder nobody owns (Playwright's own temp profile would be root's).
    const browser = await chromium.launchPersistentContext(join(home, "chromium"), {
      executablePath: wrapper,
      args: CHROMIUM_FLAGS,
      timeout: 60_000,
    });
    try {
      const page = await browser.newPage();
      const direct = await page.goto(`https://${NAME}/`);
      assert.equal(direct?.status(), 200);
      assert.equal(await page.textContent("body"), "hello from the app at /");
      const followed = await page.goto(`http://${NAME}/from-http`);
      assert.equal(page.url(), `https://${NAME}/from-http`);
      assert.equal(followed?.status(), 200);
      assert.equal(await page.textContent("body"), "hello from the app at /from-http");
    } finally {
      await browser.close();
    }
  });

  it("run prints https://NAME/ with no port while standard ports are in place", async () => {
    const app = await start(asNobody(cli(["run", "shop", "--", process.execPath, appFile])), / -> .* on port \d+/);
    stop(app.child);
    assert.match(app.out(), /^https:\/\/shop\.localhost\/ -> /m);
  });

  it("the boot unit's ExecStart restores the redirect in a fresh network namespace", () => {
    const unit = run(inNs(["cat", "/etc/systemd/system/multi-user.target.wants/switchyard-ports-65534.service"]));
    const execStart = /^ExecStart=(.*)$/m.exec(unit.out)?.[1];
    assert.ok(execStart, unit.out);
    const boot = run(
      inNs([
        "unshare",
        "--net",
        "sh",
        "-c",
        `ip link set lo up && ${execStart} && nft list table inet switchyard_ports_65534`,
      ]),
    );
    assert.equal(boot.code, 0, boot.out);
    assert.match(boot.out, /meta skuid 65534 ip daddr 127\.0\.0\.0\/8 tcp dport \{ 80, 443 \} redirect to :8443/);
    assert.match(boot.out, /meta skuid 65534 ip6 daddr ::1 tcp dport \{ 80, 443 \} redirect to :8443/);
  });

  it("status warns when another user holds the proxy's port while the proxy is down (plain HTTP would reach them, TLS cannot)", async () => {
    if (serve) stop(serve.child);
    serve = undefined;
    const foreign = await start(
      inNs([
        "setpriv",
        "--reuid=1001",
        "--regid=1001",
        "--clear-groups",
        process.execPath,
        "-e",
        'require("net").createServer((c) => c.end("HTTP/1.1 200 OK\\r\\nContent-Length: 7\\r\\nConnection: close\\r\\n\\r\\nforeign")).listen(8443, "::", () => console.log("foreign on 8443"))',
      ]),
      /foreign on 8443/,
    );
    try {
      const status = run(asNobody(cli(["ports", "status", "--json"])));
      const parsed = JSON.parse(status.out) as {
        foreignOwners: number[];
        reachesProxy: boolean;
        reach: { port: number; outcome: string }[];
      };
      assert.deepEqual(parsed.foreignOwners, [1001]);
      assert.equal(parsed.reachesProxy, false);
      assert.ok(
        parsed.reach.filter((r) => r.port === 443).every((r) => r.outcome !== "proxy"),
        status.out,
      );
      const text = run(asNobody(cli(["ports", "status"]))).out;
      assert.match(text, /WARNING: uid 1001 listens on port 8443/);
      // What the README says: TLS to the name fails (the foreign server cannot present nobody's CA's certificate).
      const tls = run(asNobody(["curl", "-4", "-sS", "--cacert", rootPem(), `https://${NAME}/`]));
      assert.notEqual(tls.out, "hello from the app at /");
    } finally {
      stop(foreign.child);
    }
  });

  it("disable leaves the ruleset and every touched file as before, and run prints :8443 again", async () => {
    const disable = run(inNs(cli(["ports", "disable", "--yes", "--user", "nobody"])));
    assert.equal(disable.code, 0, disable.out);
    assert.equal(snapshot(), beforeEnable);
    // Nothing enable wrote is left in the overlay's upper layer (copied-up folders may stay, empty of ours).
    const left = run([
      "find",
      join(dir, "upper"),
      "(",
      "-type",
      "f",
      "-o",
      "-type",
      "l",
      "-o",
      "-type",
      "c",
      ")",
      "-print",
    ]);
    assert.equal(left.out, "");
    const app = await start(asNobody(cli(["run", "shop", "--", process.execPath, appFile])), / -> .* on port \d+/);
    stop(app.child);
    assert.match(app.out(), /^https:\/\/shop\.localhost:8443\/ -> /m);
  });

  it("the VSIX's elevated step (dist/elevatedPorts.js, as VS Code runs it) enables and disables the same way", () => {
    const out = join(dir, "dist");
    const built = run([process.execPath, "scripts/build.mjs", "--production", "--outdir", out]);
    assert.equal(built.code, 0, built.out);
    const step = join(out, "elevatedPorts.js");
    const before = snapshot();
    const enable = run(inNs([process.execPath, step, "enable", "--user", String(NOBODY), "--port", "8443"]));
    assert.equal(enable.code, 0, enable.out);
    assert.match(run(inNs(["nft", "list", "table", "inet", "switchyard_ports_65534"])).out, /redirect to :8443/);
    const disable = run(inNs([process.execPath, step, "disable", "--user", String(NOBODY)]));
    assert.equal(disable.code, 0, disable.out);
    assert.equal(snapshot(), before);
  });
});
