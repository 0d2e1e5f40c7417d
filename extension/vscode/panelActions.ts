/**
 * What the panel asks for, carried out through the same commands as the palette, so an action
 * behaves (asks, confirms, reports its errors) the same wherever it was started.
 */
import * as vscode from "vscode";
import type { WebviewMessage } from "../../webview/protocol";

/** Carries out what the panel asked for, through the same commands as the palette. */
export async function runPanelAction(message: WebviewMessage): Promise<void> {
  switch (message.type) {
    case "ready":
    case "recheckTrust": // handled by the panel host (it owns the cached CA view)
      return;
    case "addMapping":
      await vscode.commands.executeCommand("switchyard.addHostMapping", message.name, message.addresses);
      return;
    case "removeMapping":
      await vscode.commands.executeCommand("switchyard.removeHostMapping", message.name);
      return;
    case "probe":
      await vscode.commands.executeCommand("switchyard.probeUrl", message.url);
      return;
    case "action":
      if (message.action === "openSettings")
        await vscode.commands.executeCommand("workbench.action.openSettings", "switchyard");
      else await vscode.commands.executeCommand(`switchyard.${message.action}`);
      return;
  }
}
