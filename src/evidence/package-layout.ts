/** The fixed names inside an evidence package, shared by the exporter and the verifier. */
export const packageFormat = "wildtrawl-evidence-package/1";
export const manifestName = "manifest.json";
export const manifestSignatureName = "manifest.json.sig";
export const sumsName = "SHA256SUMS";
export const sumsSignatureName = "SHA256SUMS.sig";
export const publicKeyName = "keys/signing-key.pub.pem";
export const custodyName = "custody.json";
export const verifyTextName = "VERIFY.txt";
export const tokenName = (n: number) => `timestamps/tsa-${n}.tsr`;
export const tsaCaName = (n: number) => `timestamps/tsa-${n}-ca.pem`;

/** Clock difference between our manifest time and a TSA's genTime past which the package is flagged (E5). */
export const maxClockSkewMs = 10 * 60_000;

export interface ManifestFile {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

/** A case as a package names it: the agency's reference and the TLP 2.0 marking every reader must honour. */
export interface PackageCase {
  readonly reference: string;
  readonly title: string;
  readonly marking: string;
}

export interface PackageManifest {
  readonly format: typeof packageFormat;
  readonly createdAt: string;
  readonly generator: { readonly name: string; readonly version: string; readonly gitSha: string | null };
  readonly createdBy: string;
  readonly purpose: string | null;
  /** The case the package was exported for (absent in packages made before cases existed). */
  readonly case?: PackageCase | null;
  readonly signingKey: { readonly algorithm: "Ed25519"; readonly path: string; readonly fingerprint: string };
  readonly captures: ReadonlyArray<{
    readonly id: number;
    readonly listingId: number;
    readonly sha256: string;
    readonly status: string;
    readonly folder: string;
  }>;
  readonly timestamps: ReadonlyArray<{
    readonly token: string;
    readonly ca: string;
    readonly tsaUrl: string;
    readonly nonce: string;
  }>;
  readonly files: readonly ManifestFile[];
}

/** `sha256sum -c` input: two spaces between hash and name (text mode), names as they are in the package. */
export function sumsText(files: ReadonlyArray<{ path: string; sha256: string }>): string {
  return [...files]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((file) => `${file.sha256}  ${file.path}\n`)
    .join("");
}
