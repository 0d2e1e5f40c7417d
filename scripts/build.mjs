// Bundles the extension, the CLI, the webview and the integration tests with esbuild.
//   node scripts/build.mjs               development build (source maps inline)
//   node scripts/build.mjs --production  minified, external source maps (kept out of the VSIX)
//   node scripts/build.mjs --watch       rebuild on change
//   --outdir DIR                         write the bundles to DIR instead of dist/ (the bundle test and
//                                        the VS Code cost bench build a production copy there)
import * as esbuild from "esbuild";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const production = process.argv.includes("--production");
const watch = process.argv.includes("--watch");
const outdirAt = process.argv.indexOf("--outdir");
const outdir = outdirAt > 0 && process.argv[outdirAt + 1] ? resolve(process.argv[outdirAt + 1]) : join(root, "dist");
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

/**
 * Code a bundle loads on first use from a sibling file instead of carrying it: `import` of `filter`
 * becomes `require("./file")` at run time.
 *  - the engines (CA, proxy, hosts editor) in engines.js: activation parses only the adapter
 *    (extension/vscode/engines.ts), and the elevated trust step loads them rather than a whole CLI;
 *  - @vscode/sudo-prompt in sudoPrompt.js: loaded when a step needs administrator rights;
 *  - the whole of node-forge in forge.js: only PKCS#12 export needs it (issuance uses forge's ASN.1
 *    module alone, which stays bundled; see extension/core/ca/forge.ts);
 *  - the QR code encoder (`qrcode`, with the PNG writer it carries) in qrcode.js: only the device
 *    QR panel draws one, and it was over a quarter of extension.js, compiled at every activation.
 */
function loadedLater(filter, file) {
  return {
    name: `later:${file}`,
    setup(build) {
      build.onResolve({ filter }, () => ({ path: `./${file}`, external: true }));
    },
  };
}
/**
 * `vscode` as one namespace for the whole bundle. esbuild turns each file's `import * as vscode from
 * "vscode"` of an external module into its own `__toESM(require("vscode"))`, which copies every one
 * of the API's ~350 properties into a new object: 16 files, 16 copies, about 10 ms of activation
 * in VS Code's extension host. Re-exported from one module, the API is copied once.
 */
const vscodeOnce = {
  name: "vscode-once",
  setup(build) {
    build.onResolve({ filter: /^vscode$/ }, (args) =>
      args.namespace === "vscode-once"
        ? { path: "vscode", external: true }
        : { path: "vscode", namespace: "vscode-once" },
    );
    build.onLoad({ filter: /.*/, namespace: "vscode-once" }, () => ({
      contents: 'export * from "vscode";',
      loader: "js",
      resolveDir: root,
    }));
  },
};
const enginesLater = loadedLater(/\/core\/engines$/, "engines.js");
const sudoPromptLater = loadedLater(/^@vscode\/sudo-prompt$/, "sudoPrompt.js");
const forgeLater = loadedLater(/^node-forge$/, "forge.js");
const qrcodeLater = loadedLater(/^qrcode$/, "qrcode.js");

/** @type {import("esbuild").BuildOptions[]} */
const builds = [
  {
    ...common,
    entryPoints: { extension: "extension/vscode/activate.ts" },
    outdir,
    platform: "node",
    format: "cjs",
    target: "node20",
    external: ["vscode"],
    plugins: [vscodeOnce, enginesLater, sudoPromptLater, qrcodeLater],
  },
  {
    // What the VSIX runs with administrator rights (`ca trust`/`untrust`): a small entry over engines.js.
    ...common,
    // And the standard-ports step (`ports enable|disable`, issue 23), which needs no engines.js.
    entryPoints: { elevatedTrust: "extension/cli/elevatedTrust.ts", elevatedPorts: "extension/cli/elevatedPorts.ts" },
    outdir,
    platform: "node",
    format: "cjs",
    target: "node20",
    plugins: [enginesLater],
  },
  {
    ...common,
    entryPoints: {
      engines: "extension/core/engines.ts",
      cli: "extension/cli.ts",
      proxyWorker: "extension/core/proxy/worker/proxyWorker.ts",
    },
    outdir,
    platform: "node",
    format: "cjs",
    target: "node20",
    plugins: [forgeLater],
  },
  {
    // The packages loaded later, each bundled on its own (module.exports is the package's).
    ...common,
    entryPoints: { forge: "node-forge", sudoPrompt: "@vscode/sudo-prompt", qrcode: "qrcode" },
    outdir,
    platform: "node",
    format: "cjs",
    target: "node20",
  },
  {
    ...common,
    entryPoints: { webview: "webview/main.ts" },
    outdir,
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
