/**
 * One spelling per page, so that the frontier fetches it once. Pure.
 *
 * The WHATWG URL parser already lower-cases the scheme and host, converts IDNs to punycode, drops default ports,
 * resolves dot segments and canonicalises IPv4 hosts; on top of that this drops the fragment and tracking
 * parameters, sorts the query and puts percent-encoding in one form.
 */

/** Parameters that say where a click came from, never what the page is. Matched case-insensitively. */
export const defaultTrackingParameters: readonly (string | RegExp)[] = [
  /^utm_/i,
  "gclid",
  "gclsrc",
  "dclid",
  "gbraid",
  "wbraid",
  "fbclid",
  "msclkid",
  "yclid",
  "twclid",
  "ttclid",
  "igshid",
  "mc_cid",
  "mc_eid",
  "_ga",
  "_gl",
  "_hsenc",
  "_hsmi",
  "mkt_tok",
  "oly_anon_id",
  "oly_enc_id",
  "vero_id",
  "srsltid",
];

export interface NormalizeOptions {
  /** Replaces the default list; a source may add its own session or referral parameters. */
  readonly trackingParameters?: readonly (string | RegExp)[];
}

const unreserved = /[A-Za-z0-9\-._~]/;

export function normalizeUrl(input: string | URL, options: NormalizeOptions = {}): string {
  const url = new URL(input.toString());
  // Drop the #fragment: it never changes what the server sends.
  url.hash = "";
  if (url.hostname.endsWith(".") && url.hostname.length > 1) url.hostname = url.hostname.slice(0, -1);
  const tracking = options.trackingParameters ?? defaultTrackingParameters;

  const path = normalizePercentEncoding(url.pathname);
  const query = url.search
    .slice(1)
    .split("&")
    .filter((pair) => pair !== "")
    .map((pair) => {
      const equals = pair.indexOf("=");
      const name = normalizePercentEncoding(equals < 0 ? pair : pair.slice(0, equals));
      const value = equals < 0 ? undefined : normalizePercentEncoding(pair.slice(equals + 1));
      return { name, value };
    })
    .filter(({ name }) => !isTracking(decodeForMatching(name), tracking))
    // Stable sort by name then value: `?b=2&a=1` and `?a=1&b=2` are one page; repeated names keep a fixed order.
    .sort((a, b) => compare(a.name, b.name) || compare(a.value ?? "", b.value ?? ""))
    .map(({ name, value }) => (value === undefined ? name : `${name}=${value}`))
    .join("&");

  const authority =
    url.username || url.password ? `${url.username}${url.password ? `:${url.password}` : ""}@` : "";
  return `${url.protocol}//${authority}${url.host}${path}${query ? `?${query}` : ""}`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isTracking(name: string, tracking: readonly (string | RegExp)[]): boolean {
  const lowered = name.toLowerCase();
  return tracking.some((rule) =>
    typeof rule === "string" ? rule.toLowerCase() === lowered : rule.test(name),
  );
}

function decodeForMatching(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, " "));
  } catch {
    return name;
  }
}

/**
 * Decodes escapes of unreserved characters (`%7E` → `~`), upper-cases the hex of every other escape (`%2f` →
 * `%2F`), so equivalent spellings compare equal. Reserved characters stay encoded or unencoded exactly as given:
 * `a%2Fb` and `a/b` are different paths to a server. A stray `%` is left alone: rewriting it would change the
 * request that is sent.
 */
export function normalizePercentEncoding(text: string): string {
  return text.replace(/%([0-9A-Fa-f]{2})/g, (_match, hex: string) => {
    const char = String.fromCharCode(parseInt(hex, 16));
    return unreserved.test(char) ? char : `%${hex.toUpperCase()}`;
  });
}
