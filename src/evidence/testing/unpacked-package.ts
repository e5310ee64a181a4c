import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { verifyTextName } from "../package-layout.ts";

/** Writes a package's files into `directory`, as unzip would. */
export async function unpackPackage(files: ReadonlyMap<string, Buffer>, directory: string): Promise<void> {
  for (const [name, bytes] of files) {
    await mkdir(path.dirname(path.join(directory, name)), { recursive: true });
    await writeFile(path.join(directory, name), bytes);
  }
}

/** The commands a package's VERIFY.txt tells its reader to run, in order, exactly as written there. */
export function verifyCommands(files: ReadonlyMap<string, Buffer>): string[] {
  return (files.get(verifyTextName)?.toString("utf8") ?? "")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => /^(sha256sum|openssl) /.test(line));
}
