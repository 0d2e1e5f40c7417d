/** Writing certificates for other servers to use: PEM files and a snippet per dev server. */
import { join } from "node:path";
import { assertOutputFolder, assertSafeDestination, writeFileExclusively } from "./exclusiveFile";
import { leafFileBase } from "./paths";
import type { IssuedLeaf } from "./types";

/** The files {@link writeLeafPem} wrote. */
export interface LeafFiles {
  /** Leaf followed by the intermediate: what servers want as their "cert". */
  certFile: string;
  keyFile: string;
}

/**
 * Writes `<first name>.pem` (leaf + intermediate) and `<first name>-key.pem` (0600) into the existing
 * folder `outDir`, each through a new exclusive file (see {@link writeFileExclusively}). Both
 * destinations are checked before either is written, so a refusal leaves nothing behind.
 */
export function writeLeafPem(leaf: IssuedLeaf, outDir: string): LeafFiles {
  assertOutputFolder(outDir);
  const base = leafFileBase(leaf.names[0] ?? "leaf");
  const certFile = join(outDir, `${base}.pem`);
  const keyFile = join(outDir, `${base}-key.pem`);
  assertSafeDestination(certFile);
  assertSafeDestination(keyFile);
  writeFileExclusively(keyFile, leaf.keyPem, 0o600);
  writeFileExclusively(certFile, leaf.chainPem, 0o644);
  return { certFile, keyFile };
}

/** How to use the files with common dev servers. */
export function usageSnippets(files: LeafFiles, p12File?: string): string {
  return [
    `Node (https.createServer):`,
    `  https.createServer({ cert: fs.readFileSync(${JSON.stringify(files.certFile)}), key: fs.readFileSync(${JSON.stringify(files.keyFile)}) }, app)`,
    `Vite (vite.config.ts):`,
    `  server: { https: { cert: ${JSON.stringify(files.certFile)}, key: ${JSON.stringify(files.keyFile)} } }`,
    `webpack-dev-server:`,
    `  devServer: { server: { type: "https", options: { cert: ${JSON.stringify(files.certFile)}, key: ${JSON.stringify(files.keyFile)} } } }`,
    `Kestrel (appsettings.json):`,
    p12File
      ? `  "Kestrel": { "Certificates": { "Default": { "Path": ${JSON.stringify(p12File)}, "Password": "<the password>" } } }`
      : `  "Kestrel": { "Certificates": { "Default": { "Path": ${JSON.stringify(files.certFile)}, "KeyPath": ${JSON.stringify(files.keyFile)} } } }`,
  ].join("\n");
}
