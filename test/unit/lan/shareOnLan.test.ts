/**
 * Share on LAN for real, on a LAN this test builds: two network namespaces, "machine" and "phone",
 * joined by a veth pair with 10.214.X.1/24 and 10.214.X.2/24 (lo up in both; multicast crosses
 * the veth like any Ethernet link). `switchyard serve --lan` runs in the machine's namespace with
 * a route my-app.test to an app server there; the phone, with its own temp HOME and empty NSS
 * database, fetches the onboarding page over plain HTTP, downloads the root, compares its
 * fingerprint with `switchyard ca status --json`, imports it with certutil, resolves my-app.local
 * with an mDNS query sent from its own namespace, and loads https://my-app.local:PORT/ in
 * Chromium. Chromium cannot use mDNS here itself (it resolves .local through getaddrinfo, and
 * this machine's nsswitch has no mdns module), so it gets --host-resolver-rules mapping the name
 * to the address the mDNS answer gave. Nothing of the machine's own network changes: every
 * interface, address and socket lives in the two namespaces, removed afterwards. Needs root, ip,
 * curl, certutil and chromium; under CI=true their absence fails the test.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { cliArgv, collectOutput, reapMarked, type Cli } from "../cli/cliProcesses";
import { rootMissing, toolsMissing } from "../requirements";
import { buildLan, newTestLan, removeNamespaces } from "./testLan";

const REPO = path.resolve(__dirname, "../../..");
const MARK = "SWITCHYARD_TEST_PROCESS_MARK";
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const skip = rootMissing("to create network namespaces") ?? toolsMissing("ip", "curl", "certutil", "chromium");

/** A one-shot mDNS query from the phone: the first A answer for the name, or none within 3 s. */
const QUERY = `
import { createRequire } from "node:module";
const require = createRequire(${JSON.stringify(path.join(REPO, "package.json"))});
const [name, iface] = process.argv.slice(2);
// loopback: another responder in the phone's namespace (the conflict test) hears the query too.
const mdns = require("multicast-dns")({ interface: iface, bind: "0.0.0.0", loopback: true });
const done = (result) => { clearTimeout(timer); console.log(JSON.stringify(result)); mdns.destroy(); };
const timer = setTimeout(() => done({ answered: false }), 3000);
mdns.on("response", (res, rinfo) => {
  const a = res.answers.find((x) => x.name.toLowerCase() === name && x.type === "A" && x.ttl > 0);
  if (a) done({ answered: true, address: a.data, from: rinfo.address });
});
mdns.on("ready", () => mdns.query({ questions: [{ name, type: "A" }] }));
`;

/** Another responder on the LAN that already holds a name: answers every query for it with its own address. */
const CLAIMER = `
import { createRequire } from "node:module";
const require = createRequire(${JSON.stringify(path.join(REPO, "package.json"))});
const [name, address] = process.argv.slice(2);
// loopback: the phone's own query (same namespace) hears this responder too, as a second device would.
const mdns = require("multicast-dns")({ interface: address, bind: "0.0.0.0", loopback: true });
mdns.on("query", (q) => {
  if (!q.questions.some((x) => x.name.toLowerCase() === name)) return;
  mdns.respond({ answers: [{ name, type: "A", ttl: 120, flush: true, data: address }] });
});
mdns.on("ready", () => console.log("claiming " + name));
`;

/** The app the route leads to, on the machine's loopback. */
const APP = `
import http from "node:http";
const s = http.createServer((req, res) => {
  res.setHeader("content-type", "text/html");
  res.end('<!doctype html><html><body><h1 id="app">my-app on the machine, host ' + req.headers.host + '</h1></body></html>');
}).listen(0, "127.0.0.1", () => console.log("app listening on " + s.address().port));
`;

describe("share on LAN: a phone in its own network namespace", { skip: skip ?? false }, () => {
  const lan = newTestLan("lan", 214);
  const { id, machineNs, phoneNs, machineIp, phoneIp } = lan;
  const mark = `lan-test-${process.pid}-${id}`;
  let dir = "";
  let machineHome = "";
  let phoneHome = "";
  let caDir = "";
  let appPort = 0;
  const created: string[] = [];

  const env = (home: string): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    HOME: home,
    SWITCHYARD_CAROOT: caDir,
    [MARK]: mark,
  });

  /** Runs a command in a namespace to its end (bounded). */
  const inNs = (
    ns: string,
    cmd: string,
    args: string[],
    home = phoneHome,
    timeout = 60_000,
  ): SpawnSyncReturns<string> =>
    spawnSync("ip", ["netns", "exec", ns, cmd, ...args], { encoding: "utf8", env: env(home), timeout, cwd: dir });

  /** Starts a long-running process in a namespace, its output collected (ended by reapMarked). */
  const startInNs = (ns: string, cmd: string, args: string[], home: string): Cli => {
    const child = spawn("ip", ["netns", "exec", ns, cmd, ...args], {
      env: env(home),
      cwd: REPO,
      stdio: ["ignore", "pipe", "pipe"],
    });
    return collectOutput(child, 90_000);
  };

  const serve = (extra: string[]): Cli =>
    startInNs(
      machineNs,
      process.execPath,
      cliArgv(["serve", "--listen", "127.0.0.1:0", "--route", `my-app.test=http://127.0.0.1:${appPort}`, ...extra]),
      machineHome,
    );

  const stop = async (cli: Cli): Promise<void> => {
    cli.child.kill("SIGINT");
    const timer = setTimeout(() => cli.child.kill("SIGKILL"), 30_000);
    const { code } = await cli.exit;
    clearTimeout(timer);
    assert.equal(code, 0, `serve exits cleanly on Ctrl+C:\n${cli.out()}`);
  };

  /** An mDNS query for `name` sent from the phone's namespace. */
  const resolveFromPhone = (name: string): { answered: boolean; address?: string; from?: string } => {
    const r = inNs(phoneNs, process.execPath, [path.join(dir, "query.mjs"), name, phoneIp]);
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as { answered: boolean; address?: string };
  };

  /** curl from the phone: the HTTP status, or 000 when nothing answers. */
  const curlFromPhone = (url: string, ...args: string[]): { code: string; exit: number | null } => {
    const r = inNs(phoneNs, "curl", ["-s", "-m", "5", "-o", "/dev/null", "-w", "%{http_code}", ...args, url]);
    return { code: r.stdout.trim(), exit: r.status };
  };

  /** What the phone reaches of the machine on `port`: nothing, for every way in. */
  const assertPhoneReachesNothing = (port: number): void => {
    const plain = curlFromPhone(`http://${machineIp}:${port}/`);
    assert.equal(plain.code, "000", "no onboarding page");
    assert.equal(plain.exit, 7, "curl: connection refused");
    const tls = curlFromPhone(`https://my-app.local:${port}/`, "-k", "--resolve", `my-app.local:${port}:${machineIp}`);
    assert.equal(tls.exit, 7, "no TLS listener on the LAN address");
    assert.deepEqual(resolveFromPhone("my-app.local"), { answered: false }, "no mDNS answer");
  };

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), "sy-lan-"));
    machineHome = path.join(dir, "machine-home");
    phoneHome = path.join(dir, "phone-home");
    caDir = path.join(dir, "ca");
    mkdirSync(machineHome);
    mkdirSync(path.join(phoneHome, ".pki", "nssdb"), { recursive: true });
    writeFileSync(path.join(dir, "query.mjs"), QUERY);
    writeFileSync(path.join(dir, "claimer.mjs"), CLAIMER);
    writeFileSync(path.join(dir, "app.mjs"), APP);
    buildLan(lan, created);
    // The phone's own, empty NSS database (what Chromium reads under $HOME/.pki/nssdb).
    execFileSync("certutil", ["-N", "-d", `sql:${path.join(phoneHome, ".pki", "nssdb")}`, "--empty-password"]);
  });

  after(async () => {
    await reapMarked(mark);
    removeNamespaces(created);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("starts the app on the machine", async () => {
    const app = startInNs(machineNs, process.execPath, [path.join(dir, "app.mjs")], machineHome);
    appPort = Number((await app.waitFor(/app listening on (\d+)/))[1]);
    assert.ok(appPort > 0);
  });

  it("before sharing, the phone reaches nothing", async () => {
    const cli = serve([]);
    const port = Number((await cli.waitFor(/^listening on 127\.0\.0\.1:(\d+) /m))[1]);
    await cli.waitFor(/stop with Ctrl\+C/);
    assert.doesNotMatch(cli.out(), /shareOnLan|sharing on the LAN/);
    assertPhoneReachesNothing(port);
    await stop(cli);
  });

  it("with serve --lan the phone installs the root from the onboarding page and opens https://my-app.local:PORT/; after Ctrl+C it reaches nothing", async () => {
    const cli = serve(["--lan"]);
    const port = Number((await cli.waitFor(/^listening on 127\.0\.0\.1:(\d+) /m))[1]);
    await cli.waitFor(
      new RegExp(`^listening on ${machineIp.replace(/\./g, "\\.")}:${port} \\(shareOnLan, lan0\\)`, "m"),
    );
    await cli.waitFor(new RegExp(`https://my-app\\.local:${port}/ -> my-app\\.test`));
    const out = cli.out();
    assert.match(out, new RegExp(`device page: http://${machineIp.replace(/\./g, "\\.")}:${port}/`));
    assert.match(out, /scan on the phone to install the root/);
    assert.match(out, /[▄▀█]{5}/, "a QR code drawn in the terminal");
    const printedFingerprint = /root SHA-256 \(compare on the device\):\n\s+([0-9A-F:]{95})/.exec(out)?.[1];
    assert.ok(printedFingerprint, out);

    // The onboarding page, over plain HTTP to the machine's LAN address.
    const page = inNs(phoneNs, "curl", ["-s", "-m", "10", "-D", "-", `http://${machineIp}:${port}/`]);
    assert.equal(page.status, 0, page.stderr);
    assert.match(page.stdout, /^HTTP\/1\.1 200/);
    assert.match(page.stdout, /content-type: text\/html/i);
    assert.match(page.stdout, /Certificate Trust Settings/);
    assert.match(page.stdout, new RegExp(`href="https://my-app\\.local:${port}/"`));
    assert.doesNotMatch(page.stdout, /PRIVATE KEY/);
    const fpOnPage = /id="fingerprint">SHA-256<br>([0-9A-F:<br>]+)<\/p>/.exec(page.stdout);
    assert.ok(fpOnPage, page.stdout);
    assert.equal(fpOnPage[1]!.split("<br>").join(":"), printedFingerprint);

    // The downloads: DER .crt, the iOS profile, PEM; and no key at any guessable path.
    const crtFile = path.join(dir, "switchyard-root.crt");
    const crt = inNs(phoneNs, "curl", [
      "-s",
      "-m",
      "10",
      "-o",
      crtFile,
      "-w",
      "%{http_code} %{content_type}",
      `http://${machineIp}:${port}/switchyard-root.crt`,
    ]);
    assert.equal(crt.stdout, "200 application/x-x509-ca-cert");
    const der = readFileSync(crtFile);
    const fingerprint = (createHash("sha256").update(der).digest("hex").toUpperCase().match(/../g) ?? []).join(":");
    const status = inNs(machineNs, process.execPath, cliArgv(["ca", "status", "--json"]), machineHome);
    assert.equal(status.status, 0, status.stderr);
    assert.equal(fingerprint, (JSON.parse(status.stdout) as { rootFingerprint256: string }).rootFingerprint256);
    assert.equal(fingerprint, printedFingerprint);
    const profile = inNs(phoneNs, "curl", [
      "-s",
      "-m",
      "10",
      `http://${machineIp}:${port}/switchyard-root.mobileconfig`,
    ]);
    assert.match(profile.stdout, /<string>com\.apple\.security\.root<\/string>/);
    assert.ok(profile.stdout.replace(/\s/g, "").includes(der.toString("base64")), "the profile carries the same root");
    const pemFile = path.join(dir, "switchyard-root.pem");
    inNs(phoneNs, "curl", ["-s", "-m", "10", "-o", pemFile, `http://${machineIp}:${port}/switchyard-root.pem`]);
    const pem = readFileSync(pemFile, "utf8");
    assert.equal(pem.replace(/\s|-----[A-Z ]+-----/g, ""), der.toString("base64"), "the PEM is the same root");
    for (const p of ["/switchyard-root.key", "/rootCA-key.pem", "/intermediate.key"])
      assert.equal(curlFromPhone(`http://${machineIp}:${port}${p}`).code, "404", p);

    // mDNS from the phone: my-app.local is the machine's address on this LAN.
    const answer = resolveFromPhone("my-app.local");
    assert.deepEqual(answer, { answered: true, address: machineIp, from: machineIp });

    const chromium = (profileDir: string): string => {
      const r = inNs(phoneNs, "chromium", [
        ...CHROMIUM_FLAGS,
        `--user-data-dir=${path.join(dir, profileDir)}`,
        `--host-resolver-rules=MAP my-app.local ${answer.address}`,
        "--dump-dom",
        `https://my-app.local:${port}/`,
      ]);
      return r.stdout;
    };
    // Not trusted yet: Chromium shows its certificate error, not the app.
    assert.doesNotMatch(chromium("chromium-untrusted"), /my-app on the machine/);
    const imported = inNs(phoneNs, "certutil", [
      "-A",
      "-d",
      `sql:${path.join(phoneHome, ".pki", "nssdb")}`,
      "-t",
      "C,,",
      "-n",
      "switchyard-root",
      "-i",
      crtFile,
    ]);
    assert.equal(imported.status, 0, imported.stderr);
    assert.match(chromium("chromium-trusted"), new RegExp(`my-app on the machine, host my-app\\.local:${port}`));

    // The connection from the phone is logged with the phone's address.
    await cli.waitFor(new RegExp(phoneIp.replace(/\./g, "\\.")));

    await stop(cli);
    assert.match(cli.out(), /sharing on the LAN: off/);
    assertPhoneReachesNothing(port);
  });

  it("a second responder that already claims my-app.local makes Switchyard share my-app-2.local and say so", async () => {
    const claimer = startInNs(
      phoneNs,
      process.execPath,
      [path.join(dir, "claimer.mjs"), "my-app.local", phoneIp],
      phoneHome,
    );
    await claimer.waitFor(/claiming my-app\.local/);
    const cli = serve(["--lan"]);
    const port = Number((await cli.waitFor(/^listening on 127\.0\.0\.1:(\d+) /m))[1]);
    await cli.waitFor(
      new RegExp(
        `my-app\\.local is already claimed on the local network by ${phoneIp.replace(/\./g, "\\.")}; my-app\\.test is shared as my-app-2\\.local instead`,
      ),
    );
    await cli.waitFor(new RegExp(`https://my-app-2\\.local:${port}/ -> my-app\\.test \\(renamed: `));
    assert.deepEqual(resolveFromPhone("my-app-2.local"), { answered: true, address: machineIp, from: machineIp });
    // my-app.local stays the other responder's.
    assert.deepEqual(resolveFromPhone("my-app.local"), { answered: true, address: phoneIp, from: phoneIp });
    const app = inNs(phoneNs, "curl", [
      "-s",
      "-m",
      "10",
      "--cacert",
      path.join(dir, "switchyard-root.pem"),
      "--resolve",
      `my-app-2.local:${port}:${machineIp}`,
      `https://my-app-2.local:${port}/`,
    ]);
    assert.match(app.stdout, /my-app on the machine/, app.stderr);
    await stop(cli);
    claimer.child.kill("SIGTERM");
  });
});
