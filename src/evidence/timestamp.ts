import { createHash, randomBytes, verify as verifySignature, X509Certificate } from "node:crypto";
import { WildtrawlError } from "../core/errors.ts";
import {
  children,
  decodeGeneralizedTime,
  decodeInteger,
  decodeOid,
  DerError,
  encode,
  encodeOid,
  encodeUnsignedInteger,
  expectTag,
  parseDer,
  sequence,
  type DerElement,
} from "./der.ts";

/**
 * RFC 3161 trusted time: a request for a token over a SHA-256 digest, and a verifier for the token that needs no
 * network and no openssl (the same checks `openssl ts -verify` makes: the token is over our digest, the signature
 * is the TSA certificate's, that certificate chains to a trusted CA and is marked for time-stamping).
 */

const oids = {
  sha256: "2.16.840.1.101.3.4.2.1",
  signedData: "1.2.840.113549.1.7.2",
  tstInfo: "1.2.840.113549.1.9.16.1.4",
  messageDigest: "1.2.840.113549.1.9.4",
  timeStamping: "1.3.6.1.5.5.7.3.8",
} as const;

const hashNames: Readonly<Record<string, string>> = {
  "2.16.840.1.101.3.4.2.1": "sha256",
  "2.16.840.1.101.3.4.2.2": "sha384",
  "2.16.840.1.101.3.4.2.3": "sha512",
  "1.3.14.3.2.26": "sha1",
};

/** A token that does not prove what it should. Codes: `tsa_refused`, `tsa_unreachable`, `timestamp_invalid`. */
export class TimestampError extends WildtrawlError {}

export interface TimestampRequest {
  readonly der: Buffer;
  /** Hex; the token must echo it, so a replayed token is refused. */
  readonly nonce: string;
}

export function timestampRequest(digest: Buffer, nonce: Buffer = randomBytes(8)): TimestampRequest {
  const der = sequence(
    encode(0x02, Buffer.from([1])),
    sequence(sequence(encodeOid(oids.sha256), encode(0x05, Buffer.alloc(0))), encode(0x04, digest)),
    encodeUnsignedInteger(nonce),
    // certReq: the TSA puts its certificate in the token, so it can be checked offline.
    encode(0x01, Buffer.from([0xff])),
  );
  return { der, nonce: stripLeadingZeros(nonce).toString("hex") };
}

/** Asks a TSA for a token over `digest`. The TSA is configured by an administrator, not taken from any advert. */
export async function requestTimestamp(
  tsaUrl: string,
  digest: Buffer,
  options: { readonly timeoutMs?: number; readonly nonce?: Buffer } = {},
): Promise<{ token: Buffer; nonce: string }> {
  const request = timestampRequest(digest, options.nonce);
  let response: Response;
  try {
    response = await fetch(tsaUrl, {
      method: "POST",
      headers: { "content-type": "application/timestamp-query" },
      body: new Uint8Array(request.der),
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
  } catch (error) {
    throw new TimestampError("tsa_unreachable", `time-stamping authority ${tsaUrl}: ${String(error)}`, {
      cause: error,
    });
  }
  const token = Buffer.from(await response.arrayBuffer());
  if (!response.ok) throw new TimestampError("tsa_refused", `${tsaUrl} answered HTTP ${response.status}`);
  return { token, nonce: request.nonce };
}

export interface VerifiedTimestamp {
  readonly genTime: Date;
  readonly serialNumber: string;
  readonly policy: string;
  readonly nonce: string | null;
  readonly tsaSubject: string;
  readonly tsaIssuer: string;
}

/**
 * Checks a TimeStampResp (what a TSA returns, the `.tsr` file) against the digest it should cover and the CA
 * certificates trusted for it. Throws `TimestampError` "timestamp_invalid" naming the first problem.
 */
export function verifyTimestamp(
  tsr: Buffer,
  expected: { readonly digest: Buffer; readonly trustedCaPem: string; readonly nonce?: string },
): VerifiedTimestamp {
  try {
    return verifyTimestampUnchecked(tsr, expected);
  } catch (error) {
    if (error instanceof TimestampError) throw error;
    const reason = error instanceof DerError ? `malformed token: ${error.message}` : String(error);
    throw new TimestampError("timestamp_invalid", reason, { cause: error });
  }
}

function invalid(message: string): never {
  throw new TimestampError("timestamp_invalid", message);
}

function verifyTimestampUnchecked(
  tsr: Buffer,
  expected: { readonly digest: Buffer; readonly trustedCaPem: string; readonly nonce?: string },
): VerifiedTimestamp {
  const [statusInfo, tokenInfo] = children(expectTag(parseDer(tsr), 0x30, "TimeStampResp"));
  const status = decodeInteger(children(expectTag(statusInfo, 0x30, "PKIStatusInfo"))[0]!);
  if (status !== 0n && status !== 1n) invalid(`the TSA refused the request (status ${status})`);
  const [contentType, explicitContent] = children(expectTag(tokenInfo, 0x30, "ContentInfo"));
  if (decodeOid(contentType!) !== oids.signedData) invalid("the token is not CMS SignedData");
  const signedData = children(expectTag(explicitContent, 0xa0, "content"))[0]!;
  const parts = children(expectTag(signedData, 0x30, "SignedData"));
  const encapsulated = children(expectTag(parts[2], 0x30, "EncapsulatedContentInfo"));
  if (decodeOid(encapsulated[0]!) !== oids.tstInfo) invalid("the signed content is not a TSTInfo");
  const tstInfoBytes = expectTag(
    children(expectTag(encapsulated[1], 0xa0, "eContent"))[0],
    0x04,
    "eContent",
  ).contents;
  let index = 3;
  const certificates: X509Certificate[] = [];
  if (parts[index]?.tag === 0xa0) {
    for (const cert of children(parts[index]!)) certificates.push(new X509Certificate(cert.bytes));
    index++;
  }
  if (parts[index]?.tag === 0xa1) index++;
  const signerInfos = children(expectTag(parts[index], 0x31, "SignerInfos"));
  if (signerInfos.length !== 1) invalid(`expected one signer, found ${signerInfos.length}`);
  const signer = children(expectTag(signerInfos[0], 0x30, "SignerInfo"));
  const sid = signer[1]!;
  const digestAlgorithm = decodeOid(children(expectTag(signer[2], 0x30, "digestAlgorithm"))[0]!);
  const hashName = hashNames[digestAlgorithm] ?? invalid(`unsupported digest algorithm ${digestAlgorithm}`);
  const signedAttributes = expectTag(signer[3], 0xa0, "signedAttrs");
  const signature = expectTag(signer[5], 0x04, "signature").contents;

  // The signed attributes must say the TSTInfo is what was signed.
  let messageDigest: Buffer | undefined;
  for (const attribute of children(signedAttributes)) {
    const [type, values] = children(attribute);
    if (decodeOid(type!) === oids.messageDigest) {
      messageDigest = expectTag(children(values!)[0], 0x04, "messageDigest").contents;
    }
  }
  if (!messageDigest) invalid("no messageDigest attribute");
  if (!createHash(hashName).update(tstInfoBytes).digest().equals(messageDigest)) {
    invalid("the TSTInfo does not match the signed messageDigest");
  }

  const signerCert = findSigner(sid, certificates);
  // The signature covers the attributes re-tagged as a SET (RFC 5652 §5.4).
  const signedBytes = Buffer.concat([Buffer.from([0x31]), signedAttributes.bytes.subarray(1)]);
  if (!verifySignature(hashName, signedBytes, signerCert.publicKey, signature)) {
    invalid("the TSA's signature does not verify");
  }
  checkTsaCertificate(signerCert, expected.trustedCaPem);

  const tst = children(expectTag(parseDer(Buffer.from(tstInfoBytes)), 0x30, "TSTInfo"));
  const policy = decodeOid(tst[1]!);
  const [imprintAlgorithm, imprint] = children(expectTag(tst[2], 0x30, "MessageImprint"));
  const imprintHash = decodeOid(children(imprintAlgorithm!)[0]!);
  if (imprintHash !== oids.sha256) invalid(`the token is over a ${imprintHash} digest, not SHA-256`);
  if (!expectTag(imprint, 0x04, "hashedMessage").contents.equals(expected.digest)) {
    invalid("the token is over a different digest");
  }
  const serialNumber = decodeInteger(tst[3]!).toString(16);
  const genTime = decodeGeneralizedTime(tst[4]!);
  let nonce: string | null = null;
  for (const field of tst.slice(5)) {
    if (field.tag === 0x02) nonce = stripLeadingZeros(Buffer.from(field.contents)).toString("hex");
  }
  if (expected.nonce !== undefined && nonce !== expected.nonce) invalid("the token's nonce is not ours");
  if (genTime < new Date(signerCert.validFrom) || genTime > new Date(signerCert.validTo)) {
    invalid("the TSA certificate was not valid at the token's time");
  }
  return {
    genTime,
    serialNumber,
    policy,
    nonce,
    tsaSubject: signerCert.subject,
    tsaIssuer: signerCert.issuer,
  };
}

function findSigner(sid: DerElement, certificates: readonly X509Certificate[]): X509Certificate {
  if (sid.tag !== 0x30)
    invalid("signer identified by key id: not supported, ask the TSA for issuer and serial");
  const serial = decodeInteger(children(sid)[1]!);
  const cert = certificates.find((candidate) => BigInt(`0x${candidate.serialNumber}`) === serial);
  return cert ?? invalid("the token does not include the TSA's certificate (certReq)");
}

function checkTsaCertificate(cert: X509Certificate, trustedCaPem: string) {
  if (cert.subject === cert.issuer && cert.verify(cert.publicKey)) {
    invalid("the TSA certificate is self-signed: a self-signed TSA proves nothing");
  }
  if (!(cert.keyUsage ?? []).includes(oids.timeStamping))
    invalid("the TSA certificate is not for time-stamping");
  const authorities = splitPem(trustedCaPem).map((pem) => new X509Certificate(pem));
  if (authorities.length === 0) invalid("no trusted CA certificate for the TSA");
  const issuer = authorities.find((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey));
  if (!issuer) invalid("the TSA certificate does not chain to the trusted CA");
}

// indexOf rather than a lazy regex: a file of BEGIN lines with no END would make the regex rescan it from each one.
export function splitPem(text: string): string[] {
  const begin = "-----BEGIN CERTIFICATE-----";
  const end = "-----END CERTIFICATE-----";
  const certificates: string[] = [];
  let searchFrom = 0;
  for (;;) {
    const start = text.indexOf(begin, searchFrom);
    if (start === -1) break;
    // At least one character of body, as before.
    const stop = text.indexOf(end, start + begin.length + 1);
    if (stop === -1) break;
    searchFrom = stop + end.length;
    certificates.push(text.slice(start, searchFrom));
  }
  return certificates;
}

function stripLeadingZeros(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  return bytes.subarray(start);
}
