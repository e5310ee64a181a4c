import path from "node:path";
import type { CaptureFile } from "../storage/records.ts";
import { jsonBytes, writeHashedFile } from "./atomic-files.ts";
import { maxClockSkewMs, tokenName, tsaCaName } from "./package-layout.ts";
import type { TsaConfig } from "./package-export.ts";
import { requestTimestamp, verifyTimestamp } from "./timestamp.ts";

/** What one TSA said of a capture: kept beside its token as `timestamps/tsa-N.json`. */
export type CaptureTimestamp =
  | {
      readonly tsaUrl: string;
      readonly genTime: string;
      readonly serialNumber: string;
      readonly tsaSubject: string;
      /**
       * The nonce we sent, in hex (absent from captures made before it was kept): the token must carry it back, so a
       * verifier can tell this token answered this capture's request and was not replayed from another.
       */
      readonly nonce?: string;
      /** The capture's finish by the local clock minus the TSA's time, in seconds. */
      readonly skewSeconds: number;
      /** More than 10 minutes apart (RELIABILITY E5): one of the two clocks is wrong. */
      readonly clockSkewFlagged: boolean;
    }
  | { readonly tsaUrl: string; readonly error: { readonly code: string; readonly message: string } };

export const timestampReportName = (n: number) => `timestamps/tsa-${n}.json`;

/**
 * RFC 3161 tokens over a capture's record digest, one from each configured TSA (RELIABILITY E5), written into the
 * capture's folder before it is sealed: the token (`timestamps/tsa-N.tsr`, with a nonce and certReq), the CA it
 * was checked against (`tsa-N-ca.pem`) and what it said (`tsa-N.json`, skew flagged beyond 10 minutes). A TSA that
 * cannot be reached or answers with a token that does not check is noted in its report, and the capture is kept:
 * evidence is not thrown away because a time-stamping service is down.
 */
export async function timestampCapture(
  tsas: readonly TsaConfig[],
  directory: string,
  recordDigest: Buffer,
  finishedAt: Date,
): Promise<{ files: Array<CaptureFile & { mediaType: string }>; timestamps: CaptureTimestamp[] }> {
  const files: Array<CaptureFile & { mediaType: string }> = [];
  const timestamps: CaptureTimestamp[] = [];
  const add = async (role: string, name: string, mediaType: string, bytes: Buffer) => {
    const written = await writeHashedFile(path.join(directory, name), [bytes]);
    files.push({ role, path: name, mediaType, ...written });
  };
  for (const [i, tsa] of tsas.entries()) {
    const n = i + 1;
    let report: CaptureTimestamp;
    try {
      const { token, nonce } = await requestTimestamp(tsa.url, recordDigest, { timeoutMs: 15_000 });
      const verified = verifyTimestamp(token, { digest: recordDigest, trustedCaPem: tsa.caPem, nonce });
      const skewMs = finishedAt.getTime() - verified.genTime.getTime();
      await add("timestamp", tokenName(n), "application/timestamp-reply", token);
      await add("timestamp_ca", tsaCaName(n), "application/x-pem-file", Buffer.from(tsa.caPem, "utf8"));
      report = {
        tsaUrl: tsa.url,
        genTime: verified.genTime.toISOString(),
        serialNumber: verified.serialNumber,
        tsaSubject: verified.tsaSubject,
        nonce,
        // + 0 turns -0 into 0: the report is read back from JSON, which has no -0.
        skewSeconds: Math.round(skewMs / 1000) + 0,
        clockSkewFlagged: Math.abs(skewMs) > maxClockSkewMs,
      };
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      report = {
        tsaUrl: tsa.url,
        error: {
          code: typeof code === "string" ? code : "timestamp_failed",
          message: error instanceof Error ? error.message : String(error),
        },
      };
    }
    timestamps.push(report);
    await add("timestamp_report", timestampReportName(n), "application/json", jsonBytes(report));
  }
  return { files, timestamps };
}
