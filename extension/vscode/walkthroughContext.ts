/**
 * The walkthrough's "Map a name" step ticks when the hosts file's Switchyard block maps a name,
 * whoever wrote it (Add Host Mapping in this window, another window, `switchyard hosts add`, an
 * earlier session): `switchyard.hostMapped` follows the file, read as the Mappings view reads it.
 * Read once after activation (off its path), again when the hosts file's folder changes (an edit
 * replaces the file, so the folder is watched, not the file) and when `switchyard.hosts.file` changes.
 * Only the managed block is parsed (core/hosts/block.ts, the parser the Mappings view's read uses):
 * the engines bundle, with its DNS conflict checks, is not loaded for this.
 */
import { watch, type FSWatcher } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, dirname } from "node:path";
import * as vscode from "vscode";
import { findManagedBlock } from "../core/hosts/block";
import { osHostsFilePath } from "../core/hosts/paths";
import { readSettings } from "./config";

/** Bursts of changes (a write is a temp file and a rename) are read once, after this pause. */
const SETTLE_MS = 200;

/** Keeps `switchyard.hostMapped` equal to "the managed block maps at least one name". */
export function watchHostMapped(log: vscode.LogOutputChannel): vscode.Disposable {
  let watcher: FSWatcher | undefined;
  let watchedPath = "";
  let timer: NodeJS.Timeout | undefined;
  let disposed = false;

  const read = async (): Promise<void> => {
    const file = readSettings().settings.hosts.file ?? osHostsFilePath();
    if (file !== watchedPath) follow(file);
    let mapped = false;
    try {
      mapped = (findManagedBlock(await readFile(file), file)?.mappings.length ?? 0) > 0;
    } catch (e) {
      // Unreadable, or broken markers: the Mappings view shows why; the step stays open.
      log.debug(`hosts file not read for the walkthrough: ${(e as Error).message}`);
    }
    if (!disposed) void vscode.commands.executeCommand("setContext", "switchyard.hostMapped", mapped);
  };
  const soon = (): void => {
    clearTimeout(timer);
    timer = setTimeout(
      () => void read().catch((e: Error) => log.debug(`hosts file not read: ${e.message}`)),
      SETTLE_MS,
    );
  };
  const follow = (file: string): void => {
    watcher?.close();
    watcher = undefined;
    watchedPath = file;
    const name = basename(file);
    try {
      watcher = watch(dirname(file), { persistent: false }, (_event, changed) => {
        // Some platforms give no name; then any change in the folder is read.
        if (!changed || changed.toString() === name) soon();
      });
      watcher.on("error", (e) => log.debug(`not watching ${file}: ${e.message}`));
    } catch (e) {
      // The step then ticks on the next read (a settings change, Add Host Mapping): never an error.
      log.debug(`not watching ${file}: ${(e as Error).message}`);
    }
  };

  const config = vscode.workspace.onDidChangeConfiguration((e) => {
    if (e.affectsConfiguration("switchyard.hosts.file")) soon();
  });
  soon();
  return new vscode.Disposable(() => {
    disposed = true;
    clearTimeout(timer);
    watcher?.close();
    config.dispose();
  });
}
