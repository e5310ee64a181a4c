import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  charsetFromMetaContent,
  decodeBody,
  isTextual,
  parseContentType,
  prescanForMetaCharset,
} from "./charset.ts";
import { encodeLegacy } from "./legacy-encode.ts";

const ascii = (text: string) => new TextEncoder().encode(text);
const concat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((part) => [...part]));

const samples = [
  { encoding: "shift_jis", text: "象牙の印鑑を販売します。ワシントン条約" },
  { encoding: "gbk", text: "出售象牙手镯，穿山甲鳞片，犀牛角" },
  { encoding: "euc-kr", text: "상아 도장 판매합니다 천산갑" },
  { encoding: "big5", text: "出售象牙雕刻" },
  { encoding: "windows-1252", text: "Vente d’ivoire – écaille de tortue, 50 € « neuf »" },
];

describe("charset detection and decoding", () => {
  for (const { encoding, text } of samples) {
    it(`decodes ${encoding} declared in the Content-Type header`, () => {
      const bytes = concat(ascii("<p>"), encodeLegacy(text, encoding), ascii("</p>"));
      const decoded = decodeBody(bytes, { headerCharset: encoding.toUpperCase() });
      assert.equal(decoded.text, `<p>${text}</p>`);
      assert.equal(decoded.charset, encoding);
      assert.equal(decoded.charsetSource, "header");
      assert.deepEqual(decoded.flags, []);
    });

    it(`decodes ${encoding} declared by <meta> in the first 1024 bytes`, () => {
      const bytes = concat(
        ascii(
          `<!doctype html><html><head><!-- <meta charset="utf-8"> --><meta charset='${encoding}'></head><body>`,
        ),
        encodeLegacy(text, encoding),
      );
      const decoded = decodeBody(bytes);
      assert.ok(decoded.text.endsWith(text));
      assert.equal(decoded.charset, encoding);
      assert.equal(decoded.charsetSource, "meta");
    });
  }

  it("reads the http-equiv form, but only with its pragma", () => {
    const body = encodeLegacy("象牙", "shift_jis");
    const withPragma = concat(
      ascii('<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">'),
      body,
    );
    assert.equal(decodeBody(withPragma).charset, "shift_jis");
    const withoutPragma = concat(ascii('<meta content="text/html; charset=Shift_JIS">'), body);
    assert.notEqual(decodeBody(withoutPragma).charset, "shift_jis");
  });

  it("follows the WHATWG order: BOM over header over meta", () => {
    const page = concat(ascii('<meta charset="gbk">'), ascii("caf"), Uint8Array.of(0xc3, 0xa9));
    const withBom = concat(Uint8Array.of(0xef, 0xbb, 0xbf), page);
    assert.deepEqual(
      [decodeBody(withBom, { headerCharset: "shift_jis" }).charsetSource, decodeBody(withBom).charset],
      ["bom", "utf-8"],
    );
    assert.equal(decodeBody(withBom).text.startsWith("\ufeff"), false, "the BOM is not part of the text");
    assert.equal(decodeBody(page, { headerCharset: "utf-8" }).charsetSource, "header");
    assert.equal(decodeBody(page).charsetSource, "meta");
  });

  it("decodes UTF-16 with a byte order mark", () => {
    const le = concat(Uint8Array.of(0xff, 0xfe), Uint8Array.from(Buffer.from("象牙 ivory", "utf16le")));
    assert.deepEqual([decodeBody(le).text, decodeBody(le).charset], ["象牙 ivory", "utf-16le"]);
    const be = Uint8Array.from(Buffer.from("\ufeff象牙", "utf16le").swap16());
    assert.deepEqual([decodeBody(be).text, decodeBody(be).charset], ["象牙", "utf-16be"]);
  });

  it("maps a <meta> claim of UTF-16 to UTF-8, as browsers do", () => {
    assert.equal(decodeBody(ascii('<meta charset="utf-16"><p>x</p>')).charset, "utf-8");
  });

  it("takes UTF-8 when nothing is declared and the bytes are valid UTF-8, windows-1252 otherwise", () => {
    const utf8 = decodeBody(ascii("<p>ivoire d’éléphant</p>"));
    assert.deepEqual([utf8.charset, utf8.charsetSource, utf8.flags], ["utf-8", "utf8-valid", []]);
    const latin = decodeBody(
      concat(ascii("<p>caf"), Uint8Array.of(0xe9), ascii(" 50 "), Uint8Array.of(0x80)),
    );
    assert.deepEqual(
      [latin.text, latin.charset, latin.charsetSource],
      ["<p>café 50 €", "windows-1252", "default"],
    );
  });

  it("flags invalid UTF-8, overlong forms and surrogates instead of throwing, and keeps going", () => {
    const cases = [
      Uint8Array.of(0x61, 0xff, 0x62),
      Uint8Array.of(0xc0, 0xaf),
      Uint8Array.of(0xe0, 0x80, 0xaf),
      Uint8Array.of(0xed, 0xa0, 0x80),
      Uint8Array.of(0xf4, 0x90, 0x80, 0x80),
      Uint8Array.of(0x61, 0xe2, 0x82),
    ];
    for (const bytes of cases) {
      const decoded = decodeBody(bytes, { headerCharset: "utf-8" });
      assert.ok(decoded.flags.includes("invalid-sequences"), [...bytes].join(","));
      assert.ok(decoded.text.includes("\ufffd"));
    }
  });

  it("flags a wrongly declared charset", () => {
    const decoded = decodeBody(encodeLegacy("象牙の印鑑", "shift_jis"), { headerCharset: "utf-8" });
    assert.ok(decoded.flags.includes("invalid-sequences"));
  });

  it("flags UTF-16 without a byte order mark", () => {
    const decoded = decodeBody(Uint8Array.from(Buffer.from("<p>ivory</p>", "utf16le")));
    assert.ok(decoded.flags.includes("nul-characters"));
  });

  it("ignores unknown labels, saying so, and falls through to the next source", () => {
    const page = concat(ascii('<meta charset="utf-8">'), ascii("ok"));
    const decoded = decodeBody(page, { headerCharset: "x-no-such-charset" });
    assert.deepEqual([decoded.charset, decoded.charsetSource], ["utf-8", "meta"]);
    assert.ok(decoded.flags.includes("unsupported-charset-label"));
    // The "replacement" encodings of the spec exist to be refused.
    assert.ok(
      decodeBody(ascii("x"), { headerCharset: "iso-2022-kr" }).flags.includes("unsupported-charset-label"),
    );
  });

  it("looks no further than 1024 bytes for <meta>", () => {
    const late = concat(ascii(`<p>${"x".repeat(1100)}</p><meta charset="shift_jis">`));
    assert.equal(prescanForMetaCharset(late.subarray(0, 1024)), undefined);
    assert.equal(decodeBody(late).charsetSource, "utf8-valid");
  });

  it("does not prescan JSON and plain text", () => {
    const json = ascii('{"html": "<meta charset=shift_jis>"}');
    assert.equal(decodeBody(json, { prescanMeta: false }).charset, "utf-8");
  });

  it("parses Content-Type and meta content values", () => {
    assert.deepEqual(parseContentType('Text/HTML; Charset="Shift_JIS"'), {
      mimeType: "text/html",
      charset: "Shift_JIS",
    });
    assert.deepEqual(parseContentType("nonsense"), { mimeType: undefined, charset: undefined });
    assert.equal(charsetFromMetaContent("text/html; charset = 'euc-kr'"), "euc-kr");
    assert.equal(charsetFromMetaContent("text/html;charset=gbk;x"), "gbk");
    assert.equal(charsetFromMetaContent('text/html; charset="unterminated'), undefined);
    assert.equal(charsetFromMetaContent("text/html"), undefined);
  });

  it("tells text from binary", () => {
    assert.equal(isTextual("text/html", Uint8Array.of()), true);
    assert.equal(isTextual("application/ld+json", Uint8Array.of()), true);
    assert.equal(isTextual("image/jpeg", ascii("<html>")), false);
    assert.equal(isTextual(undefined, ascii("<html>")), true);
    assert.equal(isTextual(undefined, Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)), false);
  });

  it("never throws on random bytes and random declarations (10,000 runs)", () => {
    const labels = fc.constantFrom(
      undefined,
      "utf-8",
      "shift_jis",
      "gbk",
      "gb18030",
      "euc-kr",
      "big5",
      "utf-16le",
      "utf-16be",
      "windows-1252",
      "bogus",
      "iso-2022-jp",
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), labels, fc.boolean(), (bytes, label, prescan) => {
        const decoded = decodeBody(bytes, { headerCharset: label, prescanMeta: prescan });
        assert.equal(typeof decoded.text, "string");
        assert.ok(decoded.charset.length > 0);
      }),
      { numRuns: 10_000 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (html) => {
        const bytes = new TextEncoder().encode(`<meta ${html}>`);
        const result = prescanForMetaCharset(bytes);
        assert.ok(result === undefined || typeof result === "string");
      }),
      { numRuns: 10_000 },
    );
  });
});
