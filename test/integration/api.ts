import * as vscode from "vscode";
import type { SwitchyardApi } from "../../extension/vscode/activate";

/** The activated extension's API (activating it when needed). */
export async function getApi(): Promise<SwitchyardApi> {
  const ext = vscode.extensions.getExtension<SwitchyardApi>("switchyard.switchyard");
  if (!ext) throw new Error("the Switchyard extension is not loaded in this extension host");
  return ext.isActive ? ext.exports : await ext.activate();
}

/** Measurements the suite reports back to `npm test` (printed beside the results). */
export const notes: string[] = [];
