/**
 * The dev app the browser rows load: generated into a temp folder at bench time and served by the
 * project's own `vite` devDependency (a stock dev server, one config line so that the names the
 * proxies forward are accepted). Every module counts itself when evaluated; main.js, evaluated
 * last (ES modules run after their imports), records when all of them have run.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { freePort, waitForPort, type ProcessGroup, type StartedProcess } from "./processes";

/** The shape of the generated app. */
export interface ViteAppShape {
  /** ES modules in total (main.js, one folder module per 50 leaves, the leaves). */
  modules: number;
  /** Bytes of one extra asset the page loads (an <img>), 0 for none. */
  assetBytes: number;
}

/** A generated app folder and how many modules main.js waits for. */
export interface ViteApp {
  dir: string;
  modules: number;
  /** The CSS file main.js imports (what the hot-update row rewrites). */
  cssPath: string;
}

const LEAVES_PER_FOLDER = 50;

/** Writes the app: index.html, vite.config.mjs, style.css, main.js importing folders of leaf modules. */
export function generateViteApp(dir: string, shape: ViteAppShape): ViteApp {
  mkdirSync(join(dir, "src"), { recursive: true });
  mkdirSync(join(dir, "public"), { recursive: true });
  // Leaves + folder modules + main.js = shape.modules.
  const folders = Math.max(1, Math.round((shape.modules - 1) / (LEAVES_PER_FOLDER + 1)));
  const leaves = shape.modules - 1 - folders;
  const count = "globalThis.__modulesEvaluated = (globalThis.__modulesEvaluated ?? 0) + 1;\n";
  let leaf = 0;
  const folderImports: string[] = [];
  for (let f = 0; f < folders; f++) {
    const lines: string[] = [];
    const mine = Math.floor(leaves / folders) + (f < leaves % folders ? 1 : 0);
    for (let i = 0; i < mine; i++, leaf++) {
      const name = `leaf${leaf}`;
      writeFileSync(
        join(dir, "src", `${name}.js`),
        `${count}export const ${name} = { id: ${leaf}, label: "item ${leaf}", twice: (n) => n * 2 + ${leaf} };\n`,
      );
      lines.push(`import { ${name} } from "./${name}.js";`);
    }
    const names = lines.map((l) => /\{ (\w+) \}/.exec(l)![1]).join(", ");
    writeFileSync(
      join(dir, "src", `folder${f}.js`),
      `${lines.join("\n")}\n${count}export const folder${f} = [${names}];\n`,
    );
    folderImports.push(`import { folder${f} } from "./src/folder${f}.js";`);
  }
  writeFileSync(
    join(dir, "main.js"),
    `import "./style.css";\n${folderImports.join("\n")}\n${count}` +
      `const all = [${Array.from({ length: folders }, (_, f) => `...folder${f}`).join(", ")}];\n` +
      `document.querySelector("#count").textContent = String(all.length);\n` +
      `globalThis.__allEvaluatedAt = performance.now();\n`,
  );
  const asset = shape.assetBytes > 0 ? `<img src="/asset.bin" alt="" width="1" height="1">` : "";
  if (shape.assetBytes > 0) writeFileSync(join(dir, "public", "asset.bin"), randomBytes(shape.assetBytes));
  writeFileSync(
    join(dir, "index.html"),
    `<!doctype html><html><head><meta charset="utf-8"><title>bench app</title></head>` +
      `<body><h1>bench app</h1><p id="count"></p>${asset}<script type="module" src="/main.js"></script></body></html>\n`,
  );
  const cssPath = join(dir, "style.css");
  writeFileSync(cssPath, "h1 { color: rgb(0, 0, 1); }\n");
  // nginx and Caddy forward the browser's Host (app.test), which Vite refuses unless allowed.
  writeFileSync(join(dir, "vite.config.mjs"), "export default { server: { allowedHosts: true } };\n");
  return { dir, modules: shape.modules, cssPath };
}

/** A running Vite dev server. */
export interface RunningVite {
  port: number;
  process: StartedProcess;
}

/** Starts the project's own Vite on 127.0.0.1 in `app.dir`. */
export async function startVite(
  group: ProcessGroup,
  repoRoot: string,
  app: ViteApp,
  label = "vite",
): Promise<RunningVite> {
  const port = await freePort();
  const vite = join(repoRoot, "node_modules", "vite", "bin", "vite.js");
  const args = [vite, "--port", String(port), "--strictPort", "--host", "127.0.0.1", "--clearScreen", "false"];
  const p = group.start(label, process.execPath, args, { cwd: app.dir, env: { ...process.env, BROWSER: "none" } });
  await waitForPort(port, p, 30_000);
  return { port, process: p };
}
