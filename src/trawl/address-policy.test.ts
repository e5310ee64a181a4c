import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  checkAddress,
  classifyAddress,
  formatIpAddress,
  parseCidr,
  parseIpAddress,
  parseIpv4,
} from "./address-policy.ts";

// The SSRF corpus (RELIABILITY H1): every spelling a hostile page or redirect could use for an internal address.
const blocked: ReadonlyArray<readonly [string, string]> = [
  ["127.0.0.1", "loopback"],
  ["127.1", "loopback"],
  ["127.0.1", "loopback"],
  ["127.255.255.254", "loopback"],
  ["0x7f000001", "loopback"],
  ["0x7f.1", "loopback"],
  ["0X7F.0.0.1", "loopback"],
  ["2130706433", "loopback"],
  ["017700000001", "loopback"],
  ["0177.0.0.1", "loopback"],
  ["127.0.0.1.", "loopback"],
  ["0.0.0.0", "this-network"],
  ["0", "this-network"],
  ["0x", "this-network"],
  ["0.1.2.3", "this-network"],
  ["10.0.0.1", "private"],
  ["10.255.255.255", "private"],
  ["012.1", "private"],
  ["172.16.0.1", "private"],
  ["172.31.255.255", "private"],
  ["192.168.1.1", "private"],
  ["3232235777", "private"],
  ["0300.0250.0.1", "private"],
  ["169.254.169.254", "link-local"],
  ["0xa9fea9fe", "link-local"],
  ["169.254.0.1", "link-local"],
  ["100.64.0.1", "cgnat"],
  ["100.127.255.255", "cgnat"],
  ["192.0.0.8", "ietf-protocol"],
  ["192.0.2.1", "documentation"],
  ["198.51.100.7", "documentation"],
  ["203.0.113.9", "documentation"],
  ["198.18.0.1", "benchmarking"],
  ["198.19.255.255", "benchmarking"],
  ["192.88.99.1", "6to4-relay"],
  ["192.31.196.1", "as112"],
  ["192.52.193.1", "amt"],
  ["224.0.0.1", "multicast"],
  ["239.255.255.250", "multicast"],
  ["240.0.0.1", "reserved"],
  ["255.255.255.255", "broadcast"],
  ["::1", "loopback"],
  ["[::1]", "loopback"],
  ["0:0:0:0:0:0:0:1", "loopback"],
  ["::", "unspecified"],
  ["[::]", "unspecified"],
  ["::ffff:127.0.0.1", "ipv4-mapped"],
  ["[::ffff:127.0.0.1]", "ipv4-mapped"],
  ["::ffff:7f00:1", "ipv4-mapped"],
  ["::ffff:169.254.169.254", "ipv4-mapped"],
  ["::ffff:8.8.8.8", "ipv4-mapped"],
  ["::ffff:0:7f00:1", "ipv4-translated"],
  ["::127.0.0.1", "ipv4-compatible"],
  ["fd00::1", "unique-local"],
  ["fc00::1", "unique-local"],
  ["fdff:ffff::1", "unique-local"],
  ["fe80::1", "link-local"],
  ["fe80::1%eth0", "link-local"],
  ["febf::1", "link-local"],
  ["fec0::1", "site-local"],
  ["ff02::1", "multicast"],
  ["ff05::1:3", "multicast"],
  ["64:ff9b::7f00:1", "nat64:loopback"],
  ["64:ff9b::169.254.169.254", "nat64:link-local"],
  ["64:ff9b:1::a00:1", "nat64-local"],
  ["2002:7f00:1::", "6to4:loopback"],
  ["2002:c0a8:101::1", "6to4:private"],
  ["2001:db8::1", "documentation"],
  ["3fff::1", "documentation"],
  ["2001::1", "teredo"],
  ["2001:2::1", "ietf-protocol"],
  ["100::1", "discard"],
  ["5f00::1", "srv6"],
  ["1::", "reserved"],
  ["4000::1", "reserved"],
];

const allowed: readonly string[] = [
  "8.8.8.8",
  "1.1.1.1",
  "93.184.216.34",
  "0x08080808",
  "134744072",
  "100.63.255.255",
  "100.128.0.0",
  "172.15.255.255",
  "172.32.0.0",
  "192.167.255.255",
  "192.169.0.0",
  "169.253.255.255",
  "223.255.255.255",
  "9.255.255.255",
  "11.0.0.0",
  "2606:4700:4700::1111",
  "2a00:1450:4001:81b::200e",
  "[2a03:2880:f12f:83:face:b00c:0:25de]",
  "64:ff9b::808:808",
  "2002:808:808::1",
  "2001:4860:4860::8888",
];

const notAddresses: readonly string[] = [
  "example.com",
  "localhost",
  "1.2.3.4.5",
  "256.1.1.1",
  "1.2.3.08",

  "1..1",
  "::1::2",
  "12345::",
  "1:2:3:4:5:6:7:8:9",
  "::ffff:127.1",
  "[::1",
  "",
  "0xg",
];

describe("address policy", () => {
  it(`blocks every address of the SSRF corpus (${blocked.length} spellings) and names its range`, () => {
    assert.ok(blocked.length >= 40);
    for (const [text, range] of blocked) {
      assert.deepEqual(checkAddress(text), { allowed: false, range }, text);
    }
  });

  it("lets public addresses through, including next to the special ranges", () => {
    for (const text of allowed)
      assert.deepEqual(checkAddress(text), { allowed: true, range: "public" }, text);
  });

  it("refuses text that is not an IP address, so only vetted addresses are ever connected to", () => {
    for (const text of notAddresses) {
      assert.deepEqual(checkAddress(text), { allowed: false, range: "not-an-address" }, JSON.stringify(text));
    }
  });

  it("reads IPv4 literals exactly as the WHATWG URL parser does", () => {
    for (const [text] of blocked.filter(([text]) => !text.includes(":"))) {
      const hostname = new URL(`http://${text}/`).hostname;
      const ours = parseIpAddress(text);
      assert.ok(ours, text);
      assert.equal(formatIpAddress(ours), hostname, text);
    }
    for (const text of ["256.1.1.1", "1.2.3.08", "1.2.3.4.5"]) {
      assert.throws(() => new URL(`http://${text}/`), text);
      assert.equal(parseIpv4(text), undefined, text);
    }
  });

  it("reads IPv6 the way the URL parser serialises it", () => {
    for (const text of ["::ffff:127.0.0.1", "64:ff9b::169.254.169.254", "fe80::1", "2001:db8:0:0:1:0:0:1"]) {
      const serialised = new URL(`http://[${text}]/`).hostname.slice(1, -1);
      assert.deepEqual(parseIpAddress(serialised), parseIpAddress(text), text);
    }
  });

  it("allows the whole private network only when asked, and named ranges one by one", () => {
    assert.deepEqual(checkAddress("127.0.0.1", { allowPrivateNetwork: true }), {
      allowed: true,
      range: "allowed-by-policy",
    });
    const policy = { allowedRanges: [parseCidr("127.0.0.1/32"), parseCidr("fd00:1::/64")] };
    assert.equal(checkAddress("127.0.0.1", policy).allowed, true);
    assert.equal(checkAddress("127.0.0.2", policy).allowed, false);
    assert.equal(checkAddress("fd00:1::5", policy).allowed, true);
    assert.equal(checkAddress("fd00:2::5", policy).allowed, false);
    // A range for IPv4 does not open its IPv4-mapped IPv6 twin.
    assert.equal(checkAddress("::ffff:127.0.0.1", policy).allowed, false);
  });

  it("rejects malformed CIDRs", () => {
    for (const text of ["127.0.0.1/33", "::1/129", "nonsense/8", "10.0.0.0/x"]) {
      assert.throws(() => parseCidr(text), TypeError, text);
    }
  });

  it("round-trips every IPv4 and IPv6 value and never throws on arbitrary text", () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), (value) => {
        const parsed = parseIpAddress(formatIpAddress({ family: 4, value }));
        assert.deepEqual(parsed, { family: 4, value });
      }),
    );
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 0xffff }), { minLength: 8, maxLength: 8 }), (groups) => {
        const parsed = parseIpAddress(formatIpAddress({ family: 6, groups }));
        assert.deepEqual(parsed, { family: 6, groups });
        assert.equal(typeof classifyAddress({ family: 6, groups }), "string");
      }),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 50 }), (text) => {
        const verdict = checkAddress(text);
        assert.equal(typeof verdict.allowed, "boolean");
      }),
      { numRuns: 2000 },
    );
  });
});
