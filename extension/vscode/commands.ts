/**
 * Every palette command, as a small function over {@link CommandContext}. activate.ts only wires
 * them; the work happens in the session and the core.
 */
import * as vscode from "vscode";
import type { PanelHost } from "./panelHost";
import type { SwitchyardSession } from "./session";

export interface CommandContext {
  session: SwitchyardSession;
  panel: PanelHost;
  log: vscode.LogOutputChannel;
  extensionUri: vscode.Uri;
}

type Command = (ctx: CommandContext, ...args: unknown[]) => unknown;

const COMMANDS: Record<string, Command> = {
  "switchyard.openPanel": (ctx) => ctx.panel.show(),
};

/** Registers every command; a failing command shows its message, never a stack trace. */
export function registerCommands(ctx: CommandContext): vscode.Disposable[] {
  return Object.entries(COMMANDS).map(([id, run]) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await run(ctx, ...args);
      } catch (e) {
        const message = (e as Error).message ?? String(e);
        ctx.log.error(`${id}: ${message}`);
        void vscode.window.showErrorMessage(`Switchyard: ${message}`);
        return undefined;
      }
    }),
  );
}
