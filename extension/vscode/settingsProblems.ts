/**
 * Tells the user about invalid `switchyard.*` settings: every problem in full in the log, and one
 * short notification with Open Settings / Show Log, shown again only when the set of problems
 * changes (the panel lists them too, from the session).
 */
import * as vscode from "vscode";
import type { SettingsProblem } from "../core/settings";

/** Reports settings problems when they differ from the last report. */
export class SettingsProblemReporter {
  private last = "[]";

  constructor(private readonly log: vscode.LogOutputChannel) {}

  report(problems: SettingsProblem[]): void {
    const key = JSON.stringify(problems);
    if (key === this.last) return;
    this.last = key;
    for (const p of problems) this.log.warn(`settings: ${p.key}: ${p.message} (ignored)`);
    if (problems.length === 0) return;
    const first = problems[0]!;
    const text =
      problems.length === 1
        ? `Switchyard ignored the invalid setting ${first.key}: ${first.message}`
        : `Switchyard ignored ${problems.length} invalid settings (${problems.map((p) => p.key).join(", ")}).`;
    void vscode.window.showWarningMessage(text, "Open Settings", "Show Log").then((answer) => {
      if (answer === "Open Settings") void vscode.commands.executeCommand("workbench.action.openSettings", first.key);
      else if (answer === "Show Log") void vscode.commands.executeCommand("switchyard.showLog");
    });
  }
}
