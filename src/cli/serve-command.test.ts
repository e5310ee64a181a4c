import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, it } from "node:test";
import { seedOrganisation } from "../api/testing/api-fixture.ts";
import { openStore } from "../storage/open-store.ts";
import { listeningUrl } from "./testing/listening-url.ts";

const wildtrawl = new URL("../../bin/wildtrawl.js", import.meta.url).pathname;
let dir: string;
let databaseUrl: string;
let secret: string;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "wildtrawl-serve-"));
  databaseUrl = path.join(dir, "serve.db");
  const store = await openStore(databaseUrl);
  secret = (await seedOrganisation(store, "platform", ["platform_officer"])).keys.platform_officer!;
  await store.close();
});
after(() => rmSync(dir, { recursive: true, force: true }));

const serve = (...args: string[]) => {
  const child = spawn(process.execPath, [wildtrawl, "serve", "--quiet", "--no-dashboard", ...args], {
    env: { ...process.env, WILDTRAWL_DATABASE_URL: databaseUrl, WILDTRAWL_DATA_DIR: dir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  return { child, exited };
};

it("serves batches through its screening worker and stops with its threads on SIGTERM", async () => {
  const { child, exited } = serve("--port", "0", "--screening-workers", "1");
  const url = await listeningUrl(child);
  const post = async (route: string, body: unknown) => {
    const response = await fetch(`${url}/v1${route}`, {
      method: "POST",
      headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const batch = await post("/screen/batch", {
    listings: [{ text: "Genuine ivory bangle for sale, 300 USD" }, { text: " " }, { title: "Oak chair" }],
  });
  assert.equal(batch.status, 200);
  const results = batch.body.results as { index: number; verdict?: string; error?: { code: string } }[];
  assert.deepEqual(
    results.map((result) => result.index),
    [0, 1, 2],
  );
  assert.equal(results[1]!.error?.code, "listing_empty");
  assert.equal(results[2]!.verdict, "allow");
  assert.equal((await post("/screen", { text: "Oak chair" })).status, 200);
  child.kill("SIGTERM");
  assert.equal(await exited, 0);
});

it("exits when it cannot listen instead of being kept alive by its threads", async () => {
  const taken = createServer().listen(0, "127.0.0.1");
  await new Promise((resolve) => taken.once("listening", resolve));
  const { port } = taken.address() as { port: number };
  try {
    const { exited } = serve("--port", String(port), "--screening-workers", "1");
    assert.notEqual(await exited, 0);
  } finally {
    taken.close();
  }
});
