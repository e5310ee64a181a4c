// @ts-check
import { builtinModules } from "node:module";
import tseslint from "typescript-eslint";

// src/core is pure: it runs in Node and in the browser, so it may not touch I/O or any adapter around it.
const nodeBuiltins = {
  group: ["node:*", ...builtinModules],
  message: "src/core does no I/O: no Node built-ins.",
};
/** Relative imports that climb out of src/core from a file `depth` folders below it. */
const leavingCore = (depth) => ({
  regex: `^(\\.\\./){${depth + 1},}`,
  message: "src/core imports nothing from the adapters around it.",
});
const coreRules = (depth) => ({
  "no-restricted-imports": ["error", { patterns: [nodeBuiltins, leavingCore(depth)] }],
  "no-restricted-globals": [
    "error",
    { name: "process", message: "src/core reads no environment." },
    { name: "fetch", message: "src/core does no I/O." },
  ],
});

export default tseslint.config(
  { ignores: ["node_modules/", "data/", ".cache/", "test/fixtures/", "web/dist/"] },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  ...[0, 1, 2, 3].map((depth) => ({
    files: [`src/core/${"*/".repeat(depth)}*.ts`],
    ignores: ["src/core/**/*.test.ts"],
    rules: coreRules(depth),
  })),
);
