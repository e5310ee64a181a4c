import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { it } from "node:test";
import { apiErrorCodes } from "./api-errors.ts";

it("docs/api.md documents exactly the error codes the API sends, with the same statuses", async () => {
  const docs = await readFile(new URL("../../docs/api.md", import.meta.url), "utf8");
  const documented = new Map(
    [...docs.matchAll(/^\| `([a-z_]+)` +\| (\d{3}) +\|/gm)].map((match) => [match[1]!, Number(match[2])]),
  );
  assert.deepEqual(Object.fromEntries(documented), { ...apiErrorCodes });
});
