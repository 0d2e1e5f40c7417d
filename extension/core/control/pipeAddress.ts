/**
 * Windows has no private folder for sockets: a named pipe's name is global to the machine, so a
 * name anyone can guess (`switchyard-control-USER`) can be taken first by another user, and
 * `switchyard run` would then hand its routes to that user's pipe. So on Windows the proxy's pipe
 * gets a random name on every start, published in a file in the user's own state folder
 * (%LOCALAPPDATA%\Switchyard\control, which only that user can read); clients read the name there.
 * Callers hold the file's path (`control.pipe`) as the control address, like a socket path.
 */
import { randomBytes } from "node:crypto";
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** The file naming the running proxy's pipe. */
export const PIPE_POINTER_FILE = "control.pipe";

/** Whether a control address is a pointer file rather than a socket. */
export function isPipePointer(address: string): boolean {
  return basename(address) === PIPE_POINTER_FILE;
}

/** A fresh, unguessable pipe name. */
export function newPipeName(): string {
  return `\\\\.\\pipe\\switchyard-control-${randomBytes(16).toString("hex")}`;
}

/** The pipe the pointer names, or undefined when there is none (no proxy has published one). */
export function readPipePointer(pointer: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(pointer, "utf8");
  } catch {
    return undefined;
  }
  const name = text.split("\n")[0]?.trim() ?? "";
  return name && !name.includes("\0") ? name : undefined;
}

/** Publishes `pipe` as the running proxy's (a whole new file renamed into place, readable by the user alone). */
export function publishPipePointer(pointer: string, pipe: string): void {
  const temp = join(dirname(pointer), `.${PIPE_POINTER_FILE}.${process.pid}.${randomBytes(4).toString("hex")}`);
  writeFileSync(temp, `${pipe}\n`, { mode: 0o600, flag: "wx" });
  renameSync(temp, pointer);
}

/** Withdraws the pointer if it still names `pipe` (a newer proxy's pointer is left alone). */
export function withdrawPipePointer(pointer: string, pipe: string): void {
  if (readPipePointer(pointer) === pipe) rmSync(pointer, { force: true });
}
