/**
 * The dev server command `switchyard run` started, in a process group of its own (see
 * core/devservers/processGroup.ts), and how run ends it. The first SIGINT, SIGTERM or SIGHUP to
 * run goes to the whole group, which gets {@link GROUP_GRACE_MS} before it is SIGKILLed; a second
 * one SIGKILLs it at once (the CLI's own handler is `once`, so without run's, a second Ctrl-C would
 * end run with the dev server still running). However run ends, what is left of the group is
 * ended, and any process run had to kill or could not end is named on stderr.
 */
import type { ChildProcess } from "node:child_process";
import { GROUP_GRACE_MS, ProcessGroup, spawnInGroup, type GroupEnd } from "../core/devservers/processGroup";
import type { CliIO } from "./command";

/** How the command's leader process ended. */
export interface CommandExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** It could not be started at all. */
  error?: Error;
}

const SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

function signalFrom(reason: unknown): NodeJS.Signals {
  return typeof reason === "string" && SIGNALS.includes(reason as NodeJS.Signals)
    ? (reason as NodeJS.Signals)
    : "SIGTERM";
}

/** A started command and its process group. */
export class RunningCommand {
  readonly exited: Promise<CommandExit>;
  private readonly group: ProcessGroup | undefined;
  private ending: Promise<GroupEnd> | undefined;
  private signalsSeen = 0;
  private escalated = false;
  private readonly onAbort = (): void => {
    const signal = signalFrom(this.io.signal.reason);
    this.io.stderr(
      `switchyard run: ${signal}: stopping ${this.name} and its processes (another signal kills them at once)\n`,
    );
    void this.end(signal);
  };
  private readonly onProcessSignal = (signal: NodeJS.Signals): void => this.signalled(signal);

  private constructor(
    private readonly child: ChildProcess,
    private readonly name: string,
    private readonly io: CliIO,
  ) {
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => resolve({ code, signal }));
      child.once("error", (error) => resolve({ code: 127, signal: null, error }));
    });
    this.group = child.pid ? new ProcessGroup(child.pid) : undefined;
    io.signal.addEventListener("abort", this.onAbort, { once: true });
    for (const s of SIGNALS) process.on(s, this.onProcessSignal);
    // A signal that came while the command was being started still ends it.
    if (io.signal.aborted) this.onAbort();
  }

  /** Starts `command` (stdio inherited) in a new process group. */
  static start(command: readonly string[], env: NodeJS.ProcessEnv, io: CliIO): RunningCommand {
    const child = spawnInGroup(command[0] as string, command.slice(1), { stdio: "inherit", env, cwd: io.cwd });
    return new RunningCommand(child, command[0] as string, io);
  }

  /** The leader's pid (the group id); undefined when it could not be started. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /**
   * Ends the whole group: `signal`, then SIGKILL after the grace period; the first call does it,
   * later ones wait for the same end. Says on stderr which processes had to be killed.
   */
  end(signal: NodeJS.Signals = "SIGTERM"): Promise<GroupEnd> {
    if (this.ending) return this.ending;
    const group = this.group;
    if (!group) return (this.ending = Promise.resolve({ killed: [], leftover: [] }));
    this.ending = group.end(signal).then((result) => {
      if (result.killed.length > 0)
        this.io.stderr(
          `switchyard run: ${this.name}'s processes still running after ${signal}` +
            `${this.escalated ? " and a second signal" : ` and ${GROUP_GRACE_MS / 1000} s`}; killed ${result.killed.join(", ")}\n`,
        );
      if (result.leftover.length > 0)
        this.io.stderr(`switchyard run: could not end ${result.leftover.join(", ")}; end them yourself\n`);
      return result;
    });
    return this.ending;
  }

  /** Ends what is left of the group (the command may have exited and left processes behind) and stops listening for signals. */
  async dispose(): Promise<void> {
    try {
      const left = this.ending ? [] : (this.group?.members() ?? []);
      if (left.length > 0)
        this.io.stderr(
          `switchyard run: ${this.name} left ${left.length === 1 ? "a process" : `${left.length} processes`} running (${left.map((m) => `pid ${m.pid}`).join(", ")}); ending ${left.length === 1 ? "it" : "them"}\n`,
        );
      await this.end("SIGTERM");
    } finally {
      this.io.signal.removeEventListener("abort", this.onAbort);
      for (const s of SIGNALS) process.removeListener(s, this.onProcessSignal);
    }
  }

  private signalled(signal: NodeJS.Signals): void {
    this.signalsSeen += 1;
    // The first signal also aborts io.signal (the CLI's handler, registered before this one).
    if (this.signalsSeen === 1 && this.io.signal.aborted) return;
    if (!this.ending) {
      this.io.stderr(`switchyard run: ${signal}: stopping ${this.name} and its processes\n`);
      void this.end(signal);
      return;
    }
    this.escalated = true;
    this.io.stderr(`switchyard run: ${signal} again: killing ${this.name} and its processes now\n`);
    this.group?.escalate();
  }
}
