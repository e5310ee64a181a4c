import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";

/** A file as written: its SHA-256 (hex) and size, computed from the very bytes that went to the disk. */
export interface WrittenFile {
  readonly sha256: string;
  readonly byteLength: number;
}

/**
 * Writes `chunks` to a new file, hashing each chunk as it is written (RELIABILITY E3: the hash is of the bytes
 * acquired, taken before anything else reads them), then fsyncs it. Refuses to overwrite: evidence is written once.
 */
export async function writeHashedFile(
  file: string,
  chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
): Promise<WrittenFile> {
  await mkdir(path.dirname(file), { recursive: true });
  const handle = await open(file, "wx", 0o444);
  const hash = createHash("sha256");
  let byteLength = 0;
  try {
    for await (const chunk of chunks) {
      hash.update(chunk);
      let written = 0;
      while (written < chunk.byteLength) {
        const result = await handle.write(chunk, written, chunk.byteLength - written);
        written += result.bytesWritten;
      }
      byteLength += chunk.byteLength;
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  return { sha256: hash.digest("hex"), byteLength };
}

/** SHA-256 and size of a file, read as a stream. */
export async function hashFile(file: string): Promise<WrittenFile> {
  const hash = createHash("sha256");
  let byteLength = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    byteLength += (chunk as Buffer).byteLength;
  }
  return { sha256: hash.digest("hex"), byteLength };
}

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Makes a rename or a new entry in `directory` durable. */
export async function fsyncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A JSON file's bytes as wildtrawl writes evidence files: indented, one final newline. */
export function jsonBytes(value: unknown): Buffer {
  return Buffer.from(`${JSON.stringify(value, null, 2)}\n`, "utf8");
}

/** A fresh, uniquely named folder under `root/tmp` for building something that will be moved into place whole. */
export async function makeTempDirectory(root: string, prefix: string): Promise<string> {
  const directory = path.join(root, "tmp", `${prefix}-${Date.now()}-${randomBytes(6).toString("hex")}`);
  await mkdir(directory, { recursive: true });
  return directory;
}

/**
 * Moves a finished folder to its content address in one rename, so that it is either wholly there or absent
 * (RELIABILITY R5). The folder's files must already be fsynced. If the address is taken, the content is the same
 * (the name is its hash): the new copy is dropped and the existing one kept.
 */
export async function sealDirectory(built: string, destination: string): Promise<"created" | "existed"> {
  await fsyncDirectory(built);
  await mkdir(path.dirname(destination), { recursive: true });
  try {
    await rename(built, destination);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOTEMPTY" && code !== "EEXIST") throw error;
    await rm(built, { recursive: true, force: true });
    return "existed";
  }
  await fsyncDirectory(path.dirname(destination));
  return "created";
}

/** Removes build folders left by a crash (older than `olderThanMs`); returns how many. */
export async function sweepTempDirectories(
  root: string,
  olderThanMs: number,
  nowMs: number,
): Promise<number> {
  const tmp = path.join(root, "tmp");
  let entries: string[];
  try {
    entries = await readdir(tmp);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of entries) {
    const full = path.join(tmp, name);
    const info = await stat(full).catch(() => undefined);
    if (info && nowMs - info.mtimeMs >= olderThanMs) {
      await rm(full, { recursive: true, force: true });
      removed++;
    }
  }
  return removed;
}
