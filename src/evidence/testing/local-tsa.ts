import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface LocalTsa {
  readonly url: string;
  /** The CA that issued the TSA certificate: what a verifier trusts. */
  readonly caPem: string;
  readonly directory: string;
  close(): Promise<void>;
}

const opensslConfig = (dir: string) => `
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ tsa_ext ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = critical, timeStamping
[ ca_ext ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
dir = ${dir}
serial = ${dir}/serial
crypto_device = builtin
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1
digests = sha256
accuracy = secs:1
ordering = no
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
`;

/**
 * A time-stamping authority on 127.0.0.1 made of `openssl ts -reply` behind a tiny HTTP server, with its own test
 * CA. `selfSigned` makes a TSA whose certificate signs itself, which verifiers must refuse.
 */
export async function startLocalTsa(options: { readonly selfSigned?: boolean } = {}): Promise<LocalTsa> {
  const dir = await mkdtemp(path.join(tmpdir(), "wildtrawl-tsa-"));
  const config = path.join(dir, "openssl.cnf");
  await writeFile(config, opensslConfig(dir));
  await writeFile(path.join(dir, "serial"), "01\n");
  const openssl = (...args: string[]) => run("openssl", args, { cwd: dir });
  await openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "tsa.key");
  if (options.selfSigned) {
    await openssl(
      "req",
      "-config",
      config,
      "-new",
      "-x509",
      "-key",
      "tsa.key",
      "-subj",
      "/CN=Self-signed TSA",
      "-days",
      "2",
      "-extensions",
      "tsa_ext",
      "-out",
      "tsa.crt",
    );
    await writeFile(path.join(dir, "ca.crt"), await readFile(path.join(dir, "tsa.crt")));
  } else {
    await openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "ca.key");
    await openssl(
      "req",
      "-config",
      config,
      "-new",
      "-x509",
      "-key",
      "ca.key",
      "-subj",
      "/CN=wildtrawl test TSA CA",
      "-days",
      "2",
      "-extensions",
      "ca_ext",
      "-out",
      "ca.crt",
    );
    await openssl(
      "req",
      "-config",
      config,
      "-new",
      "-key",
      "tsa.key",
      "-subj",
      "/CN=wildtrawl test TSA",
      "-out",
      "tsa.csr",
    );
    await openssl(
      "x509",
      "-req",
      "-in",
      "tsa.csr",
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-set_serial",
      "2",
      "-days",
      "2",
      "-extfile",
      config,
      "-extensions",
      "tsa_ext",
      "-out",
      "tsa.crt",
    );
  }
  let count = 0;
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const id = ++count;
      const query = path.join(dir, `q${id}.tsq`);
      const reply = path.join(dir, `r${id}.tsr`);
      writeFile(query, Buffer.concat(chunks))
        .then(() =>
          openssl(
            "ts",
            "-reply",
            "-config",
            config,
            "-queryfile",
            query,
            "-inkey",
            "tsa.key",
            "-signer",
            "tsa.crt",
            "-out",
            reply,
          ),
        )
        .then(() => readFile(reply))
        .then((body) => {
          response.writeHead(200, { "content-type": "application/timestamp-reply" });
          response.end(body);
        })
        .catch((error: unknown) => {
          response.writeHead(500);
          response.end(String(error));
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/tsa`,
    caPem: await readFile(path.join(dir, "ca.crt"), "utf8"),
    directory: dir,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
