/** Errors a user can see from the CA: each says what happened and what to do next. */
import { shQuote } from "../shellQuote";

/** There is no CA in the directory yet. */
export class CaNotFoundError extends Error {
  constructor(readonly dir: string) {
    super(
      `there is no local CA in ${dir} yet; create one with "switchyard ca create" (or "Switchyard: Create Local CA")`,
    );
    this.name = "CaNotFoundError";
  }
}

/** A CA already exists where one was to be created. */
export class CaExistsError extends Error {
  constructor(readonly dir: string) {
    super(`a local CA already exists in ${dir}; pass --force to replace it (the old one is moved aside, not deleted)`);
    this.name = "CaExistsError";
  }
}

/** The directory holds part of a CA: a create was interrupted. It is never used half-written. */
export class CaIncompleteError extends Error {
  constructor(
    readonly dir: string,
    readonly missing: string[],
  ) {
    super(
      `${dir} holds a half-written CA (missing ${missing.join(", ")}), probably from an interrupted create; ` +
        `run "switchyard ca create" to move it aside and create a new CA`,
    );
    this.name = "CaIncompleteError";
  }
}

/** What is wrong with a CA file. */
export type CaFileProblem = "unreadable" | "corrupt" | "mismatched";

/** A CA file that cannot be used. Nothing is overwritten: the user decides how to recover. */
export class CaFileError extends Error {
  constructor(
    readonly file: string,
    readonly problem: CaFileProblem,
    detail: string,
  ) {
    const recovery =
      problem === "unreadable"
        ? `check its owner and permissions (it should be readable by you, mode 0600 for keys)`
        : `restore it from a backup, or move the CA directory aside and run "switchyard ca create" for a new CA ` +
          `(then "switchyard ca trust" again)`;
    super(`${file} is ${problem} (${detail}); nothing was changed. To recover, ${recovery}`);
    this.name = "CaFileError";
  }
}

/** Why a destination file was refused. */
export type UnsafeDestinationReason = "symlink" | "not-a-file" | "foreign-owner";

/** A file Switchyard was to write (a key, a certificate) is a link, not a file, or someone else's: nothing was written. */
export class UnsafeDestinationError extends Error {
  constructor(
    readonly file: string,
    readonly reason: UnsafeDestinationReason,
    readonly ownerUid?: number,
  ) {
    const what =
      reason === "symlink"
        ? "is a symbolic link, so writing it could put a private key wherever the link points"
        : reason === "not-a-file"
          ? "exists and is not a regular file"
          : `belongs to another user (uid ${ownerUid}), who could read what is written there`;
    super(`${file} ${what}; nothing was written. Remove it or choose another folder with --out`);
    this.name = "UnsafeDestinationError";
  }
}

/** The folder to write into does not exist (it is never created on a guess) or is not a folder. */
export class OutputFolderError extends Error {
  constructor(
    readonly dir: string,
    readonly problem: "missing" | "not-a-folder",
  ) {
    super(
      problem === "missing"
        ? `the folder ${dir} does not exist; create it first (mkdir -p ${shQuote(dir)}) or choose another with --out`
        : `${dir} is not a folder; choose a folder with --out`,
    );
    this.name = "OutputFolderError";
  }
}

/** What is wrong with the issuing key's file or folder. */
export type CaPermissionProblem = "foreign-owner" | "folder-writable" | "key-open";

/** The CA's key or its folder is not this user's alone, so Switchyard does not sign with it. */
export class CaPermissionError extends Error {
  constructor(
    readonly path: string,
    readonly problem: CaPermissionProblem,
    /** The owner's uid ("foreign-owner") or the mode (the other problems). */
    readonly found: number,
  ) {
    const mode = (found & 0o7777).toString(8).padStart(4, "0");
    const text =
      problem === "foreign-owner"
        ? `${path} belongs to another user (uid ${found}), who can replace or read the CA's key. ` +
          `Use a CA of your own (switchyard ca create --ca-dir DIR), or take it over: sudo chown -R "$(id -u)" ${shQuote(path)}`
        : problem === "folder-writable"
          ? `the CA folder ${path} is writable by other users (mode ${mode}), who could swap in a CA of their own. ` +
            `Fix it with: chmod 700 ${shQuote(path)}`
          : `the CA key ${path} is readable or writable by other users (mode ${mode}). ` +
            `Fix it with: chmod 600 ${shQuote(path)} (if others may have read it, replace the CA: switchyard ca create --force)`;
    super(`${text}; Switchyard does not sign with it until then.`);
    this.name = "CaPermissionError";
  }
}
