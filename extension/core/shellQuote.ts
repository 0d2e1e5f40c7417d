/**
 * Quoting for the lines Switchyard prints for a user to paste or `eval` (`ca env`, `ca trust`'s next
 * steps, chmod/untrust hints). Paths come from the user's settings or environment and may hold
 * anything a file name can: `$(...)`, backticks, quotes, newlines. Double quotes (JSON.stringify)
 * are not enough in a shell: `$(...)` and backticks still run inside them. Every printed shell line
 * quotes its values with one of these two functions, and nothing else.
 */

/**
 * A POSIX shell word (sh, dash, bash, zsh) that is exactly `value`: single quotes, inside which
 * nothing is special, with each `'` written as `'\''` (close, escaped quote, reopen).
 */
export function shQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * Single quotes PowerShell treats as quotes: the ASCII apostrophe and U+2018, U+2019, U+201A, U+201B
 * (PowerShell's tokenizer accepts the typographic ones too). Any of them ends a single-quoted string.
 */
const POWERSHELL_SINGLE_QUOTES = /['\u2018\u2019\u201A\u201B]/g;

/**
 * A PowerShell single-quoted string that is exactly `value`: no `$` or backtick expansion inside,
 * and every quote character PowerShell accepts as a single quote is doubled (`''`, `’’`).
 */
export function powerShellQuote(value: string): string {
  return `'${value.replace(POWERSHELL_SINGLE_QUOTES, (q) => q + q)}'`;
}
