import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const openStoreModule = fileURLToPath(new URL("../open-store.ts", import.meta.url));

/**
 * Opens the same database from `count` separate processes at the same moment (each waits for a shared start
 * time), so their migrations race for real. Resolves with each process's exit code and error output.
 */
export async function openInProcesses(
  url: string,
  count: number,
): Promise<{ code: number | null; stderr: string }[]> {
  const startAt = Date.now() + 2000;
  const script = `
    import { openStore } from ${JSON.stringify(openStoreModule)};
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, ${startAt} - Date.now())));
    const store = await openStore(process.env.DATABASE_URL);
    await store.organisations.list();
    await store.close();
  `;
  return Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<{ code: number | null; stderr: string }>((resolve) => {
          const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
            env: { ...process.env, DATABASE_URL: url },
            stdio: ["ignore", "ignore", "pipe"],
          });
          let stderr = "";
          child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
          child.on("close", (code) => resolve({ code, stderr }));
        }),
    ),
  );
}
