/**
 * A JSON reader for what sites put in `<script type="application/ld+json">`, which is often not JSON: trailing commas,
 * raw newlines in strings, single quotes, unquoted keys, comments, HTML comment wrappers, a stray semicolon, or a
 * block cut short. It keeps every member it can read and skips the ones it cannot, so one bad field does not lose
 * the listing. Bounded: nesting past `maxDepth` is skipped, and at most `maxValues` values are built.
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface LenientJsonOptions {
  readonly maxDepth?: number;
  readonly maxValues?: number;
}

export function parseLenientJson(text: string, options: LenientJsonOptions = {}): JsonValue | undefined {
  const cleaned = stripWrappers(text);
  if (cleaned === "") return undefined;
  try {
    return JSON.parse(cleaned) as JsonValue;
  } catch {
    return new LenientReader(cleaned, options.maxDepth ?? 64, options.maxValues ?? 100_000).document();
  }
}

/** `<!-- … -->`, `<![CDATA[ … ]]>`, `//<![CDATA[` and a trailing `;` around the JSON. */
function stripWrappers(text: string): string {
  return text
    .trim()
    .replace(/^(?:\/\/\s*)?<!\[CDATA\[/, "")
    .replace(/(?:\/\/\s*)?\]\]>$/, "")
    .replace(/^<!--/, "")
    .replace(/-->$/, "")
    .trim()
    .replace(/(?<!;);+$/, "")
    .trim();
}

const skipped = Symbol("skipped");

class LenientReader {
  private position = 0;
  private values = 0;
  private readonly text: string;
  private readonly maxDepth: number;
  private readonly maxValues: number;

  constructor(text: string, maxDepth: number, maxValues: number) {
    this.text = text;
    this.maxDepth = maxDepth;
    this.maxValues = maxValues;
  }

  document(): JsonValue | undefined {
    this.space();
    // Several objects one after another (a common copy-paste mistake) read as an array of them.
    const found: JsonValue[] = [];
    while (this.position < this.text.length && found.length < 100) {
      const start = this.position;
      const value = this.value(0);
      if (value !== skipped) found.push(value);
      this.space();
      if (this.text[this.position] === "," || this.text[this.position] === ";") this.position++;
      this.space();
      if (this.position === start) this.position++;
    }
    if (found.length === 0) return undefined;
    return found.length === 1 ? (found[0] as JsonValue) : found;
  }

  private space(): void {
    const text = this.text;
    for (;;) {
      const char = text[this.position];
      if (char === " " || char === "\n" || char === "\r" || char === "\t" || char === "\ufeff") {
        this.position++;
      } else if (char === "/" && text[this.position + 1] === "/") {
        const end = text.indexOf("\n", this.position);
        this.position = end < 0 ? text.length : end + 1;
      } else if (char === "/" && text[this.position + 1] === "*") {
        const end = text.indexOf("*/", this.position + 2);
        this.position = end < 0 ? text.length : end + 2;
      } else return;
    }
  }

  private value(depth: number): JsonValue | typeof skipped {
    this.space();
    if (++this.values > this.maxValues) {
      this.position = this.text.length;
      return skipped;
    }
    const char = this.text[this.position];
    if (char === "{" || char === "[") {
      if (depth >= this.maxDepth) {
        this.skipNested();
        return skipped;
      }
      return char === "{" ? this.object(depth + 1) : this.array(depth + 1);
    }
    if (char === '"' || char === "'") return this.string();
    const literal = /^(?:-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|true|false|null|undefined|NaN)/.exec(
      this.text.slice(this.position, this.position + 64),
    );
    if (literal && this.endsValue(this.position + literal[0].length)) {
      this.position += literal[0].length;
      const word = literal[0];
      if (word === "true") return true;
      if (word === "false") return false;
      if (word === "null" || word === "undefined" || word === "NaN") return null;
      const number = Number(word);
      return Number.isFinite(number) ? number : null;
    }
    this.skipJunk();
    return skipped;
  }

  /** Whether a literal ending at `index` is a whole value: "undefined-thing" is junk, not `undefined`. */
  private endsValue(index: number): boolean {
    const rest = /^[ \t\r\n]*(.?)/.exec(this.text.slice(index, index + 64));
    const next = rest?.[1] ?? "";
    return next === "" || ",}]\"'/".includes(next);
  }

  /** Past a value that cannot be read: up to the next `,`, `}` or `]` at this level. */
  private skipJunk(): void {
    const text = this.text;
    while (this.position < text.length) {
      const char = text[this.position];
      if (char === "," || char === "}" || char === "]") return;
      if (char === "{" || char === "[") {
        this.skipNested();
        continue;
      }
      if (char === '"' || char === "'") {
        this.string();
        continue;
      }
      this.position++;
    }
  }

  /** Past a whole object or array without building it, counting brackets outside strings. */
  private skipNested(): void {
    const text = this.text;
    let depth = 0;
    while (this.position < text.length) {
      const char = text[this.position];
      if (char === '"' || char === "'") {
        this.string();
        continue;
      }
      this.position++;
      if (char === "{" || char === "[") depth++;
      else if (char === "}" || char === "]") {
        depth--;
        if (depth <= 0) return;
      }
    }
  }

  private string(): string {
    const text = this.text;
    const quote = text[this.position];
    this.position++;
    let result = "";
    let chunkStart = this.position;
    while (this.position < text.length) {
      const char = text[this.position];
      if (char === quote) {
        result += text.slice(chunkStart, this.position);
        this.position++;
        return result;
      }
      if (char === "\\") {
        result += text.slice(chunkStart, this.position);
        const next = text[this.position + 1];
        this.position += 2;
        switch (next) {
          case "n":
            result += "\n";
            break;
          case "t":
            result += "\t";
            break;
          case "r":
            result += "\r";
            break;
          case "b":
          case "f":
            break;
          case "u": {
            const hex = text.slice(this.position, this.position + 4);
            if (/^[0-9a-fA-F]{4}$/.test(hex)) {
              result += String.fromCharCode(parseInt(hex, 16));
              this.position += 4;
            }
            break;
          }
          case undefined:
            break;
          default:
            result += next;
        }
        chunkStart = this.position;
        continue;
      }
      this.position++;
    }
    // Cut short: keep what there is.
    return result + text.slice(chunkStart);
  }

  private key(): string | undefined {
    this.space();
    const char = this.text[this.position];
    if (char === '"' || char === "'") return this.string();
    const bare = /^[$@A-Za-z_][$@\w.-]*/.exec(this.text.slice(this.position, this.position + 256));
    if (!bare) return undefined;
    this.position += bare[0].length;
    return bare[0];
  }

  private object(depth: number): JsonValue {
    const result: { [key: string]: JsonValue } = {};
    this.position++; // {
    for (;;) {
      this.space();
      const char = this.text[this.position];
      if (char === undefined) return result;
      if (char === "}") {
        this.position++;
        return result;
      }
      if (char === "]") {
        // A mismatched bracket closes the object rather than derailing the rest.
        this.position++;
        return result;
      }
      if (char === ",") {
        this.position++;
        continue;
      }
      const key = this.key();
      this.space();
      if (key === undefined || this.text[this.position] !== ":") {
        this.skipJunk();
        continue;
      }
      this.position++; // :
      const value = this.value(depth);
      if (value !== skipped && key !== "__proto__") result[key] = value;
    }
  }

  private array(depth: number): JsonValue {
    const result: JsonValue[] = [];
    this.position++; // [
    for (;;) {
      this.space();
      const char = this.text[this.position];
      if (char === undefined) return result;
      if (char === "]" || char === "}") {
        this.position++;
        return result;
      }
      if (char === ",") {
        this.position++;
        continue;
      }
      const start = this.position;
      const value = this.value(depth);
      if (value !== skipped) result.push(value);
      if (this.position === start) this.position++;
    }
  }
}
