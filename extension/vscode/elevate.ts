/**
 * The one privileged step, run through `@vscode/sudo-prompt` (a native password dialog). Callers
 * pass argv whose elements were checked to need no quoting; nothing here builds a command from
 * user input.
 */
const SAFE_ARG = /^[A-Za-z0-9 /\\._:=@+-]+$/;

export async function runElevated(argv: string[], env?: Record<string, string>, name = "Switchyard"): Promise<void> {
  for (const a of argv) {
    if (!SAFE_ARG.test(a))
      throw new Error(`refusing to run an elevated command with the argument ${JSON.stringify(a)}`);
  }
  // Loaded only now (dist/sudoPrompt.js, see scripts/build.mjs): most sessions never elevate. A
  // function-scoped require, as in core/ca/forge.ts, hands over the package's exports as they are.
  const sudo = require("@vscode/sudo-prompt") as typeof import("@vscode/sudo-prompt");
  const command = argv.map((a) => (a.includes(" ") ? `"${a}"` : a)).join(" ");
  await new Promise<void>((resolve, reject) => {
    sudo.exec(command, { name, ...(env ? { env } : {}) }, (error) =>
      error ? reject(new Error(`the elevated step failed: ${error.message}`)) : resolve(),
    );
  });
}
