import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** A test CA and a server certificate it issued for 127.0.0.1 and localhost, for HTTPS tests. */
export interface TestCertificates {
  readonly caPem: string;
  readonly caCommonName: string;
  readonly leafPem: string;
  readonly leafKeyPem: string;
  readonly leafCommonName: string;
  /** What `openssl x509 -fingerprint -sha256` says of the leaf: the value the fetcher's own must equal. */
  readonly leafSha256Fingerprint: string;
}

/** Made by openssl in a folder removed afterwards; valid for two days. Names must not contain spaces. */
export async function makeTestCertificates(leafCommonName = "fixture.test"): Promise<TestCertificates> {
  const caCommonName = "wildtrawl-test-CA";
  const dir = await mkdtemp(path.join(tmpdir(), "wildtrawl-certs-"));
  const openssl = (command: string) => run("openssl", command.split(/\s+/), { cwd: dir });
  const newKey = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2";
  try {
    await openssl(
      `req -x509 ${newKey} -keyout ca.key -out ca.crt -subj /CN=${caCommonName}
       -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign`,
    );
    await openssl(
      `req -x509 ${newKey} -keyout leaf.key -out leaf.crt -subj /CN=${leafCommonName} -CA ca.crt -CAkey ca.key
       -addext subjectAltName=IP:127.0.0.1,DNS:localhost -addext basicConstraints=CA:FALSE
       -addext extendedKeyUsage=serverAuth`,
    );
    const { stdout } = await openssl("x509 -in leaf.crt -noout -fingerprint -sha256");
    const read = (name: string) => readFile(path.join(dir, name), "utf8");
    return {
      caPem: await read("ca.crt"),
      caCommonName,
      leafPem: await read("leaf.crt"),
      leafKeyPem: await read("leaf.key"),
      leafCommonName,
      leafSha256Fingerprint: stdout.trim().replace(/^.*=/, ""),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
