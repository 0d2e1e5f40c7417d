/**
 * The extension's entry: wires settings, commands, the status bar, the tree views and the panel
 * together. Activation does no I/O of its own and imports the engines lazily (on first use), so it
 * stays cheap; the time it took is logged and exposed on the API for the tests.
 */
import * as vscode from "vscode";
import { registerCommands } from "./commands";
import { lanPanelDisposable, refreshLanPanel } from "./lanActions";
import { applyTerminalEnvironment, DevServerWatch, terminalVariables } from "./devServers";
import { onSettingsChanged, readSettings } from "./config";
import { PanelHost } from "./panelHost";
import { PanelModel } from "./panelModel";
import { SwitchyardSession } from "./session";
import { SettingsProblemReporter } from "./settingsProblems";
import { StatusBar } from "./statusBar";
import { SwitchyardTrees } from "./treeViews";
import { watchHostMapped } from "./walkthroughContext";

/** What the extension exports; the integration tests read it. */
export interface SwitchyardApi {
  activationMs: number;
  /** CPU time (all threads of the process) that activate() took, which machine load does not inflate as it does wall time. */
  activationCpuMs: number;
  session: SwitchyardSession;
  /** What the panel shows: snapshots and the live connection rows. */
  panelModel: PanelModel;
  panel: PanelHost;
  statusBar: StatusBar;
  trees: SwitchyardTrees;
  devServers: DevServerWatch;
}

/** Context keys for `when` clauses, menus and the walkthrough (which ticks a step only on success). */
function setContextKeys(session: SwitchyardSession): void {
  const state = session.state;
  const set = (key: string, value: unknown): void => void vscode.commands.executeCommand("setContext", key, value);
  set("switchyard.proxyState", state);
  set("switchyard.proxyRunning", state === "on" || state === "partial" || state === "starting");
  set("switchyard.proxyListening", state === "on" || state === "partial");
  // Settings routes and routes to detected dev servers alike: both route the name to a dev server.
  set("switchyard.hasRoutes", session.currentSettings.proxy.routes.length > 0 || session.dynamicRoutes().length > 0);
  if (session.caTrusted !== undefined) set("switchyard.caTrusted", session.caTrusted);
  // True only once 443 really reaches this proxy (probed), so a cancelled consent never ticks the step.
  set("switchyard.standardPorts", session.standardPortsState.inPlace);
}

export function activate(context: vscode.ExtensionContext): SwitchyardApi {
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  const log = vscode.window.createOutputChannel("Switchyard", { log: true });
  // Hoisted: the session's change hook may run it before the line that first calls it below. The
  // collection is rewritten only when the variables change, so terminals are not marked stale for nothing.
  let terminalKey = "";
  function terminalEnvironment(): void {
    const variables = terminalVariables(session);
    const key = JSON.stringify(variables);
    if (key === terminalKey) return;
    terminalKey = key;
    applyTerminalEnvironment(context.environmentVariableCollection, variables);
  }
  const statusBar = new StatusBar();
  const reporter = new SettingsProblemReporter(log);
  const { settings, problems } = readSettings();
  const session = new SwitchyardSession(settings, {
    log,
    globalStorage: context.globalStorageUri.fsPath,
    onChange: () => {
      redraw();
      void panel.refresh();
    },
    onRecord: (record) => panelModel.addRecord(record),
    onRoutesHealth: () => trees.refresh(),
    onConstraintsChanged: () => {
      void vscode.window
        .showWarningMessage("Switchyard: the CA's permitted names changed, which takes a new CA.", "Create New CA")
        .then((answer) => answer && vscode.commands.executeCommand("switchyard.createCa"));
    },
  });
  session.setSettingsProblems(problems);
  const redraw = (): void => {
    statusBar.render(session.statusBarState());
    setContextKeys(session);
    trees.refresh();
    refreshLanPanel(session);
    // Last, and never in the way of the state above: a file it cannot read only skips the variables.
    try {
      terminalEnvironment();
    } catch (e) {
      log.warn(`terminal environment not updated: ${(e as Error).message}`);
    }
  };
  const panelModel = new PanelModel(session, (records) => panel.pushRecords(records));
  const panel = new PanelHost(context.extensionUri, panelModel, log);
  const trees = new SwitchyardTrees(session);
  context.subscriptions.push(
    log,
    statusBar,
    panel,
    panelModel,
    trees,
    session,
    lanPanelDisposable,
    onSettingsChanged((next, nextProblems) => {
      reporter.report(nextProblems);
      void session.updateSettings(next, nextProblems);
    }),
    ...registerCommands({
      session,
      panel,
      log,
      extensionUri: context.extensionUri,
      onRefresh: redraw,
      // Read when Add Route runs, after activation has created the watch below.
      windowServers: () => devServers.servers(),
    }),
  );
  reporter.report(problems);
  // Dev servers started from terminals and tasks are noticed and offered a route; terminals and
  // tasks get NODE_EXTRA_CA_CERTS once the CA exists (set again whenever the state changes).
  const devServers = new DevServerWatch(session, log);
  context.subscriptions.push(devServers);
  // The walkthrough's Map a name step follows the hosts file, also for a mapping made elsewhere.
  context.subscriptions.push(watchHostMapped(log));
  // The status bar and the keys are drawn from the settings just read, not left at their defaults.
  redraw();
  const activationMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuAtStart);
  const activationCpuMs = (cpu.user + cpu.system) / 1000;
  log.info(`activated in ${activationMs.toFixed(1)} ms (${activationCpuMs.toFixed(1)} ms of CPU)`);
  return { activationMs, activationCpuMs, session, panelModel, panel, statusBar, trees, devServers };
}

export function deactivate(): void {
  // Everything is in context.subscriptions; the session stops the proxy when disposed.
}
