/**
 * Random adverts assembled from the material sellers use to dodge filters: names and trade words in many
 * scripts, separators, zero-width and full-width characters, leetspeak, spaced and repeated letters, hashtags,
 * look-alike letters, emoji, lone surrogates and code points from every corner of Unicode. The differential tests
 * of the matcher record them once (test/fixtures/lexicon/oracle.jsonl), so a new fast-check cannot change what
 * is compared.
 */
import fc from "fast-check";

const words = [
  "ivory / Ivory / IVORY / bangle / pangolin / scales / rhino / horn / tiger / bone / claw / python",
  "Psittacus erithacus / P. erithacus / Psitacus erithacus / Manis javanica / M. javanica",
  "Loxodonta africana / Elephas maximus / Dalbergia / Dalbergia spp. / Panthera tigris",
  "Ball python / African grey / for sale / selling / ship worldwide / DM / WhatsApp / price",
  "tiger balm / Ivory Coast / mammoth ivory / faux / resin / carving / netsuke / tusk / shell",
  "hawksbill / shark fin / totoaba / agarwood / rosewood / bear bile / Eléphant / d'Afrique",
  "défense d'ivoire / marfil / vendo / à vendre / Straße / Störe / vảy tê tê / tê tê / bán",
  "ngà voi / sừng tê giác / hổ / hồ / jual / sisik trenggiling / gading / продам / слона / слоновую",
  "кость / бивень / слон / слоны / слонами / черепаха / панголина / раngolin / іvоry / ιvοry / 象牙",
  "穿山甲 / 穿山甲片 / 出售 / 犀牛角 / 手镯 / 微信 / 包邮 / 虎骨 / 象牙のネックレス / カバン / カバ / べっ甲 / サイの角 / ー / 々 / 〆",
  "งาช้าง / แท้ / ขาย / นอแรด / ตัวนิ่ม / 천산갑 / 천산갑을 / 상아 / 코끼리 / 코끼리의 / 호랑이 / 팝니다 / عاج / للبيع",
  "हाथी दांत / Ａｒａ / Ｉｖｏｒｙ / 𝐈𝐯𝐨𝐫𝐲 / ﬁne / İstanbul / ǅemal / e\u0301le\u0301phant / a\u0301\u0302 / 1500",
  "2.500.000₫ / US$450 / 500k / £180 / €300 / ฿25,000 / 150 000 руб. / Rp 1.500.000 / iv0ry",
  "p@ngolin / rh1no / t1ger / p4ngolin / sc4les / 5kg / iv|ry / $ale / !vory / me@mail.com",
  "ivoryyy / pangooolin / yyy / aaa / ooo / ooooo / ßß / Ara / ara / kea / lory / ship / store",
].flatMap((line) => line.split(" / "));
const separators = [
  " ",
  " ",
  " ",
  "  ",
  ".",
  ",",
  ", ",
  "-",
  "_",
  "*",
  "·",
  "•",
  "/",
  "\n",
  "\t",
  "#",
  "'",
  "&",
  ":",
  "!",
  "?",
  "(",
  ")",
  "\u00A0",
  "\u3000",
  "、",
  "。",
  "|",
  "@",
  "$",
];
const tricks = [
  "\u200B",
  "\u200C",
  "\u200D",
  "\uFEFF",
  "\u00AD",
  "\u2060",
  "\u034F",
  "\uFE0F",
  "\u202E",
  "\uD800",
  "\uDC00",
  "🐘",
  "🦏",
  "🐘🦷",
  "🦷",
  "🐯",
  "🐢",
  "👍🏽",
  "❤️",
  "🔥",
  "＃",
  "﹟",
  "①",
  "㍱",
  "ﷺ",
  "Ⅻ",
  "𠀀",
  "𝔞",
  "Å",
  "ﬀ",
];
const codePointRanges: ReadonlyArray<readonly [number, number]> = [
  [0x20, 0x7e],
  [0xa0, 0x24f],
  [0x300, 0x36f],
  [0x370, 0x3ff],
  [0x400, 0x4ff],
  [0x530, 0x58f],
  [0x600, 0x6ff],
  [0x900, 0x97f],
  [0xe00, 0xe7f],
  [0x1100, 0x11ff],
  [0x1e00, 0x1eff],
  [0x2000, 0x206f],
  [0x2100, 0x218f],
  [0x2460, 0x24ff],
  [0x3000, 0x30ff],
  [0x3300, 0x33ff],
  [0x4e00, 0x9fff],
  [0xac00, 0xd7a3],
  [0xd800, 0xdfff],
  [0xfb00, 0xfb4f],
  [0xfe00, 0xfe6f],
  [0xff00, 0xffef],
  [0x1d400, 0x1d7ff],
  [0x1f300, 0x1faff],
  [0x20000, 0x2a6df],
];

const randomCase = fc
  .tuple(fc.constantFrom(...words), fc.nat())
  .map(([word, bits]) =>
    [...word]
      .map((character, at) => ((bits >> (at % 30)) & 1 ? character.toUpperCase() : character))
      .join(""),
  );
const spacedLetters = fc
  .tuple(
    fc.constantFrom(...words),
    fc.constantFrom(" ", ".", "-", " . ", "_", "*", "·", "•", "/", "  ", ", ", "|"),
  )
  .map(([word, spacer]) => [...word].join(spacer));
const hashtag = fc
  .array(fc.constantFrom(...words), { minLength: 1, maxLength: 3 })
  .map((parts) => `#${parts.map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join("")}`);
const repeated = fc
  .tuple(
    fc.constantFrom("a", "y", "o", "i", "s", "象", "ー", "ก", "천", "о", "0", "@", "!"),
    fc.integer({ min: 2, max: 5 }),
  )
  .map(([letter, times]) => letter.repeat(times));
const anyCodePoint = fc
  .constantFrom(...codePointRanges)
  .chain(([low, high]) => fc.integer({ min: low, max: high }))
  .map((codePoint) => String.fromCodePoint(codePoint));
const fragment = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...words) },
  { weight: 6, arbitrary: fc.constantFrom(...separators) },
  { weight: 2, arbitrary: fc.constantFrom(...tricks) },
  { weight: 3, arbitrary: anyCodePoint },
  { weight: 2, arbitrary: randomCase },
  { weight: 1, arbitrary: spacedLetters },
  { weight: 1, arbitrary: hashtag },
  { weight: 1, arbitrary: repeated },
);
const randomAdvert = fc.array(fragment, { maxLength: 30 }).map((parts) => parts.join(""));

// Harsher: any code point at all, and runs of the characters whose rules interact (letters, spacers, symbols
// that may stand for letters, marks, look-alikes, scripts without spaces).
const interacting = fc.constantFrom(
  "a",
  "b",
  "i",
  "o",
  "s",
  "A",
  "B",
  " ",
  " ",
  ".",
  ",",
  "-",
  "@",
  "$",
  "!",
  "|",
  "#",
  "0",
  "1",
  "а",
  "о",
  "α",
  "\u0301",
  "\u0300",
  "象",
  "ー",
  "ก",
  "\u0E49",
  "천",
  "ß",
  "İ",
  "\u200B",
  "𝐈",
);
const wildAdvert = fc
  .array(
    fc.oneof(
      { weight: 3, arbitrary: fragment },
      {
        weight: 2,
        arbitrary: fc.integer({ min: 0, max: 0x10ffff }).map((codePoint) => String.fromCodePoint(codePoint)),
      },
      { weight: 3, arbitrary: interacting },
    ),
    { maxLength: 50 },
  )
  .map((parts) => parts.join(""));

/** 1,500 adverts from the material above and 700 harsher ones, the same on every run. */
export function evasiveAdverts(): string[] {
  return [
    ...fc.sample(randomAdvert, { seed: 20261123, numRuns: 1500 }),
    ...fc.sample(wildAdvert, { seed: 7, numRuns: 700 }),
  ];
}
