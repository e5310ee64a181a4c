import type { AnyNode, Element } from "domhandler";
import { loadHtml } from "./html-document.ts";

/** Elements whose content is never advert text. */
export const skippedElements: ReadonlySet<string> = new Set([
  "script",
  "style",
  "template",
  "noembed",
  "noframes",
  "svg",
  "math",
  "iframe",
  "object",
  "canvas",
  "select",
  "head",
]);

/** Elements that start a new line when rendered: their text must not run into the next word. */
const blockElements = new Set([
  "address",
  "article",
  "aside",
  "blockquote",
  "br",
  "dd",
  "details",
  "div",
  "dl",
  "dt",
  "fieldset",
  "figcaption",
  "figure",
  "footer",
  "form",
  "h1",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "header",
  "hr",
  "li",
  "main",
  "nav",
  "ol",
  "p",
  "pre",
  "section",
  "summary",
  "table",
  "tbody",
  "tfoot",
  "thead",
  "tr",
  "ul",
]);

// C0/C1 controls other than tab and newline, and the byte order mark: never part of what a person wrote.
const controlCharacters = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufeff]/g;
// Every horizontal space, NBSP and the typographic spaces included.
const horizontalSpace = /[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+/g;

/**
 * One line per paragraph: controls removed, runs of spaces collapsed, lines trimmed, at most one blank line in a
 * row. Zero-width characters stay: detection undoes the evasions they are used for, and needs to see them.
 */
export function normalizeText(text: string): string {
  return text
    .replace(/\r\n?/g, "\n")
    .replace(controlCharacters, "")
    .replace(horizontalSpace, " ")
    .replace(/ ?\n ?/g, "\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

/** On one line: for titles, names, prices and other short fields. */
export function normalizeLine(text: string): string {
  // The lookbehind starts a match only where a run of white space starts, so a run without a newline is scanned once.
  return normalizeText(text).replace(/(?<!\s)\s*\n+\s*/g, " ");
}

/** Cuts at `maxChars` without splitting a surrogate pair. */
export function capText(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const code = text.charCodeAt(maxChars - 1);
  const end = code >= 0xd800 && code <= 0xdbff ? maxChars - 1 : maxChars;
  return text.slice(0, end).trimEnd();
}

/**
 * The text of a node as a reader would see it: block elements on their own lines, `<br>` as a line break, scripts
 * and styles left out. Iterative, so nesting depth cannot exhaust the stack; stops collecting at `maxChars`.
 */
export function textOf(
  node: AnyNode | readonly AnyNode[],
  maxChars = 100_000,
  skip: ReadonlySet<string> = skippedElements,
): string {
  const parts: string[] = [];
  let collected = 0;
  // A string on the stack is text to emit when it is reached (the line break after a block).
  const stack: Array<AnyNode | string> = Array.isArray(node) ? [...node].reverse() : [node as AnyNode];
  while (stack.length > 0 && collected < maxChars) {
    const item = stack.pop() as AnyNode | string;
    if (typeof item === "string") {
      parts.push(item);
      continue;
    }
    if (item.type === "text") {
      parts.push(item.data);
      collected += item.data.length;
      continue;
    }
    if (item.type === "cdata" || item.type === "root") {
      for (let i = item.children.length - 1; i >= 0; i--) stack.push(item.children[i] as AnyNode);
      continue;
    }
    if (item.type !== "tag" && item.type !== "script" && item.type !== "style") continue;
    const name = item.name.toLowerCase();
    if (skip.has(name)) continue;
    if (name === "br") {
      parts.push("\n");
      continue;
    }
    if (name === "img") {
      // An image's alt text is what a reader without images gets; emoji are often images with alt text.
      const alt = item.attribs["alt"];
      if (alt && alt.length <= 200) parts.push(alt);
      continue;
    }
    const block = blockElements.has(name);
    if (block) {
      parts.push("\n");
      stack.push("\n");
    } else if (name === "td" || name === "th") stack.push(" ");
    for (let i = item.children.length - 1; i >= 0; i--) stack.push(item.children[i] as AnyNode);
  }
  return capText(normalizeText(parts.join("")), maxChars);
}

const looksLikeHtml = /<[a-z!/]|&(?:#\d{1,7}|#x[0-9a-f]{1,6}|[a-z][a-z0-9]{1,31});/i;

/**
 * Text from a string that may hold markup or entities (a JSON-LD description, a meta content): parsed as an HTML
 * fragment when it looks like one, otherwise only normalised.
 */
export function htmlToText(value: string, maxChars: number): string {
  // Parse a little more than is kept: the tags of the part kept are stripped, not counted.
  const bounded = value.length > maxChars * 4 ? value.slice(0, maxChars * 4) : value;
  if (!looksLikeHtml.test(bounded)) return capText(normalizeText(bounded), maxChars);
  return textOf(loadHtml(bounded).root().toArray(), maxChars);
}

/** Elements below `root` (not itself) that `accept` picks, in document order; iterative, at most `max`. */
export function descendants(root: AnyNode, accept: (element: Element) => boolean, max = 10_000): Element[] {
  const found: Element[] = [];
  const stack: AnyNode[] = "children" in root ? [...root.children].reverse() : [];
  while (stack.length > 0 && found.length < max) {
    const node = stack.pop() as AnyNode;
    if (node.type !== "tag" && node.type !== "script" && node.type !== "style" && node.type !== "root")
      continue;
    if (node.type !== "root" && accept(node as Element)) found.push(node as Element);
    const children = (node as Element).children;
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i] as AnyNode);
  }
  return found;
}
