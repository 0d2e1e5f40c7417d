// `npm run package` (after the production build): dist/switchyard.vsix, with README.md's images as
// absolute https:// URLs.
//
// Why: VS Code's extension details page renders the README in a webview whose sanitizer keeps only
// http(s) image sources and drops relative ones (`renderMarkdownDocument` with no base), and whose
// Content-Security-Policy allows `img-src https: data:`; the Marketplace shows the README as
// packaged. So a relative `media/screenshots/x.png` is a broken image in both places. vsce rewrites
// relative image links against a base: the repository's raw URL when package.json's `repository`
// is on GitHub or GitLab, else the base given here.
//
//   node scripts/package.mjs [--images-url https://host/path/] [--out FILE]
// The base also comes from SWITCHYARD_IMAGES_URL. It must serve this repository's files at the
// same paths (media/screenshots/…), e.g. https://raw.githubusercontent.com/OWNER/REPO/main/.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * How vsce should treat README's relative image links, given the explicit base (if any) and the
 * manifest's repository: `{ args }` for vsce, and `warning` when the images will be broken.
 */
export function imageLinkArgs(explicitBase, repository) {
  if (explicitBase) {
    let url;
    try {
      url = new URL(explicitBase);
    } catch {
      throw new Error(`the images URL ${explicitBase} is not a URL`);
    }
    if (url.protocol !== "https:")
      throw new Error(`the images URL must be https:// (VS Code and the Marketplace show no other): ${explicitBase}`);
    return { args: ["--baseImagesUrl", explicitBase.endsWith("/") ? explicitBase : `${explicitBase}/`] };
  }
  const repo = typeof repository === "string" ? repository : repository?.url;
  if (/^(https:\/\/|git@)(github|gitlab)\.com[/:]/.test(repo ?? "")) return { args: [] };
  return {
    args: ["--no-rewrite-relative-links"],
    warning:
      `README.md's images stay relative and will be broken on VS Code's extension details page and the ` +
      `Marketplace: package.json's repository (${repo ?? "none"}) is not on GitHub or GitLab, so vsce cannot ` +
      `tell where they are served. Set the real repository URL, or pass --images-url (SWITCHYARD_IMAGES_URL) ` +
      `with the https:// address that serves this repository's files.`,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: { "images-url": { type: "string" }, out: { type: "string" } },
  });
  const manifest = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8"));
  const links = imageLinkArgs(values["images-url"] ?? process.env.SWITCHYARD_IMAGES_URL, manifest.repository);
  if (links.warning) console.warn(`warning: ${links.warning}`);
  const vsce = join(repoRoot, "node_modules", "@vscode", "vsce", "vsce");
  const out = values.out ?? join(repoRoot, "dist", "switchyard.vsix");
  const r = spawnSync(process.execPath, [vsce, "package", "--no-dependencies", ...links.args, "--out", out], {
    cwd: repoRoot,
    stdio: "inherit",
  });
  process.exit(r.status ?? 1);
}
