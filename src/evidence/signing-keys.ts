import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from "node:crypto";
import { link, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fsyncDirectory } from "./atomic-files.ts";

/** The platform's Ed25519 key that signs every export (RELIABILITY E4). */
export interface SigningKey {
  readonly privateKey: KeyObject;
  readonly publicKeyPem: string;
  /** "SHA256:" and the hex SHA-256 of the public key's DER (SubjectPublicKeyInfo): publish it. */
  readonly fingerprint: string;
}

const privateName = "signing-key.pem";
const publicName = "signing-key.pub.pem";

export function publicKeyFingerprint(publicKeyPem: string): string {
  const der = createPublicKey(publicKeyPem).export({ type: "spki", format: "der" });
  return `SHA256:${createHash("sha256").update(der).digest("hex")}`;
}

/**
 * Loads the signing key from `keysDir`, making one on first use. Two processes starting at once both end up with
 * the same key: the private file is linked into place, which fails if another got there first.
 */
export async function ensureSigningKey(keysDir: string): Promise<SigningKey & { created: boolean }> {
  const existing = await loadSigningKey(keysDir);
  if (existing) return { ...existing, created: false };
  await mkdir(keysDir, { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const privatePem = privateKey.export({ type: "pkcs8", format: "pem" }) as string;
  const publicPem = publicKey.export({ type: "spki", format: "pem" }) as string;
  const temp = path.join(keysDir, `.${privateName}.${process.pid}.${Date.now()}`);
  await writeFile(temp, privatePem, { mode: 0o600, flush: true });
  let created = true;
  try {
    await link(temp, path.join(keysDir, privateName));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    created = false;
  } finally {
    await rm(temp, { force: true });
  }
  if (created) await writeFile(path.join(keysDir, publicName), publicPem, { mode: 0o644, flush: true });
  await fsyncDirectory(keysDir);
  const key = await loadSigningKey(keysDir);
  if (!key) throw new Error(`could not create the signing key in ${keysDir}`);
  return { ...key, created };
}

export async function loadSigningKey(keysDir: string): Promise<SigningKey | null> {
  let privatePem: string;
  try {
    privatePem = await readFile(path.join(keysDir, privateName), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  const privateKey = createPrivateKey(privatePem);
  const publicKeyPem = createPublicKey(privateKey).export({ type: "spki", format: "pem" }) as string;
  return { privateKey, publicKeyPem, fingerprint: publicKeyFingerprint(publicKeyPem) };
}

/** Ed25519 over the raw 32-byte digest: what `openssl pkeyutl -sign -rawin` makes and `-verify -rawin` checks. */
export function signDigest(key: SigningKey, digest: Buffer): Buffer {
  return sign(null, digest, key.privateKey);
}

export function verifyDigest(publicKeyPem: string, digest: Buffer, signature: Buffer): boolean {
  try {
    return verify(null, digest, createPublicKey(publicKeyPem), signature);
  } catch {
    return false;
  }
}
