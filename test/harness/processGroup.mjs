// Process groups for what the tests start and must not leave behind: the VS Code server, browsers,
// and each phase of `npm test`. A process started `detached` leads a group of its own, so its
// whole tree can be signalled at once (`kill(-pgid)`), and it does not receive the signals sent to
// our group (a terminal's Ctrl-C, `timeout`): those have to be passed on, which is what tracking
// a group here does. On SIGTERM, SIGINT or SIGHUP this process sends SIGTERM to every tracked group,
// waits for each to empty (up to its grace period), sends SIGKILL to what is left and exits with
// 128 + the signal's number; on any exit it sends SIGKILL to the tracked groups (an exit handler
// can only do synchronous work, and process.kill is synchronous).
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { constants } from "node:os";

const DEFAULT_GRACE_MS = 5000;
/** pgid -> grace period in ms, for the groups this process must not leave behind. */
const tracked = new Map();
let handlersInstalled = false;
let stopping = false;

/** Spawns `cmd` as the leader of a new process group (options as for child_process.spawn). */
export function spawnGroup(cmd, args, options = {}) {
  return spawn(cmd, args, { ...options, detached: process.platform !== "win32" });
}

/**
 * The live members of process group `pgid` (zombies, which have exited and wait only to be reaped,
 * are not members). Linux reads /proc; elsewhere the answer is [pgid] while the group exists.
 */
export function groupMembers(pgid) {
  if (process.platform !== "linux") return groupExists(pgid) ? [pgid] : [];
  const members = [];
  let entries = [];
  try {
    entries = readdirSync("/proc");
  } catch {
    return members;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // gone meanwhile
    }
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so split after the last ")".
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(pgrp) === pgid && state !== "Z") members.push(Number(entry));
  }
  return members;
}

function groupExists(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return e.code === "EPERM";
  }
}

/** Sends `signal` to every process of group `pgid`; false when the group is gone. */
export function signalGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Resolves true once group `pgid` has no live member, false if it still has one after `ms`. */
export async function waitForGroupGone(pgid, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (groupMembers(pgid).length === 0) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Ends group `pgid`: SIGTERM, then SIGKILL to whatever is left after `graceMs`. Resolves when no
 * member is left (or, should SIGKILL not take, after a further second), and stops tracking it.
 */
export async function stopGroup(pgid, { graceMs = tracked.get(pgid) ?? DEFAULT_GRACE_MS } = {}) {
  if (!pgid) return;
  if (signalGroup(pgid, "SIGTERM") && !(await waitForGroupGone(pgid, graceMs))) {
    signalGroup(pgid, "SIGKILL");
    await waitForGroupGone(pgid, 1000);
  }
  tracked.delete(pgid);
}

/**
 * Makes this process end group `pgid` when it exits or is stopped by SIGTERM, SIGINT or SIGHUP
 * (see the top of this file). Returns the function that stops tracking it.
 */
export function trackGroup(pgid, { graceMs = DEFAULT_GRACE_MS } = {}) {
  // No pid: the spawn failed (its "error" event says why), so there is no group to end.
  if (process.platform === "win32" || !pgid) return () => {};
  installHandlers();
  tracked.set(pgid, graceMs);
  return () => void tracked.delete(pgid);
}

/**
 * Makes SIGTERM, SIGINT and SIGHUP end this process (after ending its tracked groups) also when it
 * tracks none yet: for processes whose children are killed by an exit handler of their own
 * (Playwright's browsers), which a signal's default action would skip.
 */
export function exitOnSignals() {
  if (process.platform !== "win32") installHandlers();
}

function installHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on("exit", () => {
    for (const pgid of tracked.keys()) signalGroup(pgid, "SIGKILL");
  });
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"]) process.on(signal, () => void onSignal(signal));
}

/** True once a signal is ending this process: what it was doing is not to be reported as done. */
export function stoppingOnSignal() {
  return stopping;
}

/** The first signal ends the tracked groups gracefully; a second one does not wait any more. */
async function onSignal(signal) {
  const code = 128 + constants.signals[signal];
  if (stopping) process.exit(code); // the exit handler sends SIGKILL
  stopping = true;
  await Promise.all([...tracked.keys()].map((pgid) => stopGroup(pgid)));
  process.exit(code);
}
