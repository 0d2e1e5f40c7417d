/**
 * The production bundles scripts/build.mjs writes, built into a temp folder: what activation parses,
 * what loads later and from where, and the VSIX's elevated trust step run from its own small bundle
 * for real (as root, inside a private mount namespace over temp copies of the Debian store).
 */
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { createCa } from "../../../extension/core/ca/index";
import { haveTool, run, tempDir } from "../ca/realClients";
import { mountNamespaceUnavailable } from "../namespaces";

const REPO = resolve(__dirname, "../../..");
const out = tempDir("bundles");
const bundle = (name: string): string => readFileSync(join(out, name), "utf8");
const kb = (name: string): number => statSync(join(out, name)).size / 1024;

/** Text only the whole of node-forge holds (its PKCS#12 reader), never its ASN.1 module. */
const FULL_FORGE = "PKCS#12 MAC could not be verified";
/** Text of @vscode/sudo-prompt's Linux path. */
const SUDO_PROMPT = "pkexec";
/** Text of the `qrcode` encoder, and of the PNG writer (pngjs) it requires. */
const QRCODE = "The amount of data is too big to be stored in a QR Code";
const PNGJS = "Invalid file signature";

describe("production bundles", () => {
  before(() => {
    const built = spawnSync(process.execPath, ["scripts/build.mjs", "--production", "--outdir", out], {
      cwd: REPO,
      encoding: "utf8",
      timeout: 120_000,
    });
    assert.equal(built.status, 0, built.stderr);
  });

  it("keeps @vscode/sudo-prompt out of the activation bundle and loads it from sudoPrompt.js", () => {
    const extension = bundle("extension.js");
    assert.ok(!extension.includes(SUDO_PROMPT), "sudo-prompt's code is not in extension.js");
    assert.ok(extension.includes('require("./sudoPrompt.js")'), "extension.js loads it from its sibling");
    const loaded = spawnSync(
      process.execPath,
      ["-e", `process.stdout.write(typeof require(${JSON.stringify(join(out, "sudoPrompt.js"))}).exec)`],
      { encoding: "utf8" },
    );
    assert.equal(loaded.stdout, "function", loaded.stderr);
  });

  it("copies the vscode API once for the whole activation bundle, not once per file that imports it", () => {
    // A stand-in `vscode` module that counts how often its properties are listed (each copy lists them).
    const script = `
      const Module = require("node:module");
      let listed = 0;
      const api = new Proxy({ window: {}, commands: {} }, { ownKeys: (t) => ((listed += 1), Reflect.ownKeys(t)) });
      const resolve = Module._resolveFilename;
      Module._resolveFilename = function (request, ...rest) {
        return request === "vscode" ? "vscode" : resolve.call(this, request, ...rest);
      };
      require.cache.vscode = { id: "vscode", filename: "vscode", loaded: true, exports: api };
      const extension = require(process.argv[1]);
      process.stdout.write(JSON.stringify({ listed, activate: typeof extension.activate }));`;
    const ran = spawnSync(process.execPath, ["-e", script, join(out, "extension.js")], { encoding: "utf8" });
    assert.equal(ran.status, 0, ran.stderr);
    assert.deepEqual(JSON.parse(ran.stdout), { listed: 1, activate: "function" });
  });

  it("keeps the QR code encoder out of the activation bundle: qrcode.js, loaded by the device QR panel, draws the same SVG", async () => {
    const extension = bundle("extension.js");
    assert.ok(!extension.includes(QRCODE), "qrcode's encoder is not in extension.js");
    assert.ok(!extension.includes(PNGJS), "nor the PNG writer qrcode carries");
    assert.ok(extension.includes('require("./qrcode.js")'), "extension.js loads it from its sibling");
    assert.ok(bundle("qrcode.js").includes(QRCODE));
    // Requiring extension.js (a stand-in `vscode`, as above) runs its top level without loading qrcode.js.
    const script = `
      const Module = require("node:module");
      const resolve = Module._resolveFilename;
      Module._resolveFilename = function (request, ...rest) {
        return request === "vscode" ? "vscode" : resolve.call(this, request, ...rest);
      };
      require.cache.vscode = { id: "vscode", filename: "vscode", loaded: true, exports: { window: {}, commands: {} } };
      const extension = require(process.argv[1]);
      const loaded = Object.keys(require.cache).filter((f) => f.endsWith("/qrcode.js"));
      process.stdout.write(JSON.stringify({ activate: typeof extension.activate, loaded }));`;
    const ran = spawnSync(process.execPath, ["-e", script, join(out, "extension.js")], { encoding: "utf8" });
    assert.equal(ran.status, 0, ran.stderr);
    assert.deepEqual(JSON.parse(ran.stdout), { activate: "function", loaded: [] });
    // The panel's call (extension/core/lan/qrCode.ts qrSvg) through the bundle and through the package.
    const options = { type: "svg", errorCorrectionLevel: "M", margin: 2, color: { dark: "#000000", light: "#ffffff" } };
    const url = "https://192.0.2.10:8443/";
    const fromBundle = (await require(join(out, "qrcode.js")).toString(url, options)) as string;
    const fromPackage = (await require("qrcode").toString(url, options)) as string;
    assert.match(fromBundle, /^<svg [^>]*viewBox="0 0 \d+ \d+"/);
    assert.equal(fromBundle, fromPackage);
  });

  it("ships every sibling bundle the VSIX's bundles load (.vscodeignore keeps each in the package)", () => {
    const shipped = readFileSync(join(REPO, ".vscodeignore"), "utf8")
      .split("\n")
      .filter((l) => l.startsWith("!dist/"))
      .map((l) => l.slice("!dist/".length).trim());
    const entries = ["extension.js", "engines.js", "elevatedTrust.js", "elevatedPorts.js", "proxyWorker.js"];
    const loaded = new Set<string>();
    for (const name of entries)
      for (const m of bundle(name).matchAll(/(?:require|import)\("\.\/([\w.-]+\.js)"\)/g)) loaded.add(m[1] as string);
    assert.ok(loaded.has("qrcode.js") && loaded.has("engines.js"), [...loaded].join(", "));
    for (const name of [...entries, ...loaded]) assert.ok(shipped.includes(name), `.vscodeignore ships dist/${name}`);
  });

  it("bundles only forge's ASN.1 module with the core; the whole of node-forge loads from forge.js, for PKCS#12 alone", async () => {
    for (const name of ["engines.js", "cli.js", "proxyWorker.js"])
      assert.ok(!bundle(name).includes(FULL_FORGE), `${name} does not carry the whole of node-forge`);
    assert.ok(bundle("forge.js").includes(FULL_FORGE));
    // Issue a leaf and export it as PKCS#12 with the built engines: forge.js is loaded by the export only.
    const dir = join(tempDir("bundles-ca"), "ca");
    await createCa({ dir });
    const p12 = join(tempDir("bundles-p12"), "leaf.p12");
    const script = `
      const engines = require(process.argv[1]);
      const forgeLoaded = () => Object.keys(require.cache).some((f) => f.endsWith("/forge.js"));
      (async () => {
        const ca = await engines.ca.LocalCa.open({ dir: process.argv[2] });
        const leaf = await ca.issue(["bundle.test"]);
        const afterIssue = forgeLoaded();
        const der = await engines.ca.exportPkcs12({ chainPem: leaf.chainPem, keyPem: leaf.keyPem, password: "pw", friendlyName: "bundle.test" });
        require("node:fs").writeFileSync(process.argv[3], der);
        process.stdout.write(JSON.stringify({ afterIssue, afterExport: forgeLoaded() }));
      })();`;
    const ran = spawnSync(process.execPath, ["-e", script, join(out, "engines.js"), dir, p12], { encoding: "utf8" });
    assert.equal(ran.status, 0, ran.stderr);
    assert.deepEqual(JSON.parse(ran.stdout), { afterIssue: false, afterExport: true });
    const info = await run("openssl", ["pkcs12", "-in", p12, "-passin", "pass:pw", "-nokeys"]);
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /subject=.*CN\s*=\s*bundle\.test/);
  });

  it("gives the elevated trust step a small entry over engines.js instead of a second copy of the core", () => {
    const step = bundle("elevatedTrust.js");
    assert.ok(step.includes('require("./engines.js")'), "it loads the engines from their bundle");
    assert.ok(kb("elevatedTrust.js") < 10, `elevatedTrust.js is ${kb("elevatedTrust.js").toFixed(1)} KB`);
    assert.ok(!step.includes("asn1"), "no forge in it");
  });

  it("runs the elevated step from its bundle: the Debian store trusts the root after trust, not after untrust", async (t) => {
    const unavailable = mountNamespaceUnavailable();
    if (unavailable) return t.skip(unavailable);
    for (const tool of ["unshare", "update-ca-certificates", "openssl"]) if (!haveTool(t, tool)) return;
    const dir = join(tempDir("bundles-trust"), "ca");
    await createCa({ dir });
    const ssl = tempDir("bundles-ssl");
    const local = tempDir("bundles-local");
    const hooks = tempDir("bundles-hooks");
    const home = tempDir("bundles-home");
    assert.equal(spawnSync("cp", ["-a", "/etc/ssl/.", ssl]).status, 0);
    assert.equal(spawnSync("cp", ["-a", "/usr/local/share/ca-certificates/.", local]).status, 0);
    const realBundle = readFileSync("/etc/ssl/certs/ca-certificates.crt", "utf8");
    // Inside: trust, check the system bundle with openssl, untrust, check again. One line per step.
    const script = [
      'mount --bind "$1" /etc/ssl && mount --bind "$2" /usr/local/share/ca-certificates &&',
      'mount --bind "$3" /etc/ca-certificates/update.d || exit 90',
      'verify() { openssl verify -CAfile /etc/ssl/certs/ca-certificates.crt "$5/root.pem" >/dev/null 2>&1 && echo trusted || echo untrusted; }',
      'echo "before=$(verify "$@")"',
      'node "$4/elevatedTrust.js" trust --ca-dir "$5" >"$6/trust.out" 2>&1; echo "trust=$?"',
      'echo "afterTrust=$(verify "$@")"',
      'node "$4/elevatedTrust.js" untrust --ca-dir "$5" >"$6/untrust.out" 2>&1; echo "untrust=$?"',
      'echo "afterUntrust=$(verify "$@")"',
    ].join("\n");
    const logs = tempDir("bundles-logs");
    const ran = spawnSync(
      "unshare",
      ["--mount", "--propagation", "private", "sh", "-c", script, "sh", ssl, local, hooks, out, dir, logs],
      { encoding: "utf8", timeout: 120_000, env: { ...process.env, HOME: home }, input: "" },
    );
    assert.equal(ran.status, 0, `${ran.stderr}\n${ran.stdout}`);
    const steps = Object.fromEntries(
      ran.stdout
        .trim()
        .split("\n")
        .map((l) => l.split("=")),
    );
    const trustOut = readFileSync(join(logs, "trust.out"), "utf8");
    assert.deepEqual(
      steps,
      { before: "untrusted", trust: "0", afterTrust: "trusted", untrust: "0", afterUntrust: "untrusted" },
      trustOut,
    );
    assert.match(trustOut, /^Installing .*\n(.*\n)*\s+system-debian\s+trusted/);
    assert.match(readFileSync(join(logs, "untrust.out"), "utf8"), /^Removing /);
    assert.equal(readFileSync("/etc/ssl/certs/ca-certificates.crt", "utf8"), realBundle, "the real store is untouched");
  });

  it("refuses anything but trust|untrust --ca-dir DIR (exit 2)", () => {
    for (const args of [[], ["trust"], ["status", "--ca-dir", "/tmp"], ["trust", "--ca-dir", "/tmp", "--store", "x"]]) {
      const ran = spawnSync(process.execPath, [join(out, "elevatedTrust.js"), ...args], { encoding: "utf8" });
      assert.equal(ran.status, 2, `${args.join(" ")}: ${ran.stderr}`);
      assert.match(ran.stderr, /trust\|untrust --ca-dir DIR|Unknown option/);
    }
  });
});
