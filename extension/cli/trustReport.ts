/** How `switchyard ca trust`, `untrust` and `status` print the verified state of each trust store. */
import type { TrustOutcome } from "../core/ca/trust/stores";
import { shQuote } from "../core/shellQuote";
import type { CliIO } from "./command";

/** The words after the store name: trusted / not trusted and why / not present / failed. */
export function outcomeState(o: TrustOutcome): string {
  if (!o.available) return "not present";
  if (o.error) return `FAILED: ${o.error}`;
  if (o.trusted) return `trusted (checked: ${o.checkedBy ?? "store lists the root"})`;
  return `not trusted${o.reason ? `: ${o.reason}` : ""}`;
}

/** Whether `o` makes `verb` a failure: an error, a present browser left untrusting, or a root left trusted. */
export function outcomeFailed(o: TrustOutcome, verb: "trust" | "untrust" | "status"): boolean {
  if (o.error) return true;
  if (verb === "trust") return o.required && !o.trusted;
  if (verb === "untrust") return o.available && o.trusted;
  return false;
}

/** Prints one line per store (plus notes and fixes); returns the exit code. */
export function printOutcomes(
  io: CliIO,
  outcomes: TrustOutcome[],
  verb: "trust" | "untrust",
  dir: string,
  isRoot: boolean,
): number {
  let failed = false;
  for (const o of outcomes) {
    io.stdout(`  ${o.store.padEnd(16)} ${outcomeState(o)}\n`);
    for (const note of o.notes ?? []) io.stdout(`  ${"".padEnd(16)} ${note}\n`);
    if (!outcomeFailed(o, verb)) continue;
    failed = true;
    const fix =
      o.fix ??
      (verb === "trust"
        ? `${o.description}: a browser that reads it is installed; close it and run switchyard ca trust again`
        : `close the browsers and run switchyard ca untrust again`);
    if (!o.elevation) io.stderr(`${o.store}: ${fix}\n`);
  }
  const elevated = outcomes.filter((o) => o.elevation);
  if (elevated.length > 0 && !isRoot) {
    io.stderr(
      `\n${elevated.map((o) => `${o.store}: ${o.elevation}`).join("\n")}\n` +
        `These steps need root. Rerun with sudo: sudo switchyard ca ${verb} --ca-dir ${shQuote(dir)}\n`,
    );
  }
  return failed ? 1 : 0;
}
