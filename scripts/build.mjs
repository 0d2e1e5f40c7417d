// Bundles the extension, the CLI, the webview and the integration tests with esbuild.
//   node scripts/build.mjs               development build (source maps inline)
//   node scripts/build.mjs --production  minified, external source maps (kept out of the VSIX)
//   node scripts/build.mjs --watch       rebuild on change
import * as esbuild from "esbuild";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const production = process.argv.includes("--production");
const watch = process.argv.includes("--watch");
const version = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version;

const common = {
  bundle: true,
  minify: production,
  sourcemap: production ? "external" : "inline",
  sourcesContent: !production,
  logLevel: "warning",
  absWorkingDir: root,
  define: { __SWITCHYARD_VERSION__: JSON.stringify(version) },
};

// The extension's engines (CA with node-forge, proxy, hosts editor) live in dist/engines.js and are
// loaded on first use, so activation parses only the adapter (see extension/vscode/engines.ts).
const enginesExternal = {
  name: "engines-external",
  setup(build) {
    build.onResolve({ filter: /\/core\/engines$/ }, () => ({ path: "./engines.js", external: true }));
  },
};

/** @type {import("esbuild").BuildOptions[]} */
const builds = [
  {
    ...common,
    entryPoints: { extension: "extension/vscode/activate.ts" },
    outdir: "dist",
    platform: "node",
    format: "cjs",
    target: "node20",
    external: ["vscode"],
    plugins: [enginesExternal],
  },
  {
    ...common,
    entryPoints: {
      engines: "extension/core/engines.ts",
      cli: "extension/cli.ts",
      proxyWorker: "extension/core/proxy/worker/proxyWorker.ts",
    },
    outdir: "dist",
    platform: "node",
    format: "cjs",
    target: "node20",
  },
  {
    ...common,
    entryPoints: { webview: "webview/main.ts" },
    outdir: "dist",
    platform: "browser",
    format: "iife",
    target: "es2022",
    loader: { ".css": "css", ".ttf": "file", ".woff2": "file" },
  },
];
if (!production) {
  // The integration suite runs inside the extension host; mocha stays external (loaded from node_modules).
  builds.push({
    ...common,
    entryPoints: { index: "test/integration/index.ts" },
    outdir: "out/integration",
    platform: "node",
    format: "cjs",
    target: "node20",
    external: ["vscode", "mocha"],
  });
}

if (watch) {
  for (const options of builds) await (await esbuild.context(options)).watch();
  console.log("esbuild: watching extension/, webview/ and test/integration/");
} else {
  const started = Date.now();
  await Promise.all(builds.map((b) => esbuild.build(b)));
  console.log(`esbuild: built ${production ? "production" : "development"} bundles in ${Date.now() - started} ms`);
}
