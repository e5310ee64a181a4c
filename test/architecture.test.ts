import { it } from "node:test";
import assert from "node:assert/strict";
import { ESLint } from "eslint";

// The lint rule is the guard of the core's purity; this proves it actually fires.
it("lint keeps src/core free of Node built-ins and of every other src/ folder", async () => {
  const eslint = new ESLint({ cwd: new URL("..", import.meta.url).pathname });
  const lint = async (code: string) => {
    const [result] = await eslint.lintText(code, { filePath: "src/core/species/probe.ts" });
    return (result?.messages ?? []).map((message) => message.ruleId);
  };
  assert.deepEqual(await lint('import { readFile } from "node:fs";\nexport const f = readFile;\n'), [
    "no-restricted-imports",
  ]);
  assert.deepEqual(await lint('import path from "path";\nexport const p = path;\n'), [
    "no-restricted-imports",
  ]);
  assert.deepEqual(
    await lint('import { loadConfig } from "../../config.ts";\nexport const c = loadConfig;\n'),
    ["no-restricted-imports"],
  );
  assert.deepEqual(await lint("export const home = process.env.HOME;\n"), ["no-restricted-globals"]);
  assert.deepEqual(
    await lint('import { nameKey } from "../text/normalize.ts";\nexport const k = nameKey;\n'),
    [],
  );
});
