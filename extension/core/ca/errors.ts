/** Errors a user can see from the CA: each says what happened and what to do next. */

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
