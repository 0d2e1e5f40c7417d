/**
 * NODE_EXTRA_CA_CERTS names one file. A user who already points it at their own roots (a company
 * CA) keeps them: the value becomes a file holding both, written atomically beside our state.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The certificate bodies of a PEM text, without headers or line breaks, to tell what a file holds. */
function bodies(pem: string): string[] {
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map((m) =>
    (m[1] ?? "").replace(/\s+/g, ""),
  );
}

/**
 * The file to give as NODE_EXTRA_CA_CERTS: the root itself when nothing else is set (or the set
 * file already holds the root), else a combined copy in `dir` (0600, named by its content).
 */
export function nodeExtraCaCerts(rootFile: string, existing: string | undefined, dir: string): string {
  if (!existing || existing === rootFile || !existsSync(existing)) return rootFile;
  const theirs = readFileSync(existing, "utf8");
  const root = readFileSync(rootFile, "utf8");
  const [rootBody] = bodies(root);
  if (rootBody && bodies(theirs).includes(rootBody)) return existing;
  const combined = `${theirs.trimEnd()}\n${root.trimEnd()}\n`;
  const file = join(dir, `node-extra-ca-${createHash("sha256").update(combined).digest("hex").slice(0, 16)}.pem`);
  if (!existsSync(file)) {
    const temp = `${file}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`;
    writeFileSync(temp, combined, { mode: 0o600, flag: "wx" });
    renameSync(temp, file);
  }
  return file;
}
