import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { openWorkbench, runCommand, screenshot, type Workbench } from "./workbench";

const ORIGINAL = "127.0.0.1\tlocalhost\n";

describe("an untrusted workspace (Restricted Mode)", () => {
  let wb: Workbench;
  let hostsFile: string;

  before(async () => {
    // The hosts file comes from the user's own settings, which Restricted Mode keeps.
    hostsFile = join(mkdtempSync(join(tmpdir(), "switchyard-untrusted-")), "hosts");
    writeFileSync(hostsFile, ORIGINAL);
    wb = await openWorkbench({
      userSettings: { "security.workspace.trust.enabled": true, "switchyard.hosts.file": hostsFile },
      settings: { "switchyard.hosts.mappings": { "evil.test": "127.0.0.1" } },
      trust: "deny",
    });
  });
  after(async () => wb?.close());

  it("ignores the workspace's hosts mappings, so syncing writes nothing", async () => {
    await runCommand(wb.page, "Switchyard: Sync Hosts with Settings");
    // Toasts hide themselves after a while: the answer is read in the notification centre, which
    // shows notifications as they come (the wait below is for it to arrive).
    await runCommand(wb.page, "Notifications: Show Notifications");
    const note = wb.page.locator(".notifications-center", { hasText: "nothing to change" });
    await note.waitFor({ timeout: 20_000 }).finally(() => screenshot(wb.page, "untrusted-sync.png"));
    assert.equal(readFileSync(hostsFile, "utf8"), ORIGINAL);
    assert.equal(await wb.page.locator(".monaco-dialog-box").count(), 0, "no write was even proposed");
  });
});
