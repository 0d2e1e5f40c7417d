#!/usr/bin/env node
// The `switchyard` command. Uses the bundled CLI when it has been built (npm install runs the
// build), and falls back to running the TypeScript sources through tsx in a development checkout.
"use strict";
const path = require("node:path");
const fs = require("node:fs");
const bundled = path.join(__dirname, "..", "dist", "cli.js");
if (fs.existsSync(bundled)) {
  require(bundled).main();
} else {
  require("tsx/cjs");
  require(path.join(__dirname, "..", "extension", "cli.ts")).main();
}
