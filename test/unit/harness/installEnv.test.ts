import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
// @ts-expect-error: plain JS harness module shared with `npm start` and the integration runner
import { ensureNode24 } from "../../harness/codeServer.mjs";
// @ts-expect-error: plain JS harness module, as above
import { isOuterNpmIdentity, machineNpmConfigPaths, nestedInstallEnv } from "../../harness/installEnv.mjs";

/** What `npm test` on Node 20 puts into the environment of its script (taken from a real run). */
const OUTER_NPM_TEST_ENV: Record<string, string> = {
  PATH: "/work/main/node_modules/.bin:/usr/local/bin:/usr/bin:/bin",
  HOME: "/root",
  NODE: "/usr/bin/node",
  INIT_CWD: "/work/main",
  npm_command: "run",
  npm_execpath: "/usr/lib/node_modules/npm/bin/npm-cli.js",
  npm_node_execpath: "/usr/bin/node",
  npm_lifecycle_event: "test",
  npm_lifecycle_script: "node test/run.mjs",
  npm_package_name: "switchyard",
  npm_package_json: "/work/main/package.json",
  npm_config_user_agent: "npm/11.19.1 node/v20.20.2 linux x64 workspaces/false",
  npm_config_npm_version: "11.19.1",
  npm_config_local_prefix: "/work/main",
  npm_config_node_gyp: "/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js",
  npm_config_globalconfig: "/usr/etc/npmrc",
  npm_config_userconfig: "/root/.npmrc",
  npm_config_cafile: "/etc/ssl/certs/ca-certificates.crt",
  npm_config_registry: "https://registry.example.invalid/",
  npm_config_https_proxy: "http://proxy.example.invalid:3128",
  npm_config_prefix: "/usr",
  HTTPS_PROXY: "http://proxy.example.invalid:3128",
  NODE_EXTRA_CA_CERTS: "/etc/ssl/certs/ca-certificates.crt",
};

/** The nested install's environment as built from inside `npm test` (the paths the outer npm gave). */
function nestedEnvForNpmTest(): NodeJS.ProcessEnv {
  return nestedInstallEnv(OUTER_NPM_TEST_ENV, {
    nodeBinDir: "/cache/node/bin",
    nodedir: "/cache/node",
    npmConfigPaths: { globalconfig: "/usr/etc/npmrc", userconfig: "/root/.npmrc" },
  });
}

describe("the environment of the nested code-server install", () => {
  it("drops the outer npm's identity, which code-server's postinstall reads as the Node version", () => {
    const env = nestedEnvForNpmTest();
    for (const name of [
      "npm_config_user_agent",
      "npm_config_npm_version",
      "npm_config_local_prefix",
      "npm_config_node_gyp",
      "npm_command",
      "npm_execpath",
      "npm_node_execpath",
      "npm_lifecycle_event",
      "npm_lifecycle_script",
      "npm_package_name",
      "npm_package_json",
      "INIT_CWD",
      "NODE",
    ]) {
      assert.equal(env[name], undefined, `${name} must not reach the nested npm`);
      assert.ok(isOuterNpmIdentity(name));
    }
  });

  it("keeps the machine's npm configuration: registry, CA file, proxies and which npmrc files to read", () => {
    const env = nestedEnvForNpmTest();
    for (const name of [
      "npm_config_registry",
      "npm_config_cafile",
      "npm_config_https_proxy",
      "npm_config_prefix",
      "HTTPS_PROXY",
      "NODE_EXTRA_CA_CERTS",
      "HOME",
    ]) {
      assert.equal(env[name], OUTER_NPM_TEST_ENV[name], `${name} is the machine's configuration`);
    }
    assert.equal(env.npm_config_globalconfig, "/usr/etc/npmrc");
    assert.equal(env.npm_config_userconfig, "/root/.npmrc");
    assert.equal(env.npm_config_nodedir, "/cache/node", "native modules build against the Node that runs them");
    assert.ok(env.PATH?.startsWith("/cache/node/bin:"), "the nested install's `node` is the Node it needs");
  });

  it("takes the npmrc paths from an outer npm, and asks the machine's npm when started from a plain shell", () => {
    const fromNpm = machineNpmConfigPaths(OUTER_NPM_TEST_ENV, () => {
      throw new Error("must not ask npm when the outer npm said it");
    });
    assert.deepEqual(fromNpm, { globalconfig: "/usr/etc/npmrc", userconfig: "/root/.npmrc" });
    const plain = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
    const asked = machineNpmConfigPaths(plain);
    const npm = (key: string) =>
      spawnSync("npm", ["config", "get", key], { env: plain, encoding: "utf8" }).stdout.trim();
    assert.equal(asked.globalconfig, npm("globalconfig"));
    assert.equal(asked.userconfig, npm("userconfig"));
  });

  it("lets an npm run by Node 24 from another prefix read the machine's npm config and report Node 24", () => {
    // The real first-run path: Node 24 from the cache (installed now if this machine has none yet).
    const { node } = ensureNode24({ log: () => {} });
    const npmCli = spawnSync("sh", ["-c", "command -v npm"], { encoding: "utf8" }).stdout.trim();
    const outer = { ...process.env, ...pick(OUTER_NPM_TEST_ENV, /^(npm_|NODE$|INIT_CWD)/) };
    // The machine's real npmrc paths, as an outer `npm test` would pass them.
    const plain = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
    const paths = machineNpmConfigPaths(plain);
    outer.npm_config_globalconfig = paths.globalconfig ?? "";
    outer.npm_config_userconfig = paths.userconfig ?? "";
    delete outer.npm_config_registry;
    delete outer.npm_config_https_proxy;
    delete outer.npm_config_cafile;
    const env = nestedInstallEnv(outer, { nodeBinDir: dirname(node), nodedir: undefined, npmConfigPaths: paths });
    const get = (key: string, e: NodeJS.ProcessEnv) =>
      spawnSync(node, [npmCli, "config", "get", key], { env: e, encoding: "utf8" }).stdout.trim();
    // What a package's install script sees (code-server's postinstall checks the Node major in it).
    const pkg = mkdtempSync(join(tmpdir(), "switchyard-npm-"));
    try {
      writeFileSync(
        join(pkg, "package.json"),
        JSON.stringify({ name: "probe", scripts: { ua: 'node -e "console.log(process.env.npm_config_user_agent)"' } }),
      );
      const seen = (e: NodeJS.ProcessEnv) =>
        spawnSync(node, [npmCli, "run", "--silent", "ua"], { cwd: pkg, env: e, encoding: "utf8" }).stdout.trim();
      assert.match(seen(env), /node\/v24\./, "the nested install's scripts see the Node that runs them");
      assert.match(seen({ ...env, PATH: outer.PATH, ...pick(OUTER_NPM_TEST_ENV, /user_agent/) }), /node\/v20\./);
    } finally {
      rmSync(pkg, { recursive: true, force: true });
    }
    const machineCafile = spawnSync("npm", ["config", "get", "cafile"], { env: plain, encoding: "utf8" }).stdout.trim();
    assert.equal(get("cafile", env), machineCafile, "the machine's CA file reaches the nested npm");
    // Dropping every npm_config_* (the tempting fix) loses the global npmrc: Node 24's npm then
    // looks for it under its own prefix.
    const bare: NodeJS.ProcessEnv = Object.fromEntries(
      Object.entries(env as NodeJS.ProcessEnv).filter(([k]) => !/^npm_config_/i.test(k)),
    );
    assert.notEqual(get("globalconfig", bare), paths.globalconfig);
  });
});

function pick(env: Record<string, string>, re: RegExp): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([k]) => re.test(k)));
}
