import { lookup } from "node:dns/promises";
import { checkAddress, type AddressPolicy } from "./address-policy.ts";
import { FetchError, FetchRefusedError, HostNotFoundError, NetworkError } from "./fetch-errors.ts";

/** Resolves a host name to every address it has (A and AAAA). Injected so tests can play DNS. */
export type Resolver = (hostname: string) => Promise<readonly string[]>;

export const systemResolver: Resolver = async (hostname) =>
  (await lookup(hostname, { all: true, order: "verbatim" })).map((entry) => entry.address);

export interface DestinationPolicy extends AddressPolicy {
  /** Ports a URL may name; ignored when the whole private network is allowed (tests and the demo use any port). */
  readonly allowedPorts: ReadonlySet<number>;
}

/**
 * Checks a URL before anything is sent: scheme, port, and every address its host resolves to (RELIABILITY H1).
 * Returns the vetted addresses, which are the only ones the request may connect to.
 */
export async function vetDestination(
  url: URL,
  policy: DestinationPolicy,
  resolve: Resolver,
  timeoutMs: number,
): Promise<readonly string[]> {
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new FetchRefusedError("scheme_not_allowed", url.href, `scheme ${url.protocol} is not fetched`);
  }
  if (url.username || url.password) {
    throw new FetchRefusedError("credentials_not_allowed", url.href, "URLs with credentials are not fetched");
  }
  const port = url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
  if (!policy.allowPrivateNetwork && !policy.allowedPorts.has(port)) {
    throw new FetchRefusedError("port_not_allowed", url.href, `port ${port} is not allowed`);
  }
  // The URL parser has already turned 127.1, 0x7f000001 and 2130706433 into 127.0.0.1: literals need no DNS.
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  const literal = checkAddress(host, policy);
  const addresses =
    literal.range === "not-an-address" ? await resolveWithin(host, url, resolve, timeoutMs) : [host];
  if (addresses.length === 0)
    throw new HostNotFoundError("host_not_found", url.href, `${host} has no addresses`);
  for (const address of addresses) {
    const verdict = checkAddress(address, policy);
    if (!verdict.allowed) {
      throw new FetchRefusedError(
        "ssrf_blocked",
        url.href,
        `${host} resolves to ${address} (${verdict.range}), which may not be fetched`,
      );
    }
  }
  return addresses;
}

async function resolveWithin(host: string, url: URL, resolve: Resolver, timeoutMs: number) {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      resolve(host),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new NetworkError("dns_failed", url.href, `${host} did not resolve within ${timeoutMs} ms`),
            ),
          timeoutMs,
        );
      }),
    ]);
  } catch (error) {
    if (error instanceof FetchError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOTFOUND" || code === "ENODATA") {
      throw new HostNotFoundError("host_not_found", url.href, `${host} does not exist`, { cause: error });
    }
    throw new NetworkError("dns_failed", url.href, `${host} did not resolve: ${String(error)}`, {
      cause: error,
    });
  } finally {
    clearTimeout(timer);
  }
}
