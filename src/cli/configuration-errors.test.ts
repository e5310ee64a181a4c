import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { it } from "node:test";
import { fileURLToPath } from "node:url";

const main = fileURLToPath(new URL("../main.ts", import.meta.url));

it("a bad setting in the environment is one line naming it and exit code 2, not a stack trace", () => {
  const result = spawnSync(process.execPath, [main, "species", "search", "tiger"], {
    env: { ...process.env, WILDTRAWL_TSA_URLS: "ftp://tsa.example/" },
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(result.status, 2);
  assert.equal(
    result.stderr,
    'wildtrawl: WILDTRAWL_TSA_URLS: "ftp://tsa.example/" is not an http(s) URL [config_invalid]\n',
  );
  assert.equal(result.stdout, "");
});
