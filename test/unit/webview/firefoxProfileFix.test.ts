// A Firefox that rejects the root gets one certutil command per real profile of the user, found
// the way Trust Local CA finds them (profiles.ini in each profiles root), quoted for the shell;
// each copied command is run as a user would paste it, against a real NSS database in a temp HOME.
// With no profile found, no command is offered and the explanation says what to do instead.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseClientHello } from "../../../extension/core/proxy/accept/clientHello";
import { explainHandshakeFailure } from "../../../extension/core/proxy/records/explain";
import { summarizeClientHello, type ConnectionRecord } from "../../../extension/core/proxy/records/records";
import { firefoxProfileRoots, userFirefoxProfiles } from "../../../extension/core/ca/trust/discovery/firefoxProfiles";
import { recordView, type RecordViewContext } from "../../../extension/vscode/recordView";
import { toolsMissing } from "../requirements";

/** A record of the captured Firefox hello failing its handshake with unknown_ca. */
function firefoxRejected(): ConnectionRecord {
  const parsed = parseClientHello(readFileSync(path.join(__dirname, "../../fixtures/clienthello/firefox.bin")));
  assert.equal(parsed.kind, "complete");
  const clientHello = summarizeClientHello((parsed as Extract<typeof parsed, { kind: "complete" }>).hello);
  const alert = Object.assign(new Error("alert number 48"), { code: "ERR_SSL_TLSV1_ALERT_UNKNOWN_CA" });
  const explained = explainHandshakeFailure(alert, true, { client: clientHello.client, address: "127.0.0.1" });
  return {
    id: 1,
    seq: 1,
    time: "2026-12-06T10:00:00.000Z",
    client: { address: "127.0.0.1", port: 50000 },
    local: { address: "127.0.0.1", port: 8443 },
    protocol: "tls",
    clientHello,
    outcome: { kind: "failed", stage: "handshake", error: explained.code, explanation: explained.explanation },
    requests: [],
    requestCount: 0,
    bytesIn: 0,
    bytesOut: 0,
    durationMs: 1,
    timeline: {},
  };
}

/** Under CI=true a missing tool throws here (a failure), never a skip. */
const missing = toolsMissing("certutil", "openssl", "sh");

describe("the certutil command for a Firefox that rejected the root", { skip: missing ?? false }, () => {
  let home: string;
  let rootFile: string;
  /** Profile folders made in the temp HOME: a native one (its name has a space and a quote) and a snap one. */
  let native: string;
  let snap: string;

  /** A profiles root with a profiles.ini listing `folder` (relative) and an NSS database in it. */
  function profile(root: string, folder: string): string {
    const dir = path.join(root, folder);
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(root, "profiles.ini"),
      `[General]\nStartWithLastProfile=1\n\n[Profile0]\nName=default-release\nIsRelative=1\nPath=${folder}\nDefault=1\n`,
    );
    execFileSync("certutil", ["-N", "-d", `sql:${dir}`, "--empty-password"]);
    return dir;
  }

  before(() => {
    home = mkdtempSync(path.join(tmpdir(), "switchyard-firefox-home-"));
    const ca = path.join(home, "ca dir");
    mkdirSync(ca);
    rootFile = path.join(ca, "root.pem");
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=Switchyard test root",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-keyout",
        path.join(ca, "root.key"),
        "-out",
        rootFile,
      ],
      { stdio: "ignore" },
    );
    native = profile(path.join(home, ".mozilla", "firefox"), "ab12 o'brien.default-release");
    snap = profile(path.join(home, "snap", "firefox", "common", ".mozilla", "firefox"), "cd34.default");
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  const context = (h: string): RecordViewContext => ({
    rootFile,
    isThisMachine: () => true,
    platform: "linux",
    firefoxProfiles: () => ({
      dirs: userFirefoxProfiles(h, {}, "linux"),
      roots: firefoxProfileRoots(h, {}, "linux"),
    }),
  });

  it("finds the native and the snap profile from their profiles.ini", () => {
    assert.deepEqual(userFirefoxProfiles(home, {}, "linux"), [native, snap]);
  });

  it("offers one command per profile, with no placeholder, and each one imports the root when pasted into a shell", () => {
    const view = recordView(firefoxRejected(), context(home));
    const certutil = (view.fixes ?? []).filter((f) => f.copy?.startsWith("certutil"));
    assert.deepEqual(
      certutil.map((f) => f.label),
      [
        "Copy the certutil command (profile ab12 o'brien.default-release)",
        "Copy the certutil command (profile cd34.default)",
      ],
    );
    for (const [i, dir] of [native, snap].entries()) {
      const copy = certutil[i]!.copy!;
      assert.doesNotMatch(copy, /PROFILE_DIR|\{nssdb\}|\{root\}/);
      execFileSync("sh", ["-c", copy]);
      const listed = execFileSync("certutil", ["-L", "-d", `sql:${dir}`], { encoding: "utf8" });
      assert.match(listed, /^Switchyard\s+C,,\s*$/m, `the root is in ${dir}`);
    }
    assert.doesNotMatch(view.explanation ?? "", /No Firefox profile/);
  });

  it("quotes the command for PowerShell on Windows", () => {
    const view = recordView(firefoxRejected(), { ...context(home), platform: "win32" });
    const first = view.fixes?.find((f) => f.copy?.startsWith("certutil"))?.copy;
    assert.equal(first, `certutil -d 'sql:${native.replace("'", "''")}' -A -t C,, -n Switchyard -i '${rootFile}'`);
  });

  it("with no profile found, offers no command and says what to do instead", () => {
    const empty = mkdtempSync(path.join(tmpdir(), "switchyard-firefox-none-"));
    try {
      const view = recordView(firefoxRejected(), context(empty));
      assert.equal(
        view.fixes?.some((f) => f.copy?.startsWith("certutil")),
        false,
      );
      assert.deepEqual(
        view.fixes?.map((f) => f.label),
        ["Export Root…", "Trust Local CA"],
      );
      assert.match(view.explanation ?? "", /No Firefox profile of this user was found/);
      assert.ok((view.explanation ?? "").includes(path.join(empty, ".mozilla", "firefox")), view.explanation);
      assert.match(view.explanation ?? "", /start Firefox once so it creates its profile, then run Trust Local CA/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
