/**
 * Evidence verification: how fast `wildtrawl evidence verify` checks a realistic package (every file's SHA-256
 * against both signed lists, both signatures, the package's token and every capture's own tokens, the custody
 * excerpt and the capture records), from the ZIP, from the unpacked folder and from memory, beside the peer a
 * recipient without wildtrawl would run over the same folder: `sha256sum -c SHA256SUMS` and one `openssl ts -verify`
 * per token, as child processes (the commands of the package's VERIFY.txt).
 *
 * The package is built once: WILDTRAWL_BENCH_CAPTURES captures (default 50) of listing pages of about 300 KB (an
 * inline photo, so the page and its WARC are a screenshot's size), each time-stamped by two local TSAs; the package
 * is time-stamped too. No browser: Chromium takes seconds a capture, and verification does not care.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, stat } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { captureAdvert } from "../src/evidence/capture.ts";
import { exportPackage } from "../src/evidence/package-export.ts";
import { readPackage, verifyPackage, verifyPackageFiles } from "../src/evidence/package-verify.ts";
import { ensureSigningKey } from "../src/evidence/signing-keys.ts";
import { newEvidenceWorld } from "../src/evidence/testing/evidence-world.ts";
import { startLocalTsa } from "../src/evidence/testing/local-tsa.ts";
import { unpackPackage, verifyCommands } from "../src/evidence/testing/unpacked-package.ts";

const exec = promisify(execFile);
const captureCount = Number(process.env.WILDTRAWL_BENCH_CAPTURES ?? 50);
const photoBytes = 220_000;
const rounds = 5;

/** Listing pages with an inline photo: random bytes, as a JPEG's are, so neither gzip nor deflate shrinks them. */
async function startListingSite() {
  const server = http.createServer((request, response) => {
    const photo = randomBytes(photoBytes).toString("base64");
    response.writeHead(200, { "content-type": "text/html; charset=utf-8", date: new Date().toUTCString() });
    response.end(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Carved ivory tusk ${request.url}</title>` +
        `</head><body><h1>Carved ivory tusk</h1><p>Genuine elephant ivory, 2 kg. Ship worldwide.</p>` +
        `<img alt="tusk" src="data:image/jpeg;base64,${photo}"></body></html>`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

export async function run(): Promise<void> {
  const [site, world, ...tsas] = await Promise.all([
    startListingSite(),
    newEvidenceWorld(),
    startLocalTsa(),
    startLocalTsa(),
  ]);
  const scratch = await mkdtemp(path.join(tmpdir(), "wildtrawl-bench-verify-"));
  try {
    const built = performance.now();
    const key = await ensureSigningKey(path.join(world.dataDir, "keys"));
    const tsa = tsas.map(({ url, caPem }) => ({ url, caPem }));
    const deps = { ...world.deps({ browser: null, detect: false }), tsa };
    let listingId: number | undefined;
    for (let i = 0; i < captureCount; i++) {
      const outcome = await captureAdvert(deps, {
        url: `${site.origin}/item/${i}`,
        sourceId: world.source.id,
        actor: "user:bench",
      });
      listingId ??= outcome.capture.listingId;
    }
    const exported = await exportPackage(
      {
        store: world.store,
        evidenceRoot: world.evidenceRoot,
        signingKey: key,
        software: { name: "wildtrawl", version: "0.0.0-bench", gitSha: null },
        now: () => new Date(),
        tsa: [tsa[0]!],
      },
      {
        captureIds: Array.from({ length: captureCount }, (_, i) => i + 1),
        out: path.join(scratch, "case.zip"),
        actor: "user:bench",
      },
    );
    const files = await readPackage(exported.file);
    const folder = path.join(scratch, "case");
    await unpackPackage(files, folder);
    const unpackedBytes = [...files.values()].reduce((sum, bytes) => sum + bytes.length, 0);
    const zipBytes = (await stat(exported.file)).size;
    const peerCommands = verifyCommands(files).filter((line) =>
      /^(sha256sum -c|openssl ts -verify) /.test(line),
    );
    const tokens = peerCommands.length - 1;
    console.log(
      `evidence verify: one package of ${captureCount} captures, ${files.size} files, ${(unpackedBytes / 1e6).toFixed(1)} MB ` +
        `unpacked (ZIP ${(zipBytes / 1e6).toFixed(1)} MB), ${tokens} RFC 3161 tokens (2 a capture, 1 on the manifest); ` +
        `built in ${((performance.now() - built) / 1000).toFixed(1)} s; median of ${rounds} rounds after a warm-up ` +
        // Other work on the machine moves these figures a lot: say how busy it was.
        `(load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores)`,
    );

    const contenders: Array<{ label: string; verify: () => Promise<unknown>; times: number[] }> = [
      {
        label: "wildtrawl, the ZIP",
        verify: async () => assertVerified(await verifyPackage(exported.file)),
        times: [],
      },
      {
        label: "wildtrawl, the unpacked folder",
        verify: async () => assertVerified(await verifyPackage(folder)),
        times: [],
      },
      {
        label: "wildtrawl, in memory (no I/O)",
        verify: async () => assertVerified(verifyPackageFiles(files)),
        times: [],
      },
      {
        // One command after another, as a reader pasting VERIFY.txt (or a shell loop over it) runs them.
        label: "sha256sum -c + openssl ts -verify",
        verify: async () => {
          for (const command of peerCommands) await exec("sh", ["-c", command], { cwd: folder });
        },
        times: [],
      },
    ];
    for (const contender of contenders) await contender.verify();
    for (let round = 0; round < rounds; round++) {
      for (const contender of contenders) {
        const started = performance.now();
        await contender.verify();
        contender.times.push(performance.now() - started);
      }
    }
    for (const contender of contenders) {
      const ms = median(contender.times);
      console.log(
        `  ${contender.label.padEnd(36)} ${ms.toFixed(0).padStart(6)} ms a package  ` +
          `${((captureCount * 1000) / ms).toFixed(0).padStart(5)} captures/s  ` +
          `${(unpackedBytes / 1e3 / ms).toFixed(0).padStart(4)} MB/s`,
      );
    }
    const [zip, unpacked, , peer] = contenders.map((contender) => median(contender.times)) as number[];
    console.log(
      `  the peer takes ${(peer! / unpacked!).toFixed(1)}× as long as wildtrawl on the same folder ` +
        `(${peerCommands.length} processes; wildtrawl also checks the signatures, custody and records); ` +
        `the ZIP costs ${((zip! / unpacked! - 1) * 100).toFixed(0)}% more than the folder (inflate and CRC)`,
    );
  } finally {
    await Promise.all([site.close(), world.close(), ...tsas.map((tsa) => tsa.close())]);
    await rm(scratch, { recursive: true, force: true });
  }
}

function assertVerified(result: {
  ok: boolean;
  failures: readonly unknown[];
  captureTimestamps: readonly unknown[];
}) {
  if (!result.ok || result.captureTimestamps.length !== 2 * captureCount)
    throw new Error(`the bench package did not verify: ${JSON.stringify(result.failures)}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run();
