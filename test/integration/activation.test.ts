import assert from "node:assert/strict";
import * as vscode from "vscode";
import { getApi, notes } from "./api";

describe("activation and commands", () => {
  it("activates in under 200 ms and contributes the Switchyard commands", async () => {
    const api = await getApi();
    notes.push(`activation took ${api.activationMs.toFixed(2)} ms`);
    assert.ok(api.activationMs < 200, `activation took ${api.activationMs} ms`);
    const all = await vscode.commands.getCommands(true);
    for (const id of [
      "switchyard.openPanel",
      "switchyard.startProxy",
      "switchyard.createCa",
      "switchyard.addHostMapping",
    ]) {
      assert.ok(all.includes(id), `${id} is registered`);
    }
  });

  it("Switchyard: Open Panel opens the panel webview", async () => {
    const api = await getApi();
    await vscode.commands.executeCommand("switchyard.openPanel");
    assert.equal(api.panel.visible, true);
  });
});
