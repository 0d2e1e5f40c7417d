/**
 * What the panel asks for, carried out through the same commands as the palette, so an action
 * behaves (asks, confirms, reports its errors) the same wherever it was started.
 */
import { copyFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import * as vscode from "vscode";
import type { WebviewMessage } from "../../webview/protocol";
import type { PanelDataSource } from "./panelHost";

/**
 * Carries out what the panel asked for, through the same commands as the palette; resolves with
 * words for the panel when the action has nothing else to show (a copied command).
 */
export async function runPanelAction(
  message: WebviewMessage,
  data: Pick<PanelDataSource, "rootFile" | "deviceOnboardingUrl">,
): Promise<string | undefined> {
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
    case "copy":
      await vscode.env.clipboard.writeText(message.text);
      return `Copied: ${message.text}`;
    case "action":
      if (message.action === "exportRoot") return exportRoot(data.rootFile());
      if (message.action === "openDeviceOnboarding") return openDeviceOnboarding(data.deviceOnboardingUrl());
      if (message.action === "openSettings")
        await vscode.commands.executeCommand("workbench.action.openSettings", "switchyard");
      else await vscode.commands.executeCommand(`switchyard.${message.action}`);
      return;
  }
}

/** Saves a copy of the root certificate where the user picks (for another machine or a browser's own store). */
async function exportRoot(rootFile: string): Promise<string | undefined> {
  const target = await vscode.window.showSaveDialog({
    title: "Export the Switchyard root certificate",
    defaultUri: vscode.Uri.file(join(homedir(), "switchyard-root.pem")),
    filters: { "PEM certificate": ["pem", "crt"] },
    saveLabel: "Export Root",
  });
  if (!target) return undefined;
  await copyFile(rootFile, target.fsPath);
  return `Saved the root certificate to ${target.fsPath}: import it as a certificate authority on the other machine or in the browser`;
}

/** Opens the device page of the LAN sharing, or says how to turn sharing on. */
async function openDeviceOnboarding(url: string | undefined): Promise<string | undefined> {
  if (!url)
    return "The device page needs Share on LAN: set switchyard.proxy.shareOnLan to true; the page is then at http://<this machine's LAN address>:<proxy port>/";
  await vscode.env.openExternal(vscode.Uri.parse(url));
  return undefined;
}
