/**
 * Errors a user can see when Switchyard edits the hosts file. Each message says what happened and
 * what to do, so the CLI and the VS Code adapter can show `error.message` as it is.
 */

/** A hostname that cannot go into a hosts file; `reason` says which rule it broke. */
export class InvalidHostnameError extends Error {
  constructor(
    readonly hostname: string,
    readonly reason: string,
  ) {
    super(`"${printable(hostname)}" is not a valid hostname: ${reason}. Nothing was written.`);
    this.name = "InvalidHostnameError";
  }
}

/** An address that is not a plain IPv4 or IPv6 address; `reason` says why. */
export class InvalidAddressError extends Error {
  constructor(
    readonly address: string,
    readonly reason: string,
  ) {
    super(`"${printable(address)}" is not a valid address: ${reason}. Nothing was written.`);
    this.name = "InvalidAddressError";
  }
}

/** The markers of Switchyard's block are broken (a BEGIN without END, two blocks), so editing could lose lines. */
export class ManagedBlockError extends Error {
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(
      `${path}: ${detail}. Switchyard will not edit the file until the markers are fixed by hand ` +
        `(or the file is restored from a Switchyard backup).`,
    );
    this.name = "ManagedBlockError";
  }
}

/** The current user may not write the hosts file (EACCES/EPERM). */
export class HostsFileNotWritableError extends Error {
  constructor(
    readonly path: string,
    readonly code: string,
  ) {
    super(
      `${path} is not writable by this user (${code}); nothing was written. ` +
        `Rerun with sudo (e.g. "sudo switchyard hosts ..."), or from VS Code accept the elevation prompt.`,
    );
    this.name = "HostsFileNotWritableError";
  }
}

/** The file kept changing under Switchyard while it tried to write; nothing of Switchyard's was written. */
export class HostsFileChangedError extends Error {
  constructor(readonly path: string) {
    super(`${path} changed while Switchyard was editing it (another tool is writing it); re-read and retry.`);
    this.name = "HostsFileChangedError";
  }
}

/** Another Switchyard process holds the hosts lock for longer than we were willing to wait. */
export class HostsLockTimeoutError extends Error {
  constructor(
    readonly lockPath: string,
    readonly holder: string,
  ) {
    super(
      `another Switchyard process (${holder}) is editing the hosts file (lock ${lockPath}); ` +
        `retry in a moment, or delete the lock file if that process is gone.`,
    );
    this.name = "HostsLockTimeoutError";
  }
}

/** A path that cannot be handed to the privileged copy step without shell quoting risks. */
export class ElevationPathError extends Error {
  constructor(readonly path: string) {
    super(
      `refusing to elevate a copy to "${printable(path)}": the path contains characters that would need shell ` +
        `quoting. Use a hosts file path made of letters, digits, spaces and / \\ . _ - : only.`,
    );
    this.name = "ElevationPathError";
  }
}

/** Shows control characters as escapes so an error about them is readable in one line. */
function printable(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

/** A lock left by a process that is gone, which this user may not remove (another user's lock in a sticky folder). */
export class HostsLockStuckError extends Error {
  constructor(
    readonly lockPath: string,
    readonly holder: string,
  ) {
    super(
      `the hosts lock ${lockPath} was left by a process that is gone (${holder}), but this user may not remove it; ` +
        `nothing was written. Remove it as its owner (for example: sudo rm ${JSON.stringify(lockPath)}) and retry.`,
    );
    this.name = "HostsLockStuckError";
  }
}

/** The wait for the hosts lock was ended (Ctrl+C, SIGTERM, or the caller gave up). */
export class HostsLockAbortedError extends Error {
  constructor(readonly lockPath: string) {
    super(`stopped waiting for the hosts lock ${lockPath}; nothing was written.`);
    this.name = "HostsLockAbortedError";
  }
}
