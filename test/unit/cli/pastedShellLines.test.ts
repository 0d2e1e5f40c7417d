// Every line the CLI prints for a user to paste or eval, with CA paths that hold shell syntax:
// each line is run in real bash and dash (Debian's /bin/sh) in a temp folder, and must neither run
// the path's `$(...)` or backticks (no marker file appears) nor change the path (the command or
// variable gets exactly it). PowerShell lines are checked as recorded text.
import { describe, it, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../../../extension/cli";
import type { CliIO } from "../../../extension/cli/command";
import { runtimeTrustStep } from "../../../extension/cli/caEnv";
import { printOutcomes } from "../../../extension/cli/trustReport";
import { nodeExtraCaCertsGuidance } from "../../../extension/core/ca/trust/stores";
import { RUNTIME_BUNDLE_FILE, SYSTEM_BUNDLES } from "../../../extension/core/ca/trust/runtimeEnv";
import { powerShellQuote, shQuote } from "../../../extension/core/shellQuote";
import { existsSync } from "node:fs";
import { tempDir } from "../ca/realClients";
import { needTools } from "../requirements";
import { cliArgv } from "./cliProcesses";

/** Folder names that break double quotes: command substitution, backticks, both quotes, a newline. */
const HOSTILE_NAMES = [
  "ca $(touch PWNED_SUBST)",
  "ca `touch PWNED_BACKTICK`",
  `it's "quoted" $HOME`,
  "line\nbreak $(touch PWNED_NEWLINE)",
  "all $(touch PWNED_ALL) `touch PWNED_ALL2` ' \" \u2019\u2018 \\ ;touch PWNED_SEMI\n end",
];

const SHELLS = ["bash", "dash"] as const;

function collectingIo(home: string, env: NodeJS.ProcessEnv = {}): CliIO & { out: () => string; err: () => string } {
  let out = "";
  let err = "";
  return {
    stdout: (t) => void (out += t),
    stderr: (t) => void (err += t),
    cwd: home,
    env: { PATH: process.env.PATH, HOME: home, ...env },
    confirm: async () => false,
    signal: new AbortController().signal,
    out: () => out,
    err: () => err,
  };
}

/** A `switchyard` on PATH that is this checkout's CLI, for lines that eval its output. */
function stubBin(): string {
  const bin = tempDir("pasted-bin");
  const argv = [process.execPath, ...cliArgv([])].map((a) => shQuote(a)).join(" ");
  writeFileSync(join(bin, "switchyard"), `#!/bin/sh\nexec ${argv} "$@"\n`, { mode: 0o755 });
  return bin;
}

/**
 * Runs `line` as pasted into `shell` in a fresh folder, after `prelude` (stub functions), then
 * `epilogue`, which writes NUL-separated values to "$OUT". Returns those values and asserts that no
 * marker file appeared in the folder.
 */
function paste(shell: string, line: string, prelude: string, epilogue: string, env: NodeJS.ProcessEnv): string[] {
  const cwd = tempDir(`pasted-${shell}`);
  const outFile = join(tempDir("pasted-out"), "values");
  const ran = spawnSync(shell, ["-c", `${prelude}\n${line}\n${epilogue}`], {
    cwd,
    env: { ...env, OUT: outFile },
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(ran.status, 0, `${shell} exited ${ran.status} ${ran.signal ?? ""}: ${ran.stderr}\nline: ${line}`);
  assert.deepEqual(readdirSync(cwd), [], `${shell} ran code from the path: ${line}`);
  return readFileSync(outFile, "utf8").split("\0").slice(0, -1);
}

/** Shell functions that record the arguments `switchyard` (and `sudo switchyard`) was given. */
const RECORD_ARGS = `switchyard() { printf '%s\\0' "$@" > "$OUT"; }\nsudo() { "$@"; }`;

function needShells(t: TestContext): boolean {
  return needTools(t, ...SHELLS);
}

describe("lines printed for pasting quote hostile CA paths for sh", () => {
  const parent = tempDir("pasted-ca");
  const home = tempDir("pasted-home");
  const dirs = HOSTILE_NAMES.map((name) => join(parent, name));

  it("ca create: the next-step line passes the folder unchanged", async (t) => {
    if (!needShells(t)) return;
    for (const dir of dirs) {
      const io = collectingIo(home);
      assert.equal(await runCli(["ca", "create", "--ca-dir", dir], io), 0, io.err());
      // The next step: `Next: switchyard ca trust --ca-dir DIR`, the last line.
      const next = io.out().slice(io.out().indexOf("Next: ") + "Next: ".length, -1);
      assert.ok(next.startsWith("switchyard ca trust --ca-dir "), io.out());
      for (const shell of SHELLS)
        assert.deepEqual(paste(shell, next, RECORD_ARGS, "", {}), ["ca", "trust", "--ca-dir", dir], shell);
    }
  });

  it("ca create --force: the untrust line for the old CA names the folder it was moved to", async (t) => {
    if (!needShells(t)) return;
    for (const dir of dirs) {
      const io = collectingIo(home);
      assert.equal(await runCli(["ca", "create", "--force", "--ca-dir", dir], io), 0, io.err());
      const out = io.out();
      const start = out.indexOf("remove it with: ") + "remove it with: ".length;
      const line = out.slice(start, out.indexOf("\nCreated local CA"));
      for (const shell of SHELLS) {
        const args = paste(shell, line, RECORD_ARGS, "", {});
        assert.deepEqual(args.slice(0, 3), ["ca", "untrust", "--ca-dir"], shell);
        assert.ok(args[3]!.startsWith(dir), `${shell}: ${JSON.stringify(args[3])}`);
        assert.ok(existsSync(join(args[3]!, "root.pem")), `${shell}: the moved CA is at ${JSON.stringify(args[3])}`);
      }
    }
  });

  it('ca trust: eval "$(switchyard ca env --ca-dir DIR)" sets the variables to exactly the files', async (t) => {
    if (!needShells(t)) return;
    const bin = stubBin();
    const system = SYSTEM_BUNDLES.some((f) => existsSync(f));
    for (const dir of dirs) {
      const io = collectingIo(home);
      runtimeTrustStep("trust", dir, io);
      const out = io.out();
      const line = out.slice(out.indexOf("  eval ") + 2, out.indexOf("\n(VS Code"));
      assert.ok(line.startsWith(`eval "$(switchyard ca env --ca-dir '`), out);
      for (const shell of SHELLS) {
        const values = paste(shell, line, "", `printf '%s\\0' "$NODE_EXTRA_CA_CERTS" "\${SSL_CERT_FILE-}" > "$OUT"`, {
          PATH: `${bin}:${process.env.PATH}`,
          HOME: home,
        });
        assert.deepEqual(values, [join(dir, "root.pem"), system ? join(dir, RUNTIME_BUNDLE_FILE) : ""], shell);
      }
    }
  });

  it('ca untrust: eval "$(switchyard ca env --ca-dir DIR)" unsets the variables that point at this CA', async (t) => {
    if (!needShells(t)) return;
    const bin = stubBin();
    for (const dir of dirs) {
      const io = collectingIo(home);
      runtimeTrustStep("untrust", dir, io);
      const out = io.out();
      const line = out.slice(out.indexOf("; eval ") + 2, out.indexOf(" unsets the variables"));
      assert.ok(line.startsWith(`eval "$(switchyard ca env --ca-dir '`), out);
      for (const shell of SHELLS) {
        const values = paste(
          shell,
          line,
          "",
          `printf '%s\\0' "\${NODE_EXTRA_CA_CERTS-unset}" "\${SSL_CERT_FILE-unset}" > "$OUT"`,
          {
            PATH: `${bin}:${process.env.PATH}`,
            HOME: home,
            NODE_EXTRA_CA_CERTS: join(dir, "root.pem"),
            SSL_CERT_FILE: join(dir, RUNTIME_BUNDLE_FILE),
          },
        );
        assert.deepEqual(values, ["unset", "unset"], shell);
      }
      runtimeTrustStep("trust", dir, collectingIo(home));
    }
  });

  it("ca trust without root: the sudo line passes the folder unchanged", async (t) => {
    if (!needShells(t)) return;
    for (const dir of dirs) {
      const io = collectingIo(home);
      const outcome = {
        store: "system-debian",
        description: "the system store",
        available: true,
        required: true,
        trusted: false,
        elevation: "update-ca-certificates",
      };
      printOutcomes(io, [outcome], "trust", dir, false);
      const err = io.err();
      const line = err.slice(err.indexOf("Rerun with sudo: ") + "Rerun with sudo: ".length, -1);
      for (const shell of SHELLS)
        assert.deepEqual(paste(shell, line, RECORD_ARGS, "", {}), ["ca", "trust", "--ca-dir", dir], shell);
    }
  });

  it("ca status: the NODE_EXTRA_CA_CERTS export line sets exactly the root's path", (t) => {
    if (!needShells(t)) return;
    for (const dir of dirs) {
      const guidance = nodeExtraCaCertsGuidance(join(dir, "root.pem"), "linux");
      const line = guidance.slice(guidance.indexOf("  export ") + 2, guidance.indexOf("\n(Node 23.8+"));
      for (const shell of SHELLS)
        assert.deepEqual(
          paste(shell, line, "", `printf '%s\\0' "$NODE_EXTRA_CA_CERTS" > "$OUT"`, {}),
          [join(dir, "root.pem")],
          shell,
        );
    }
  });

  it("a CA folder others can write: the chmod 700 line fixes exactly that folder", async (t) => {
    if (!needShells(t)) return;
    for (const dir of dirs) {
      for (const shell of SHELLS) {
        chmodSync(dir, 0o777);
        const io = collectingIo(home);
        assert.equal(await runCli(["ca", "issue", "app.test", "--ca-dir", dir, "--out", home], io), 1);
        const err = io.err();
        const line = err.slice(err.indexOf("Fix it with: ") + "Fix it with: ".length, err.indexOf("; Switchyard does"));
        assert.deepEqual(paste(shell, line, "", `printf 'done\\0' > "$OUT"`, { PATH: process.env.PATH }), ["done"]);
        assert.equal(statSync(dir).mode & 0o777, 0o700, `${shell}: ${line}`);
      }
    }
  });
});

describe("lines printed for PowerShell, as recorded text", () => {
  // A Windows-looking folder name with every quote PowerShell accepts and its expansions.
  const name = "O\u2019Brien's \u2018ca\u2019 $(calc) `n \u201A\u201B";

  it("doubles ', \u2018 and \u2019 (and \u201A, \u201B) and leaves $ and backticks inert", () => {
    assert.equal(
      powerShellQuote(name),
      "'O\u2019\u2019Brien''s \u2018\u2018ca\u2019\u2019 $(calc) `n \u201A\u201A\u201B\u201B'",
    );
    assert.equal(powerShellQuote("C:\\Users\\dev\\ca"), "'C:\\Users\\dev\\ca'");
  });

  it("ca env --shell powershell prints $env: lines with the folder quoted that way", async () => {
    const dir = join(tempDir("pasted-ps"), name);
    mkdirSync(dir);
    const home = tempDir("pasted-ps-home");
    const io = collectingIo(home);
    assert.equal(await runCli(["ca", "create", "--ca-dir", dir], io), 0, io.err());
    runtimeTrustStep("trust", dir, collectingIo(home));
    const env = collectingIo(home);
    assert.equal(await runCli(["ca", "env", "--shell", "powershell", "--ca-dir", dir], env), 0, env.err());
    const quotedDir = "O\u2019\u2019Brien''s \u2018\u2018ca\u2019\u2019 $(calc) `n \u201A\u201A\u201B\u201B";
    const lines = env.out().trimEnd().split("\n");
    assert.equal(lines[0], `$env:NODE_EXTRA_CA_CERTS = '${join(dir, "..").replace(/'/g, "''")}/${quotedDir}/root.pem'`);
    for (const line of lines) assert.match(line, /^\$env:[A-Z_]+ = '.*'$/);
  });

  it("ca status on Windows prints a PowerShell line that sets the user variable", () => {
    const guidance = nodeExtraCaCertsGuidance(`C:\\Users\\dev\\${name}\\root.pem`, "win32");
    assert.ok(
      guidance.includes(
        `  [Environment]::SetEnvironmentVariable('NODE_EXTRA_CA_CERTS', ` +
          `'C:\\Users\\dev\\O\u2019\u2019Brien''s \u2018\u2018ca\u2019\u2019 $(calc) \`n \u201A\u201A\u201B\u201B\\root.pem', 'User')\n`,
      ),
      guidance,
    );
  });
});
