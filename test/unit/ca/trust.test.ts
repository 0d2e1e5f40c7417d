import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { spawnSync } from "node:child_process";
import {
  createCa,
  defaultTrustContext,
  ElevationRequiredError,
  installRoot,
  loadCa,
  rootCertificate,
  TrustToolMissingError,
  type CommandRunner,
  type RootCertificate,
  type TrustContext,
} from "../../../extension/core/ca/index";
import { DebianSystemStore } from "../../../extension/core/ca/trust/system-debian";
import { P11KitSystemStore } from "../../../extension/core/ca/trust/system-p11kit";
import { NssStore } from "../../../extension/core/ca/trust/nss";
import { nssStoresFor } from "../../../extension/core/ca/trust/stores";
import { MacOsKeychainStore } from "../../../extension/core/ca/trust/macos";
import { WindowsRootStore } from "../../../extension/core/ca/trust/windows";
import { JavaCacertsStore } from "../../../extension/core/ca/trust/java";
import { WslWindowsRootStore } from "../../../extension/core/ca/trust/windows-wsl";
import { haveTool, tempDir, tempNssHome } from "./realClients";

/** A runner that records argv and answers from a script. */
function fakeRunner(
  answer: (file: string, args: string[]) => { code: number; stdout?: string } = () => ({ code: 0 }),
  found = true,
) {
  const calls: string[][] = [];
  const runner: CommandRunner = {
    async run(file, args) {
      calls.push([file, ...args]);
      const a = answer(file, args);
      return { code: a.code, stdout: a.stdout ?? "", stderr: a.code ? "failed" : "" };
    },
    async which(program) {
      return found ? `/usr/bin/${program}` : undefined;
    },
  };
  return { runner, calls };
}

async function testRoot(): Promise<RootCertificate> {
  const dir = join(tempDir("trust"), "ca");
  await createCa({ dir });
  return rootCertificate(loadCa(dir).rootPem, join(dir, "root.pem"));
}

function ctx(overrides: Partial<TrustContext>): TrustContext {
  return defaultTrustContext({ home: tempDir("home"), env: {}, isPrivileged: false, ...overrides });
}

describe("macOS keychain store (fake runner)", () => {
  it("adds the root as trusted for SSL to the login keychain, and removes it by SHA-1", async () => {
    const root = await testRoot();
    const { runner, calls } = fakeRunner((_f, args) =>
      args[0] === "find-certificate" ? { code: 0, stdout: `SHA-1 hash: ${root.sha1}\n` } : { code: 0 },
    );
    const home = tempDir("mac-home");
    const store = new MacOsKeychainStore(ctx({ runner, platform: "darwin", home }));
    assert.ok(await store.isAvailable());
    await store.install(root);
    assert.deepEqual(calls[0], [
      "security",
      "add-trusted-cert",
      "-r",
      "trustRoot",
      "-p",
      "ssl",
      "-k",
      join(home, "Library/Keychains/login.keychain-db"),
      root.file,
    ]);
    assert.ok(await store.isTrusted(root));
    await store.uninstall(root);
    assert.deepEqual(calls.at(-2), ["security", "remove-trusted-cert", root.file]);
    assert.deepEqual(calls.at(-1), [
      "security",
      "delete-certificate",
      "-Z",
      root.sha1,
      join(home, "Library/Keychains/login.keychain-db"),
    ]);
  });

  it("is not available on other platforms", async () => {
    assert.equal(await new MacOsKeychainStore(ctx({ platform: "linux" })).isAvailable(), false);
  });

  it("verifies a fresh leaf with security verify-cert under the SSL policy and its host name", async () => {
    const root = await testRoot();
    const probe = { name: "probe.test", leafPem: "LEAF", intermediatePem: "INTERMEDIATE" };
    const { runner, calls } = fakeRunner((_f, args) => ({ code: args[0] === "verify-cert" ? 1 : 0 }));
    const verdict = await new MacOsKeychainStore(ctx({ runner, platform: "darwin" })).verify({ ...root, probe });
    const argv = calls.at(-1) ?? [];
    assert.deepEqual(
      argv.filter((a) => !a.endsWith(".pem")),
      ["security", "verify-cert", "-c", "-c", "-p", "ssl", "-s", "probe.test", "-L", "-q"],
    );
    assert.equal(verdict.trusted, false);
    assert.match(verdict.reason ?? "", /does not trust it for SSL/);
  });
});

describe("Windows root store (fake runner)", () => {
  it("uses certutil -addstore -user Root, -verifystore and -delstore by thumbprint", async () => {
    const root = await testRoot();
    const { runner, calls } = fakeRunner();
    const { runner: recording } = fakeRunner();
    let inf = "";
    const store = new WindowsRootStore(
      ctx({
        platform: "win32",
        runner: {
          ...recording,
          async run(file, args) {
            if (args[1] === "-repairstore") inf = readFileSync(args[4] ?? "", "utf8");
            return runner.run(file, args);
          },
        },
      }),
    );
    await store.install(root);
    assert.deepEqual(calls[0], ["certutil", "-addstore", "-user", "-f", "Root", root.file]);
    // Then trusted for TLS server authentication only: the EKU property (9) set to serverAuth.
    assert.deepEqual(calls[1], [
      "certutil",
      "-user",
      "-repairstore",
      "Root",
      root.sha1,
      join(dirname(root.file), `${root.fileBase}-tls-only.inf`),
    ]);
    assert.equal(inf, '[Properties]\r\n9 = "{text}"\r\n_continue_ = "1.3.6.1.5.5.7.3.1"\r\n');
    assert.ok(await store.isTrusted(root));
    assert.deepEqual(calls[2], ["certutil", "-verifystore", "-user", "Root", root.sha1]);
    await store.uninstall(root);
    assert.deepEqual(calls.at(-1), ["certutil", "-delstore", "-user", "Root", root.sha1]);
  });

  it("reports which command failed and why", async () => {
    const root = await testRoot();
    const { runner } = fakeRunner(() => ({ code: 5 }));
    await assert.rejects(
      new WindowsRootStore(ctx({ runner, platform: "win32" })).install(root),
      /windows: "certutil -addstore .*" failed with exit code 5/,
    );
  });
});

describe("p11-kit system store (fake runner, temp anchors dir)", () => {
  it("writes the anchor and runs update-ca-trust extract when privileged, and asks for root otherwise", async () => {
    const root = await testRoot();
    const anchors = tempDir("anchors");
    const { runner, calls } = fakeRunner();
    const store = new P11KitSystemStore(
      ctx({ runner, platform: "linux", p11kitAnchorDirs: [anchors], isPrivileged: true }),
    );
    assert.ok(await store.isAvailable());
    await store.install(root);
    assert.deepEqual(calls.at(-1), ["/usr/bin/update-ca-trust", "extract"]);
    assert.ok(await store.isTrusted(root));
    await store.uninstall(root);
    assert.equal(await store.isTrusted(root), false);
    const unprivileged = new P11KitSystemStore(ctx({ runner, platform: "linux", p11kitAnchorDirs: [anchors] }));
    await assert.rejects(unprivileged.install(root), ElevationRequiredError);
  });
});

describe("Debian system store without root", () => {
  it("names the step that needs root instead of failing obscurely", async () => {
    const root = await testRoot();
    const certDir = tempDir("debian-certs");
    const { runner, calls } = fakeRunner();
    const store = new DebianSystemStore(ctx({ runner, platform: "linux", debianCertDir: certDir }));
    const outcomes = await installRoot([store], root);
    assert.equal(outcomes[0]?.trusted, false);
    assert.match(
      outcomes[0]?.elevation ?? "",
      new RegExp(`writing ${certDir}/switchyard-[0-9a-f]{16}\\.crt and running update-ca-certificates`),
    );
    assert.match(outcomes[0]?.error ?? "", /rerun with sudo/);
    assert.equal(calls.length, 0);
  });
});

describe("NSS store (real certutil, temp HOME)", () => {
  it("installs into ~/.pki/nssdb and every Firefox profile, reports trust, and uninstalls", async (t) => {
    if (!haveTool(t, "certutil")) return;
    const root = await testRoot();
    const home = await tempNssHome();
    const profile = join(home, ".mozilla", "firefox", "abcd.default-release");
    mkdirSync(profile, { recursive: true });
    assert.equal(spawnSync("certutil", ["-N", "-d", `sql:${profile}`, "--empty-password"]).status, 0);
    const [chromium, , , firefox] = nssStoresFor(defaultTrustContext({ home, env: { PATH: process.env.PATH } }));
    assert.ok(chromium && firefox);
    assert.deepEqual(chromium.databases(), [`sql:${join(home, ".pki", "nssdb")}`]);
    assert.deepEqual(firefox.databases(), [`sql:${profile}`]);
    for (const store of [chromium, firefox]) {
      assert.equal(await store.isTrusted(root), false);
      await store.install(root);
      assert.ok(await store.isTrusted(root));
    }
    const listed = spawnSync("certutil", ["-L", "-d", `sql:${profile}`]).stdout.toString();
    assert.match(listed, new RegExp(`${root.nickname.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s+C,,`));
    for (const store of [chromium, firefox]) {
      await store.uninstall(root);
      assert.equal(await store.isTrusted(root), false);
    }
  });

  it("says how to install certutil when it is missing", async () => {
    const root = await testRoot();
    const home = tempDir("nss-missing");
    mkdirSync(join(home, ".pki", "nssdb"), { recursive: true });
    writeFileSync(join(home, ".pki", "nssdb", "cert9.db"), "");
    const { runner } = fakeRunner(undefined, false);
    const error = await new NssStore(ctx({ runner, home, platform: "linux" })).install(root).catch((e: unknown) => e);
    assert.ok(error instanceof TrustToolMissingError);
    assert.match(error.message, /apt install libnss3-tools/);
  });
});

describe("Java cacerts store (real keytool, temp JAVA_HOME)", () => {
  it("imports the root into $JAVA_HOME/lib/security/cacerts and removes it", async (t) => {
    if (!haveTool(t, "keytool")) return;
    const root = await testRoot();
    const javaHome = tempDir("java-home");
    mkdirSync(join(javaHome, "bin"));
    mkdirSync(join(javaHome, "lib", "security"), { recursive: true });
    const keytool = spawnSync("sh", ["-c", "readlink -f $(which keytool)"]).stdout.toString().trim();
    symlinkSync(keytool, join(javaHome, "bin", "keytool"));
    const store = new JavaCacertsStore(defaultTrustContext({ env: { JAVA_HOME: javaHome } }));
    assert.ok(await store.isAvailable());
    assert.equal(await store.isTrusted(root), false);
    await store.install(root);
    assert.ok(await store.isTrusted(root));
    await store.uninstall(root);
    assert.equal(await store.isTrusted(root), false);
  });

  it("is unavailable with no JAVA_HOME and no java on PATH", async () => {
    assert.equal(await new JavaCacertsStore(ctx({ env: {} })).isAvailable(), false);
    assert.equal(await new JavaCacertsStore(ctx({ env: { PATH: tempDir("no-java") } })).isAvailable(), false);
  });

  it("without JAVA_HOME, uses the JDK of the java first on PATH, followed through its links", async (t) => {
    if (!haveTool(t, "java")) return;
    const real = spawnSync("sh", ["-c", "readlink -f $(which java)"]).stdout.toString().trim();
    const bin = tempDir("path-bin");
    symlinkSync(spawnSync("sh", ["-c", "which java"]).stdout.toString().trim(), join(bin, "java"));
    const store = new JavaCacertsStore(ctx({ env: { PATH: `${tempDir("empty")}:${bin}:/usr/bin` } }));
    assert.ok(await store.isAvailable());
    assert.equal(store.cacerts(), join(dirname(dirname(real)), "lib", "security", "cacerts"));
  });
});

describe("Windows Root store from WSL (fake runner)", () => {
  it("adds the root through wslpath and certutil.exe -user -addstore Root, checks and removes it by thumbprint", async () => {
    const root = await testRoot();
    const { runner, calls } = fakeRunner((file) =>
      file === "wslpath" ? { code: 0, stdout: "C:\\Users\\me\\AppData\\root.pem\n" } : { code: 0 },
    );
    const store = new WslWindowsRootStore(ctx({ runner, platform: "linux", env: { WSL_DISTRO_NAME: "Debian" } }));
    assert.ok(await store.isAvailable());
    assert.ok(await store.isRequired());
    await store.install(root);
    assert.deepEqual(calls.slice(-4), [
      ["wslpath", "-w", root.file],
      ["/usr/bin/certutil.exe", "-user", "-addstore", "Root", "C:\\Users\\me\\AppData\\root.pem"],
      ["wslpath", "-w", join(dirname(root.file), `${root.fileBase}-tls-only.inf`)],
      ["/usr/bin/certutil.exe", "-user", "-repairstore", "Root", root.sha1, "C:\\Users\\me\\AppData\\root.pem"],
    ]);
    assert.ok(await store.isTrusted(root));
    assert.deepEqual(calls.at(-1), ["/usr/bin/certutil.exe", "-user", "-verifystore", "Root", root.sha1]);
    await store.uninstall(root);
    assert.deepEqual(calls.at(-1), ["/usr/bin/certutil.exe", "-user", "-delstore", "Root", root.sha1]);
  });

  it("is not present outside WSL", async () => {
    const { runner } = fakeRunner();
    assert.equal(await new WslWindowsRootStore(ctx({ runner, platform: "linux", env: {} })).isAvailable(), false);
  });
});
