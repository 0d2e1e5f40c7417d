// `npm start`: build, package, and run Switchyard in a real VS Code.
// - With desktop VS Code (`code` on PATH): opens the sample workspace with --extensionDevelopmentPath.
// - Without it: installs the packaged VSIX into a VS Code server (from the npm package code-server,
//   installed once into ~/.cache/switchyard) and prints the URL to open in a browser.
// Environment: SWITCHYARD_PORT (default 3210; 0 lets the server pick a free one, printed in the URL),
// SWITCHYARD_WORKSPACE (default a fresh copy of test/fixtures/sample-workspace in the cache folder,
// made again on each start, so that what the extension writes never lands in the tracked fixture).
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cacheRoot, ensureCodeServer, repoRoot, serverDirArgs, serverMain } from "../test/harness/codeServer.mjs";
import { freshSampleWorkspace } from "./sampleWorkspace.mjs";

const workspace =
  process.env.SWITCHYARD_WORKSPACE ??
  freshSampleWorkspace({ fixture: join(repoRoot, "test", "fixtures", "sample-workspace"), stateDir: cacheRoot() });
if (!process.env.SWITCHYARD_WORKSPACE) {
  console.log(
    `Workspace: ${workspace}\n  (a fresh copy of test/fixtures/sample-workspace, made again on each npm start;` +
      " set SWITCHYARD_WORKSPACE to open another folder)",
  );
}
const port = Number(process.env.SWITCHYARD_PORT ?? 3210);

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: repoRoot, stdio: "inherit" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed with exit code ${r.status}`);
}

run("npm", ["run", "--silent", "package"]);
const vsix = join(repoRoot, "dist", "switchyard.vsix");

const hasDesktopCode =
  spawnSync("sh", ["-c", "command -v code"], { encoding: "utf8" }).status === 0 && !process.env.SWITCHYARD_NO_DESKTOP;
if (hasDesktopCode) {
  console.log("Launching desktop VS Code with the extension under development…");
  run("code", ["--extensionDevelopmentPath", repoRoot, workspace]);
} else {
  const { pkg, node: node24 } = ensureCodeServer();
  const state = join(repoRoot, ".switchyard-dev");
  const dirs = {
    userData: join(state, "user-data"),
    serverData: join(state, "server-data"),
    extensions: join(state, "extensions"),
  };
  mkdirSync(join(dirs.userData, "User"), { recursive: true });
  writeFileSync(
    join(dirs.userData, "User", "settings.json"),
    JSON.stringify({ "workbench.startupEditor": "none", "telemetry.telemetryLevel": "off" }, null, 2),
  );
  const server = serverMain(pkg);
  const common = serverDirArgs(dirs);
  const install = spawnSync(
    node24,
    [server, ...common, "--accept-server-license-terms", "--install-extension", vsix, "--force"],
    { stdio: "inherit" },
  );
  if (install.status !== 0) throw new Error(`installing ${vsix} into the VS Code server failed`);
  const child = spawn(
    node24,
    [
      server,
      ...common,
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--without-connection-token",
      "--accept-server-license-terms",
      "--disable-telemetry",
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let announced = false;
  let greeting = "";
  child.stdout.on("data", (chunk) => {
    if (process.env.SWITCHYARD_VERBOSE) process.stdout.write(chunk);
    if (announced) return;
    greeting += String(chunk);
    // The port the server bound, which differs from `port` when that is 0.
    const bound = /^Extension host agent listening on (\d+)$/m.exec(greeting);
    if (bound) {
      announced = true;
      const url = `http://127.0.0.1:${bound[1]}/?folder=${encodeURIComponent(workspace)}`;
      console.log(
        `\nSwitchyard is running in VS Code at:\n\n  ${url}\n\nwith the folder ${workspace} open.` +
          "\nOpen it in a browser (Ctrl+C stops the server).",
      );
    }
  });
  const stop = () => child.kill("SIGTERM");
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  child.on("exit", (code) => process.exit(code ?? 0));
}
