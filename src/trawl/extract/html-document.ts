import * as cheerio from "cheerio";
import type { CheerioAPI } from "cheerio";
import type { AnyNode, Document, Element } from "domhandler";

export interface HtmlLimits {
  /** Characters of HTML parsed; the rest is dropped (a page of 20 MiB holds its advert in the first few). */
  readonly maxHtmlChars: number;
  /** Elements nested deeper than this lose their tags (their text stays), keeping every later step linear. */
  readonly maxDepth: number;
}

const maxRootChildren = 64;

export const defaultHtmlLimits: HtmlLimits = { maxHtmlChars: 4_000_000, maxDepth: 256 };

export interface ParsedHtml {
  readonly $: CheerioAPI;
  readonly document: Document;
  /** The elements extraction always looks for, found in one pass instead of one CSS query each. */
  readonly index: PageIndex;
  readonly truncated: { readonly input: boolean; readonly nesting: boolean };
}

export interface PageIndex {
  /** Elements by lower-case name, in document order, for the names in `indexedNames`. */
  readonly byName: ReadonlyMap<string, readonly Element[]>;
  readonly withItemscope: readonly Element[];
  readonly withItemprop: readonly Element[];
}

const indexedNames = new Set([
  "a",
  "area",
  "article",
  "base",
  "body",
  "h1",
  "html",
  "link",
  "main",
  "meta",
  "script",
  "time",
  "title",
]);

/** Every element in document order, iteratively: one walk serves all the fixed look-ups. */
function indexDocument(document: Document): PageIndex {
  const byName = new Map<string, Element[]>();
  const withItemscope: Element[] = [];
  const withItemprop: Element[] = [];
  const stack: AnyNode[] = [...document.children].reverse();
  while (stack.length > 0) {
    const node = stack.pop() as AnyNode;
    if (node.type !== "tag" && node.type !== "script" && node.type !== "style") continue;
    const name = node.name.toLowerCase();
    if (indexedNames.has(name)) {
      const list = byName.get(name);
      if (list) list.push(node);
      else byName.set(name, [node]);
    }
    if (node.attribs["itemscope"] !== undefined) withItemscope.push(node);
    if (node.attribs["itemprop"] !== undefined) withItemprop.push(node);
    const children = node.children;
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i] as AnyNode);
  }
  return { byName, withItemscope, withItemprop };
}

/**
 * The indexed elements named `name` ("meta", "script"…), in document order, without those a source's `remove`
 * rules have since taken out of the document.
 */
export function elementsNamed(parsed: { readonly index: PageIndex }, name: string): readonly Element[] {
  const list = parsed.index.byName.get(name) ?? [];
  return list.every(isAttached) ? list : list.filter(isAttached);
}

function isAttached(element: Element): boolean {
  let node: AnyNode | null = element;
  for (let steps = 0; node && steps < 1_024; steps++) {
    if (node.type === "root") return true;
    node = node.parent;
  }
  return false;
}

/**
 * Parses a page with htmlparser2 (no scripts run, nothing fetched) after bounding it: the input is cut at
 * `maxHtmlChars`, and tags nested past `maxDepth` are dropped. htmlparser2 keeps its open elements in an array it
 * shifts and searches, so 100,000 nested `<div>`s cost it minutes; after `limitNesting` its stack never exceeds
 * `maxDepth`.
 */
export function parseHtml(html: string, limits: HtmlLimits = defaultHtmlLimits): ParsedHtml {
  const inputTruncated = html.length > limits.maxHtmlChars;
  const bounded = inputTruncated ? html.slice(0, limits.maxHtmlChars) : html;
  const limited = limitNesting(bounded, limits.maxDepth);
  let $ = loadHtml(limited.html);
  if (rootOf($).children.length > maxRootChildren) {
    // cheerio searches from the document's children as a list, in time that grows with the square of their
    // number: 50,000 top-level tags would take minutes. One wrapper makes them a single child.
    $ = loadHtml(`<div>${limited.html}</div>`);
  }
  const document = rootOf($);
  return {
    $,
    document,
    index: indexDocument(document),
    truncated: { input: inputTruncated, nesting: limited.dropped > 0 },
  };
}

/**
 * cheerio with htmlparser2 in HTML mode (what `xml: { xmlMode: false }` selects): faster than parse5 and without its
 * quadratic scope checks on deep nesting; entities decoded.
 */
export function loadHtml(html: string): CheerioAPI {
  return cheerio.load(html, { xml: { xmlMode: false, decodeEntities: true } });
}

function rootOf($: CheerioAPI): Document {
  return $.root()[0] as Document;
}

// htmlparser2's own rules (Parser.ts): opening the key closes these open elements first.
const pTag = ["p"];
const formTags = ["input", "option", "optgroup", "select", "button", "datalist", "textarea"];
const openImpliesClose = new Map<string, ReadonlySet<string>>(
  (
    [
      ["tr", ["tr", "th", "td"]],
      ["th", ["th"]],
      ["td", ["thead", "th", "td"]],
      ["body", ["head", "link", "script"]],
      ["li", ["li"]],
      ["select", formTags],
      ["input", formTags],
      ["output", formTags],
      ["button", formTags],
      ["datalist", formTags],
      ["textarea", formTags],
      ["option", ["option"]],
      ["optgroup", ["optgroup", "option"]],
      ["dd", ["dd", "dt"]],
      ["dt", ["dd", "dt"]],
      ["rt", ["rt", "rp"]],
      ["rp", ["rt", "rp"]],
      ["tbody", ["thead", "tbody"]],
      ["tfoot", ["thead", "tbody"]],
      ...[
        "p",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "address",
        "article",
        "aside",
        "blockquote",
        "details",
        "div",
        "dl",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "header",
        "hr",
        "main",
        "nav",
        "ol",
        "pre",
        "section",
        "table",
        "ul",
      ].map((name) => [name, pTag] as const),
    ] as ReadonlyArray<readonly [string, readonly string[]]>
  ).map(([name, closes]) => [name, new Set(closes)]),
);
const voidElements = new Set([
  "area",
  "base",
  "basefont",
  "br",
  "col",
  "command",
  "embed",
  "frame",
  "hr",
  "img",
  "input",
  "isindex",
  "keygen",
  "link",
  "meta",
  "param",
  "source",
  "track",
  "wbr",
]);
/** Elements whose content htmlparser2 reads as raw text up to their end tag. */
const rawTextElements = new Set(["script", "style", "title", "textarea", "xmp"]);
// Exported for test/redos-sweep.test.ts, which checks regexes built at run time as it checks literals.
export const rawTextEnd = new Map([...rawTextElements].map((name) => [name, new RegExp(`</${name}`, "gi")]));

function isNameStart(code: number): boolean {
  return (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a);
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0c || code === 0x0d;
}

/** Index just past the tag that starts at `start` ("<" + name already read up to `index`), quotes respected. */
function endOfTag(html: string, index: number): number {
  const length = html.length;
  let i = index;
  while (i < length) {
    const code = html.charCodeAt(i);
    if (code === 0x3e) return i + 1; // >
    if (code === 0x3d) {
      // = : skip spaces, then a quoted value in one jump
      i++;
      while (i < length && isSpace(html.charCodeAt(i))) i++;
      const quote = html.charCodeAt(i);
      if (quote === 0x22 || quote === 0x27) {
        const close = html.indexOf(quote === 0x22 ? '"' : "'", i + 1);
        if (close < 0) return length;
        i = close + 1;
      }
      continue;
    }
    i++;
  }
  return length;
}

/**
 * Drops the tags of elements nested deeper than `maxDepth`, simulating htmlparser2's tree building (implied closes,
 * void and raw-text elements) on a stack that never grows past `maxDepth`, so the work is linear in the input. Text
 * is never dropped. A page within the limit comes back as the same string.
 */
export function limitNesting(html: string, maxDepth: number): { html: string; dropped: number } {
  const stack: string[] = [];
  const droppedOpen = new Map<string, number>();
  const pieces: string[] = [];
  let copiedUpTo = 0;
  let dropped = 0;
  let foreign = 0;
  const drop = (start: number, end: number) => {
    pieces.push(html.slice(copiedUpTo, start));
    copiedUpTo = end;
    dropped++;
  };
  const length = html.length;
  let position = 0;
  while (position < length) {
    const lt = html.indexOf("<", position);
    if (lt < 0 || lt + 1 >= length) break;
    const next = html.charCodeAt(lt + 1);
    if (next === 0x21 /* ! */) {
      if (html.startsWith("<!--", lt)) {
        const close = html.indexOf("-->", lt + 4);
        position = close < 0 ? length : close + 3;
      } else if (html.startsWith("<![CDATA[", lt)) {
        const close = html.indexOf("]]>", lt + 9);
        position = close < 0 ? length : close + 3;
      } else {
        const close = html.indexOf(">", lt + 2);
        position = close < 0 ? length : close + 1;
      }
      continue;
    }
    if (next === 0x3f /* ? */) {
      const close = html.indexOf(">", lt + 2);
      position = close < 0 ? length : close + 1;
      continue;
    }
    const closing = next === 0x2f; /* / */
    const nameStart = closing ? lt + 2 : lt + 1;
    if (nameStart >= length || !isNameStart(html.charCodeAt(nameStart))) {
      position = lt + 1;
      continue;
    }
    let nameEnd = nameStart + 1;
    while (nameEnd < length) {
      const code = html.charCodeAt(nameEnd);
      if (isSpace(code) || code === 0x2f || code === 0x3e) break;
      nameEnd++;
    }
    const name = html.slice(nameStart, nameEnd).toLowerCase();
    const end = endOfTag(html, nameEnd);
    position = end;
    if (closing) {
      if (voidElements.has(name)) continue;
      const pending = droppedOpen.get(name) ?? 0;
      if (pending > 0) {
        // Elements past the limit close before those within it: this end tag belongs to a dropped one.
        droppedOpen.set(name, pending - 1);
        drop(lt, end);
        continue;
      }
      const at = stack.lastIndexOf(name);
      if (at >= 0) {
        for (let i = stack.length - 1; i >= at; i--) {
          const popped = stack[i] as string;
          if (popped === "svg" || popped === "math") foreign--;
        }
        stack.length = at;
      }
      continue;
    }
    const closes = openImpliesClose.get(name);
    if (closes) {
      while (stack.length > 0 && closes.has(stack[stack.length - 1] as string)) stack.pop();
    }
    const selfClosing = foreign > 0 && html.charCodeAt(end - 2) === 0x2f;
    if (!voidElements.has(name) && !selfClosing) {
      // A raw-text element is a leaf: keeping its tags past the limit keeps its script or style out of the text.
      if (stack.length >= maxDepth && !rawTextElements.has(name)) {
        droppedOpen.set(name, (droppedOpen.get(name) ?? 0) + 1);
        drop(lt, end);
      } else {
        stack.push(name);
        if (name === "svg" || name === "math") foreign++;
      }
    }
    if (rawTextElements.has(name)) {
      const pattern = rawTextEnd.get(name) as RegExp;
      pattern.lastIndex = end;
      const match = pattern.exec(html);
      position = match ? match.index : length;
    }
  }
  if (dropped === 0) return { html, dropped };
  pieces.push(html.slice(copiedUpTo));
  return { html: pieces.join(""), dropped };
}
