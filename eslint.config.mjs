// ESLint with typescript-eslint. The core must stay free of `any` and of the vscode API.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const nodeGlobals = {
  process: "readonly",
  console: "readonly",
  Buffer: "readonly",
  setTimeout: "readonly",
  clearTimeout: "readonly",
  setInterval: "readonly",
  clearInterval: "readonly",
  setImmediate: "readonly",
  URL: "readonly",
  URLSearchParams: "readonly",
  fetch: "readonly",
  AbortController: "readonly",
  AbortSignal: "readonly",
  performance: "readonly",
  require: "readonly",
  __dirname: "readonly",
  module: "readonly",
  TextEncoder: "readonly",
  TextDecoder: "readonly",
  structuredClone: "readonly",
  queueMicrotask: "readonly",
  globalThis: "readonly",
};

export default tseslint.config(
  {
    ignores: [
      "dist/**",
      "out/**",
      ".scratch/**",
      "node_modules/**",
      ".test-artifacts/**",
      ".bench/**",
      "test/fixtures/**",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: nodeGlobals },
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" },
      ],
      "@typescript-eslint/no-require-imports": "off",
      "no-empty": ["error", { allowEmptyCatch: true }],
    },
  },
  {
    files: ["extension/core/**/*.ts", "extension/cli/**/*.ts", "extension/cli.ts"],
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "no-restricted-imports": [
        "error",
        {
          paths: [
            { name: "vscode", message: "The core and the CLI never import vscode: keep it in extension/vscode/." },
          ],
        },
      ],
    },
  },
  {
    files: ["webview/**/*.ts"],
    languageOptions: {
      globals: { window: "readonly", document: "readonly", HTMLElement: "readonly", requestAnimationFrame: "readonly" },
    },
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["node:*", "../extension/**"],
              message: "The webview runs in a browser: no Node APIs, talk through webview/protocol.ts.",
            },
          ],
        },
      ],
    },
  },
);
