// `npm ci` runs this (the "prepare" script): build the dashboard when its tools are installed, and skip with a
// message otherwise (a production install without dev dependencies), so that installing never fails here.
import { fileURLToPath } from "node:url";

let vite: typeof import("vite");
try {
  vite = await import("vite");
} catch {
  console.log("wildtrawl: vite is not installed (no dev dependencies), so the dashboard was not built.");
  console.log("wildtrawl: install them and run `npm run build:web` before `wildtrawl serve`.");
  process.exit(0);
}
await vite.build({ root: fileURLToPath(new URL(".", import.meta.url)), logLevel: "warn" });
console.log("wildtrawl: dashboard built in web/dist/");
