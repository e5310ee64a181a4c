/**
 * Text keys for matching names typed by anyone, in any script. Every function here is pure and cheap: it runs
 * on every name at start-up and on every query.
 */

// Zero-width characters and soft hyphens are invisible in adverts and used to break up words on purpose.
const invisibleCharacters =
  /[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u2064\u206A-\u206F\uFE00-\uFE0F\uFEFF]/gu;

// Letters that NFD does not decompose but that people replace with plain ASCII when they type.
const latinLetterFolds: Readonly<Record<string, string>> = {
  ß: "ss",
  æ: "ae",
  œ: "oe",
  ø: "o",
  đ: "d",
  ð: "d",
  ł: "l",
  ı: "i",
  þ: "th",
};
// Exported for test/redos-sweep.test.ts, which checks regexes built at run time as it checks literals.
export const latinLetterPattern = new RegExp(`[${Object.keys(latinLetterFolds).join("")}]`, "gu");

const combiningMark = /\p{M}/u;
const latinLetter = /\p{Script=Latin}/u;

/**
 * Removes accents from Latin letters only. Stripping every combining mark would corrupt Thai (งาช้าง → งาชาง)
 * and Devanagari, where marks are letters, not decoration.
 */
export function foldLatinDiacritics(text: string): string {
  if (/^[\x00-\x7F]*$/.test(text)) return text;
  const decomposed = text.normalize("NFD");
  let folded = "";
  let lastBaseIsLatin = false;
  for (const character of decomposed) {
    if (combiningMark.test(character)) {
      if (!lastBaseIsLatin) folded += character;
      continue;
    }
    lastBaseIsLatin = latinLetter.test(character);
    folded += character;
  }
  return folded.normalize("NFC").replace(latinLetterPattern, (letter) => latinLetterFolds[letter] ?? letter);
}

const invisibleCharacter = new RegExp(invisibleCharacters.source, "u");

// The Latin blocks: U+0000–U+02FF (Basic Latin to the spacing modifiers) and U+1E00–U+1EFF (Vietnamese and other
// letters with several marks). A text made only of their units that NFKC leaves alone one by one is its own NFKC
// form (none is a mark or composes with its neighbour), so it needs no call into the normaliser, which costs far
// more than reading the text.
const latinBlocksEnd = 0x1f00;
/** For each unit of the Latin blocks, filled as they are met: 1 when NFKC leaves it alone and it is visible, 2 if not. */
const plainLatinUnits = new Uint8Array(latinBlocksEnd);

function isPlainLatinUnit(unit: number): boolean {
  if (unit >= latinBlocksEnd || (unit >= 0x300 && unit < 0x1e00)) return false;
  let known = plainLatinUnits[unit] as number;
  if (known === 0) {
    const character = String.fromCharCode(unit);
    known = character.normalize("NFKC") === character && !invisibleCharacter.test(character) ? 1 : 2;
    plainLatinUnits[unit] = known;
  }
  return known === 1;
}

// Called through the prototype: texts come in many string representations, and a method looked up on so many
// kinds of receiver is looked up the slow, generic way at every call.
const charCodeAt = String.prototype.charCodeAt;

/** NFKC, lower case, no invisible characters: the form in which two spellings of the same text compare equal. */
export function normalizeText(text: string): string {
  const length = text.length;
  for (let at = 0; at < length; at++) {
    if (!isPlainLatinUnit(charCodeAt.call(text, at))) {
      return text.normalize("NFKC").replace(invisibleCharacters, "").toLowerCase();
    }
  }
  return text.toLowerCase();
}

/**
 * The key under which a name is indexed and looked up: normalised, Latin accents folded, punctuation and runs of
 * white space reduced to one space. "Eléphant d'Afrique" and "elephant d afrique" share a key.
 */
export function nameKey(text: string): string {
  return foldLatinDiacritics(normalizeText(text))
    .replace(/[\p{P}\p{S}\p{Z}\s]+/gu, " ")
    .trim();
}

const unspacedScripts =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}\u30FC\uFF70\u3005\u3006]/u;

/**
 * Scripts written without spaces between words, where a name can sit inside a longer word. Korean is not one:
 * it spaces its words and attaches particles at their ends (see `stripKoreanParticle`).
 */
export function isUnspacedScript(text: string): boolean {
  return unspacedScripts.test(text);
}

// The case particles that follow a Korean noun: 천산갑을 (pangolin + object marker) is 천산갑.
const koreanParticle =
  /(?:으로|에서|에게|까지|부터|처럼|이랑|하고|을|를|이|가|은|는|의|도|에|로|와|과|만|랑)$/u;

/** The noun of a Korean word with a case particle attached, or undefined when there is none. */
export function stripKoreanParticle(word: string): string | undefined {
  if (!/\p{Script=Hangul}$/u.test(word)) return undefined;
  const stripped = word.replace(koreanParticle, "");
  return stripped !== word && stripped.length >= 2 ? stripped : undefined;
}

// Russian case endings, longest first: слона, слону, слоном, слонов → слон.
const russianEnding = /(?:ами|ями|ого|его|ому|ему|ой|ей|ом|ем|ов|ев|ам|ям|ах|ях|а|я|у|ю|е|ы|и|ь)$/u;

/**
 * The word without a grammatical ending that the dictionary form lacks: a Korean case particle (천산갑을 →
 * 천산갑), a Russian case ending (слона → слон) or a plural "-s" of a Latin-script word (pangolins →
 * pangolin; not "-ss"). Undefined when there is nothing to strip.
 */
export function withoutInflection(word: string): string | undefined {
  if (/\p{Script=Hangul}$/u.test(word)) return stripKoreanParticle(word);
  if (/[^s]s$/u.test(word)) return word.length - 1 >= 3 ? word.slice(0, -1) : undefined;
  if (!/\p{Script=Cyrillic}$/u.test(word)) return undefined;
  const stripped = word.replace(russianEnding, "");
  return stripped !== word && stripped.length >= 3 ? stripped : undefined;
}
