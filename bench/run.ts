// `npm run bench`: every benchmark in its own process, so that one's memory and JIT state never colour another's.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";

const only = process.argv.slice(2);
const benchmarks = readdirSync(new URL(".", import.meta.url))
  .filter((file) => file.endsWith(".ts") && file !== "run.ts")
  .filter((file) => only.length === 0 || only.some((name) => file.startsWith(name)))
  .sort();

let failed = 0;
for (const file of benchmarks) {
  console.log(`\n== bench/${file}`);
  const script = `const m = await import(${JSON.stringify(new URL(file, import.meta.url).href)}); await m.run();`;
  const result = spawnSync(process.execPath, ["--expose-gc", "--input-type=module", "-e", script], {
    stdio: "inherit",
  });
  if (result.status !== 0) failed++;
}
process.exitCode = failed === 0 ? 0 : 1;
