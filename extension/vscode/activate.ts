/**
 * The extension's entry: wires settings, commands, the status bar and the panel together.
 * Activation does no I/O of its own and imports the engines lazily (on first use), so it stays
 * cheap; the time it took is logged and exposed on the API for the tests.
 */
import * as vscode from "vscode";
import { registerCommands, runPanelAction } from "./commands";
import { onSettingsChanged, readSettings } from "./config";
import { PanelHost } from "./panelHost";
import { SwitchyardSession } from "./session";
import { StatusBar } from "./statusBar";

/** What the extension exports; the integration tests read it. */
export interface SwitchyardApi {
  activationMs: number;
  session: SwitchyardSession;
  panel: PanelHost;
  statusBar: StatusBar;
}

export function activate(context: vscode.ExtensionContext): SwitchyardApi {
  const started = performance.now();
  const log = vscode.window.createOutputChannel("Switchyard", { log: true });
  const statusBar = new StatusBar();
  const { settings, problems } = readSettings();
  const session = new SwitchyardSession(settings, {
    log,
    globalStorage: context.globalStorageUri.fsPath,
    onChange: () => {
      statusBar.render(session.statusBarState());
      void panel.refresh();
    },
    onRecords: (records) => panel.pushRecords(records),
    runAction: runPanelAction,
    onConstraintsChanged: () => {
      void vscode.window
        .showWarningMessage(
          "Switchyard: the CA's permitted names changed. They are signed into the CA, so it takes a new CA (clients must trust the new root).",
          "Create New CA",
        )
        .then((answer) => answer && vscode.commands.executeCommand("switchyard.createCa"));
    },
  });
  const panel = new PanelHost(context.extensionUri, session, log);
  context.subscriptions.push(
    log,
    statusBar,
    panel,
    session,
    onSettingsChanged((next) => void session.updateSettings(next)),
    ...registerCommands({ session, panel, log, extensionUri: context.extensionUri }),
  );
  for (const p of problems) log.warn(`settings: ${p.key} ${p.message}`);
  if (problems.length > 0) {
    void vscode.window.showWarningMessage(
      `Switchyard: ${problems.length} setting(s) are invalid and were ignored: ${problems.map((p) => p.key).join(", ")}. See the Switchyard output for details.`,
    );
  }
  const activationMs = performance.now() - started;
  log.info(`activated in ${activationMs.toFixed(1)} ms`);
  return { activationMs, session, panel, statusBar };
}

export function deactivate(): void {
  // Everything is in context.subscriptions; the session stops the proxy when disposed.
}
