import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { cpSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { mountNamespaceUnavailable } from "../namespaces";
import { tempDir } from "./fixtures";
import { cliCommand } from "../cli/cliBundle";

const ROOT = join(__dirname, "..", "..", "..");
const NAME = "my-awesome-service.test";

/** Why this test cannot run here (no mount namespace or no curl), or undefined. */
function unavailable(): string | undefined {
  const why = mountNamespaceUnavailable();
  if (why) return why;
  if (spawnSync("curl", ["--version"]).error) return "curl is not installed (apt-get install curl)";
  return undefined;
}

function run(argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    // Bounded: a step that hangs is killed (and fails the test) instead of hanging the file.
    const child = spawn(argv[0] as string, argv.slice(1), {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 120_000,
      killSignal: "SIGKILL",
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("exit", (code) => resolve({ code: code ?? -1, out }));
  });
}

describe("the real resolver sees the mapping (private mount namespace)", { skip: unavailable() ?? false }, () => {
  it("getent, dns.lookup and curl resolve the name after add and not after remove; /etc/hosts is untouched", async () => {
    const realHosts = readFileSync("/etc/hosts");
    const realEtc = readdirSync("/etc").sort();
    const tmp = tempDir();
    // A private copy of /etc, so even the temp and lock files next to the hosts file stay off the real /etc.
    cpSync("/etc", join(tmp.dir, "etc"), { recursive: true, verbatimSymlinks: true, errorOnExist: false });
    writeFileSync(join(tmp.dir, "hosts"), realHosts);
    const server = createServer((_req, res) => res.end("hello from loopback\n"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    const cli = [process.execPath, ...cliCommand(["hosts"])].map((a) => `'${a}'`).join(" ");
    const lookup = `node -e 'require("dns").lookup("${NAME}",{all:true},(e,a)=>console.log("LOOKUP",e?e.code:JSON.stringify(a.map(x=>x.address).sort())))'`;
    const probe = (tag: string): string =>
      `echo ${tag}; getent hosts ${NAME} | sed "s/^/GETENT /" || echo GETENT none; ${lookup}; ` +
      `curl -s --max-time 5 http://${NAME}:${port}/ | sed "s/^/CURL /" || echo CURL failed`;
    const script = [
      "set -e",
      `mount --bind ${tmp.dir}/etc /etc`,
      `mount --bind ${tmp.dir}/hosts /etc/hosts`,
      `${cli} add ${NAME} --yes`,
      "set +e",
      probe("AFTER-ADD"),
      `${cli} remove ${NAME} --yes`,
      probe("AFTER-REMOVE"),
    ].join("\n");
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: tmp.dir,
      SWITCHYARD_DATA_DIR: join(tmp.dir, "data"),
      SWITCHYARD_HOSTS_DNS: "off",
    };
    try {
      const { code, out } = await run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script], env);
      assert.equal(code, 0, out);
      const [added = "", removed = ""] = out.split("AFTER-REMOVE");
      const afterAdd = added.slice(added.indexOf("AFTER-ADD"));
      assert.match(afterAdd, new RegExp(`GETENT (127\\.0\\.0\\.1|::1)\\s+${NAME}`), out);
      assert.match(afterAdd, /LOOKUP \["127\.0\.0\.1","::1"\]/, out);
      assert.match(afterAdd, /CURL hello from loopback/, out);
      assert.match(out, /\(in-place\)/, "a bind-mounted /etc/hosts cannot be renamed over: written in place");
      assert.doesNotMatch(removed, /GETENT \S+\s+my-awesome/, out);
      assert.match(removed, /LOOKUP ENOTFOUND|LOOKUP EAI_AGAIN/, out);
      assert.doesNotMatch(removed, /CURL hello/, out);
      assert.ok(
        readFileSync(join(tmp.dir, "hosts")).equals(realHosts),
        "the temp hosts file is back to its original bytes",
      );
    } finally {
      server.close();
      tmp.remove();
    }
    assert.ok(readFileSync("/etc/hosts").equals(realHosts), "the machine's /etc/hosts is unchanged");
    assert.deepEqual(readdirSync("/etc").sort(), realEtc, "nothing was created in the real /etc");
  });
});
