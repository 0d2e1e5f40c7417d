/**
 * Loads every integration test file after mocha has installed its BDD globals (describe/it).
 * The files are bundled with esbuild (scripts/build.mjs), so they are listed here rather than
 * discovered with a glob at run time; `require` keeps each file's top level lazy until now.
 */
export function loadSuites(): void {
  require("./activation.test");
  require("./proxy.test");
  require("./states.test");
  require("./devServers.test");
  require("./views.test");
}
