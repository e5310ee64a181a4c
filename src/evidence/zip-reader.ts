import { crc32, inflateRawSync } from "node:zlib";

/** A problem with the package file itself (not one of its entries). */
export class ZipFormatError extends Error {
  readonly entry: string | undefined;
  constructor(message: string, entry?: string) {
    super(message);
    this.entry = entry;
  }
}

/**
 * Reads every entry of a ZIP held in memory (stored or deflated, no ZIP64), checking each entry's CRC, so that a
 * damaged package names the damaged entry. Refuses names that would escape the folder they are unpacked into.
 */
export function readZip(bytes: Buffer): Map<string, Buffer> {
  const eocd = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0 || eocd + 22 > bytes.length)
    throw new ZipFormatError("not a ZIP file (no end of central directory)");
  const count = bytes.readUInt16LE(eocd + 10);
  let offset = bytes.readUInt32LE(eocd + 16);
  const entries = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    if (offset + 46 > bytes.length || bytes.readUInt32LE(offset) !== 0x02014b50) {
      throw new ZipFormatError(`central directory entry ${i + 1} is damaged`);
    }
    const method = bytes.readUInt16LE(offset + 10);
    const crc = bytes.readUInt32LE(offset + 16);
    const compressedSize = bytes.readUInt32LE(offset + 20);
    const size = bytes.readUInt32LE(offset + 24);
    const nameLength = bytes.readUInt16LE(offset + 28);
    const extraLength = bytes.readUInt16LE(offset + 30);
    const commentLength = bytes.readUInt16LE(offset + 32);
    const localOffset = bytes.readUInt32LE(offset + 42);
    const name = bytes.subarray(offset + 46, offset + 46 + nameLength).toString("utf8");
    offset += 46 + nameLength + extraLength + commentLength;
    if (name.endsWith("/")) continue;
    if (name.startsWith("/") || name.split("/").includes("..") || name.includes("\\")) {
      throw new ZipFormatError(`unsafe entry name "${name}"`, name);
    }
    if (localOffset + 30 > bytes.length || bytes.readUInt32LE(localOffset) !== 0x04034b50) {
      throw new ZipFormatError(`the local header of ${name} is damaged`, name);
    }
    const localName = bytes.subarray(
      localOffset + 30,
      localOffset + 30 + bytes.readUInt16LE(localOffset + 26),
    );
    if (localName.toString("utf8") !== name)
      throw new ZipFormatError(`the local header of ${name} is damaged`, name);
    const dataStart = localOffset + 30 + localName.length + bytes.readUInt16LE(localOffset + 28);
    const raw = bytes.subarray(dataStart, dataStart + compressedSize);
    let data: Buffer;
    try {
      if (method === 0) data = Buffer.from(raw);
      else if (method === 8) data = inflateRawSync(raw, { maxOutputLength: Math.max(size, 1) });
      else throw new ZipFormatError(`${name}: unsupported compression method ${method}`, name);
    } catch (error) {
      if (error instanceof ZipFormatError) throw error;
      throw new ZipFormatError(`${name}: its compressed data is damaged`, name);
    }
    if (data.length !== size || crc32(data) !== crc) {
      throw new ZipFormatError(`${name}: its contents do not match the ZIP's checksum`, name);
    }
    entries.set(name, data);
  }
  return entries;
}
