/**
 * Which IP addresses the fetcher may connect to. Pure: it parses and classifies address text and does no I/O.
 *
 * IPv4 is a block list (the IANA special-purpose registry: almost everything else is public). IPv6 is an allow list:
 * only global unicast (2000::/3) and NAT64 of a public IPv4 address pass, minus the special blocks inside 2000::/3,
 * so a new special range cannot slip through before this table learns about it.
 */

export type IpAddress =
  { readonly family: 4; readonly value: number } | { readonly family: 6; readonly groups: readonly number[] };

export interface Cidr {
  readonly address: IpAddress;
  readonly prefixLength: number;
}

export type AddressVerdict =
  | { readonly allowed: true; readonly range: "public" | "allowed-by-policy" }
  | { readonly allowed: false; readonly range: string };

export interface AddressPolicy {
  /** Lets every address through: tests, the demo and intranet sources declare it explicitly. */
  readonly allowPrivateNetwork?: boolean;
  /** Special-purpose addresses that are nevertheless allowed, as CIDRs ("127.0.0.1/32", "fd00:1::/64"). */
  readonly allowedRanges?: readonly Cidr[];
}

interface Ipv4Range {
  readonly base: number;
  readonly prefixLength: number;
  readonly name: string;
}

interface Ipv6Range {
  readonly groups: readonly number[];
  readonly prefixLength: number;
  readonly name: string;
  /** The low 32 bits embed an IPv4 address that decides instead (NAT64, 6to4 keeps it in bits 16–48). */
  readonly embedsIpv4?: "low32" | "6to4";
}

// Most specific first: the first match names the range.
const ipv4SpecialRanges: readonly Ipv4Range[] = [
  ["255.255.255.255", 32, "broadcast"],
  ["0.0.0.0", 8, "this-network"],
  ["10.0.0.0", 8, "private"],
  ["100.64.0.0", 10, "cgnat"],
  ["127.0.0.0", 8, "loopback"],
  ["169.254.0.0", 16, "link-local"],
  ["172.16.0.0", 12, "private"],
  ["192.0.0.0", 24, "ietf-protocol"],
  ["192.0.2.0", 24, "documentation"],
  ["192.31.196.0", 24, "as112"],
  ["192.52.193.0", 24, "amt"],
  ["192.88.99.0", 24, "6to4-relay"],
  ["192.168.0.0", 16, "private"],
  ["192.175.48.0", 24, "as112"],
  ["198.18.0.0", 15, "benchmarking"],
  ["198.51.100.0", 24, "documentation"],
  ["203.0.113.0", 24, "documentation"],
  ["224.0.0.0", 4, "multicast"],
  ["240.0.0.0", 4, "reserved"],
].map(([text, prefixLength, name]) => ({
  base: mustParseIpv4(text as string),
  prefixLength: prefixLength as number,
  name: name as string,
}));

const ipv6SpecialRanges: readonly Ipv6Range[] = (
  [
    ["::", 128, "unspecified"],
    ["::1", 128, "loopback"],
    ["::ffff:0:0", 96, "ipv4-mapped"],
    ["::ffff:0:0:0", 96, "ipv4-translated"],
    ["::", 96, "ipv4-compatible"],
    ["64:ff9b:1::", 48, "nat64-local"],
    ["64:ff9b::", 96, "nat64", "low32"],
    ["100::", 64, "discard"],
    ["2001::", 32, "teredo"],
    ["2001:db8::", 32, "documentation"],
    ["2001::", 23, "ietf-protocol"],
    ["2002::", 16, "6to4", "6to4"],
    ["3fff::", 20, "documentation"],
    ["5f00::", 16, "srv6"],
    ["fc00::", 7, "unique-local"],
    ["fe80::", 10, "link-local"],
    ["fec0::", 10, "site-local"],
    ["ff00::", 8, "multicast"],
  ] as const
).map(([text, prefixLength, name, embedsIpv4]) => ({
  groups: mustParseIpv6(text),
  prefixLength,
  name,
  ...(embedsIpv4 ? { embedsIpv4 } : {}),
}));

const globalUnicast = { groups: mustParseIpv6("2000::"), prefixLength: 3 };

/** Parses IPv4 the way WHATWG URL hosts do (`127.1`, `0x7f000001`, `017700000001`, `2130706433`), else IPv6. */
export function parseIpAddress(text: string): IpAddress | undefined {
  let host = text.trim();
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  if (host.includes(":")) {
    const groups = parseIpv6(host);
    return groups ? { family: 6, groups } : undefined;
  }
  const value = parseIpv4(host);
  return value === undefined ? undefined : { family: 4, value };
}

export function parseIpv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length > 1 && parts.at(-1) === "") parts.pop();
  if (parts.length === 0 || parts.length > 4) return undefined;
  const numbers: number[] = [];
  for (const part of parts) {
    const value = parseIpv4Number(part);
    if (value === undefined) return undefined;
    numbers.push(value);
  }
  const last = numbers.pop() as number;
  if (numbers.some((n) => n > 255)) return undefined;
  if (last >= 256 ** (5 - parts.length)) return undefined;
  let value = last;
  numbers.forEach((n, index) => {
    value += n * 256 ** (3 - index);
  });
  return value;
}

function parseIpv4Number(part: string): number | undefined {
  if (part === "") return undefined;
  let digits = part;
  let radix = 10;
  if (/^0[xX]/.test(part)) {
    digits = part.slice(2);
    radix = 16;
    if (digits === "") return 0;
    if (!/^[0-9a-fA-F]+$/.test(digits)) return undefined;
  } else if (part.length > 1 && part.startsWith("0")) {
    digits = part.slice(1);
    radix = 8;
    if (!/^[0-7]+$/.test(digits)) return undefined;
  } else if (!/^[0-9]+$/.test(digits)) {
    return undefined;
  }
  const value = parseInt(digits, radix);
  return Number.isSafeInteger(value) && value <= 0xffffffff ? value : undefined;
}

export function parseIpv6(text: string): number[] | undefined {
  let host = text;
  const zone = host.indexOf("%");
  if (zone >= 0) host = host.slice(0, zone);
  if (!/^[0-9a-fA-F:.]+$/.test(host)) return undefined;
  const halves = host.split("::");
  if (halves.length > 2) return undefined;
  const head = parseIpv6Groups(halves[0] ?? "", halves.length === 1);
  const tail = halves.length === 2 ? parseIpv6Groups(halves[1] ?? "", true) : [];
  if (!head || !tail) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  if (head.length + tail.length > 7) return undefined;
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

function parseIpv6Groups(text: string, mayEndWithIpv4: boolean): number[] | undefined {
  if (text === "") return [];
  const pieces = text.split(":");
  const groups: number[] = [];
  for (const [index, piece] of pieces.entries()) {
    if (piece.includes(".")) {
      // Dotted IPv4 is only allowed as the last 32 bits, and only in strict dotted-decimal form.
      if (!mayEndWithIpv4 || index !== pieces.length - 1) return undefined;
      if (!/^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(piece))
        return undefined;
      const value = mustParseIpv4(piece);
      groups.push(value >>> 16, value & 0xffff);
    } else {
      if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) return undefined;
      groups.push(parseInt(piece, 16));
    }
  }
  return groups;
}

export function parseCidr(text: string): Cidr {
  const [addressText = "", prefixText] = text.split("/");
  const address = parseIpAddress(addressText);
  if (!address) throw new TypeError(`not an IP range: "${text}"`);
  const maxLength = address.family === 4 ? 32 : 128;
  const prefixLength = prefixText === undefined ? maxLength : Number(prefixText);
  if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > maxLength) {
    throw new TypeError(`not an IP range: "${text}"`);
  }
  return { address, prefixLength };
}

export function formatIpAddress(address: IpAddress): string {
  if (address.family === 4) {
    const v = address.value;
    return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join(".");
  }
  return address.groups.map((g) => g.toString(16)).join(":");
}

/** Names the special-purpose range an address falls in, or "public". */
export function classifyAddress(address: IpAddress): string {
  if (address.family === 4) return classifyIpv4(address.value);
  const { groups } = address;
  for (const range of ipv6SpecialRanges) {
    if (!ipv6InPrefix(groups, range.groups, range.prefixLength)) continue;
    if (range.embedsIpv4 === "low32") {
      const embedded = classifyIpv4(((groups[6] ?? 0) * 65536 + (groups[7] ?? 0)) >>> 0);
      return embedded === "public" ? "public" : `${range.name}:${embedded}`;
    }
    if (range.embedsIpv4 === "6to4") {
      const embedded = classifyIpv4(((groups[1] ?? 0) * 65536 + (groups[2] ?? 0)) >>> 0);
      return embedded === "public" ? "public" : `${range.name}:${embedded}`;
    }
    return range.name;
  }
  return ipv6InPrefix(groups, globalUnicast.groups, globalUnicast.prefixLength) ? "public" : "reserved";
}

function classifyIpv4(value: number): string {
  for (const range of ipv4SpecialRanges) {
    if (ipv4InPrefix(value, range.base, range.prefixLength)) return range.name;
  }
  return "public";
}

export function isInCidr(address: IpAddress, cidr: Cidr): boolean {
  if (address.family === 4 && cidr.address.family === 4) {
    return ipv4InPrefix(address.value, cidr.address.value, cidr.prefixLength);
  }
  if (address.family === 6 && cidr.address.family === 6) {
    return ipv6InPrefix(address.groups, cidr.address.groups, cidr.prefixLength);
  }
  return false;
}

/** The decision for one resolved address. Text that is not an IP address is refused: only addresses connect. */
export function checkAddress(text: string, policy: AddressPolicy = {}): AddressVerdict {
  const address = parseIpAddress(text);
  if (!address) return { allowed: false, range: "not-an-address" };
  const range = classifyAddress(address);
  if (range === "public") return { allowed: true, range: "public" };
  if (policy.allowPrivateNetwork) return { allowed: true, range: "allowed-by-policy" };
  if (policy.allowedRanges?.some((cidr) => isInCidr(address, cidr))) {
    return { allowed: true, range: "allowed-by-policy" };
  }
  return { allowed: false, range };
}

function ipv4InPrefix(value: number, base: number, prefixLength: number): boolean {
  if (prefixLength === 0) return true;
  const mask = prefixLength === 32 ? 0xffffffff : ~(0xffffffff >>> prefixLength) >>> 0;
  return (value & mask) >>> 0 === (base & mask) >>> 0;
}

function ipv6InPrefix(groups: readonly number[], base: readonly number[], prefixLength: number): boolean {
  let remaining = prefixLength;
  for (let i = 0; i < 8 && remaining > 0; i++) {
    const bits = Math.min(16, remaining);
    const mask = (0xffff << (16 - bits)) & 0xffff;
    if (((groups[i] ?? 0) & mask) !== ((base[i] ?? 0) & mask)) return false;
    remaining -= bits;
  }
  return true;
}

function mustParseIpv4(text: string): number {
  const value = parseIpv4(text);
  if (value === undefined) throw new TypeError(`bad IPv4 literal in the range table: ${text}`);
  return value;
}

function mustParseIpv6(text: string): number[] {
  const groups = parseIpv6(text);
  if (!groups) throw new TypeError(`bad IPv6 literal in the range table: ${text}`);
  return groups;
}
