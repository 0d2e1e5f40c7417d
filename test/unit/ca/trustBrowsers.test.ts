/**
 * `switchyard ca trust` for real, with real clients, inside a private mount namespace: temp copies
 * over /etc/ssl and /usr/local/share/ca-certificates, an empty folder over the update hooks (Debian's
 * Java hook would run dpkg triggers on the real machine), a temp /etc/hosts naming my-app.test, and a
 * temp HOME. curl, Python, Node (with `ca env`), Java, headless Chromium and headless Firefox ESR load
 * https://my-app.test:PORT/ through `switchyard serve` only after trust, and are refused again after
 * untrust. The machine's own stores are never touched. Browsers are required: a missing one fails.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createCa } from "../../../extension/core/ca/index";
import { CHROMIUM, FIREFOX } from "./browserClients";
import { tempDir } from "./realClients";

const REPO = resolve(__dirname, "../../..");
const CLIENTS = ["curl", "python", "node", "java", "chromium", "firefox"] as const;

interface Load {
  loaded: boolean;
  detail: string;
}
type Loads = Record<(typeof CLIENTS)[number], Load>;
interface Result {
  before: Loads;
  trust: { code: number; out: string };
  statusAfterTrust: [string, boolean, boolean][];
  checkAfterTrust: Record<string, boolean>;
  checkAfterUntrust: Record<string, boolean>;
  afterTrust: Loads;
  untrust: { code: number; out: string };
  statusAfterUntrust: [string, boolean, boolean][];
  afterUntrust: Loads;
}

function runInNamespace(caDir: string, mode: "launched" | "fresh"): Result {
  for (const tool of [
    "unshare",
    "update-ca-certificates",
    "curl",
    "certutil",
    "/usr/bin/python3",
    "java",
    CHROMIUM,
    FIREFOX,
  ])
    assert.equal(spawnSync("sh", ["-c", `command -v ${tool}`]).status, 0, `${tool} is required for this test`);
  const ssl = tempDir("ns-ssl");
  const local = tempDir("ns-local");
  const hooks = tempDir("ns-hooks");
  const home = tempDir("ns-home");
  const hosts = join(tempDir("ns-hosts"), "hosts");
  writeFileSync(hosts, "127.0.0.1 localhost\n::1 localhost\n127.0.0.1 my-app.test\n");
  assert.equal(spawnSync("cp", ["-a", "/etc/ssl/.", ssl]).status, 0);
  assert.equal(spawnSync("cp", ["-a", "/usr/local/share/ca-certificates/.", local]).status, 0);
  const script =
    'mount --bind "$1" /etc/ssl && mount --bind "$2" /usr/local/share/ca-certificates && ' +
    'mount --bind "$3" /etc/ca-certificates/update.d && mount --bind "$4" /etc/hosts && ' +
    'exec node --import tsx "$5" "$6" "$7"';
  const ran = spawnSync(
    "unshare",
    ["--mount", "--propagation", "private", "sh", "-c", script, "sh", ssl, local, hooks, hosts].concat([
      join(REPO, "test/fixtures/ca/browserTrustInNamespace.ts"),
      caDir,
      mode,
    ]),
    {
      cwd: REPO,
      encoding: "utf8",
      timeout: 570_000,
      env: { ...process.env, HOME: home },
      input: "",
    },
  );
  assert.equal(ran.status, 0, `${ran.stderr}\n${ran.stdout}`);
  return JSON.parse(ran.stdout.trim().split("\n").pop() ?? "{}") as Result;
}

function expectAll(loads: Loads, loaded: boolean, stage: string): void {
  for (const client of CLIENTS) {
    const got = loads[client];
    assert.equal(
      got.loaded,
      loaded,
      `${stage}: ${client} ${loaded ? "did not load" : "loaded"} the page: ${got.detail}`,
    );
  }
}

describe("ca trust with real browsers and runtimes in a private mount namespace", () => {
  for (const mode of ["launched", "fresh"] as const) {
    const home = mode === "launched" ? "both browsers launched once before trust" : "neither browser ever launched";
    it(
      `${home}: every client loads the site after trust and is refused before and after untrust`,
      { timeout: 600_000 },
      async () => {
        const realLocal = readdirSync("/usr/local/share/ca-certificates").sort();
        const realBundle = readFileSync("/etc/ssl/certs/ca-certificates.crt", "utf8");
        const realJava = readFileSync("/etc/ssl/certs/java/cacerts");
        const caDir = join(tempDir("ns-ca-outer"), "ca");
        await createCa({ dir: caDir });
        const r = runInNamespace(caDir, mode);
        expectAll(r.before, false, "before trust");
        assert.equal(r.trust.code, 0, r.trust.out);
        expectAll(r.afterTrust, true, `after trust (${r.trust.out})`);
        const trusted = Object.fromEntries(
          r.statusAfterTrust.filter(([, available]) => available).map(([s, , t]) => [s, t]),
        );
        assert.deepEqual(trusted, { "system-debian": true, chromium: true, firefox: true, java: true });
        // ca check agrees with what the clients did (plain Node needs `ca env`, so it fails in both).
        const checked = (passed: boolean): Record<string, boolean> => ({
          "curl (system store)": passed,
          node: false,
          "node + NODE_EXTRA_CA_CERTS": true,
          "python (ssl default context)": passed,
          "java (default trust store)": passed,
          "chromium (headless page load)": passed,
          "chromium (NSS database)": passed,
          "firefox (headless page load)": passed,
          "firefox (NSS database)": passed,
        });
        const { ["python (certifi)"]: _certifi, ...afterTrust } = r.checkAfterTrust;
        assert.deepEqual(afterTrust, checked(true));
        assert.equal(r.untrust.code, 0, r.untrust.out);
        const { ["python (certifi)"]: _certifi2, ...afterUntrust } = r.checkAfterUntrust;
        assert.deepEqual(afterUntrust, checked(false));
        expectAll(r.afterUntrust, false, "after untrust");
        assert.ok(
          r.statusAfterUntrust.every(([, , t]) => !t),
          JSON.stringify(r.statusAfterUntrust),
        );
        assert.deepEqual(
          readdirSync("/usr/local/share/ca-certificates").sort(),
          realLocal,
          "the real store was touched",
        );
        assert.equal(
          readFileSync("/etc/ssl/certs/ca-certificates.crt", "utf8"),
          realBundle,
          "the real bundle was touched",
        );
        assert.ok(readFileSync("/etc/ssl/certs/java/cacerts").equals(realJava), "the real Java keystore was touched");
      },
    );
  }
});
