import type { AnyNode, Element } from "domhandler";
import { elementsNamed, type ParsedHtml } from "./html-document.ts";
import { parseLenientJson, type JsonValue } from "./lenient-json.ts";
import { textOf } from "./plain-text.ts";
import { resolveHttpUrl } from "./page-url.ts";

/**
 * schema.org data on a page, as JSON-LD-shaped objects whichever syntax carried it: `<script type=application/ld+json>`
 * blocks (arrays, `@graph`, nested entities) and microdata (`itemscope`/`itemprop`), read into the same shape so one
 * mapping serves both.
 */

export type SchemaNode = { readonly [key: string]: JsonValue };

const maxJsonLdScripts = 50;
const maxJsonLdChars = 1_000_000;
const maxNodes = 2_000;
const maxMicrodataItems = 500;
const maxMicrodataProperties = 5_000;

/** The type names of a node, without their "https://schema.org/" prefix. */
export function typesOf(node: SchemaNode): string[] {
  const raw = node["@type"] ?? node["type"];
  const list = Array.isArray(raw) ? raw : [raw];
  return list
    .filter((type): type is string => typeof type === "string")
    .map((type) => type.replace(/^.*[/#:]/, "").trim())
    .filter((type) => type !== "");
}

export function isNode(value: JsonValue | undefined): value is { [key: string]: JsonValue } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const jsonLdRead = new WeakMap<ParsedHtml, SchemaNode[]>();
const microdataRead = new WeakMap<ParsedHtml, SchemaNode[]>();

/** Every node of the page's JSON-LD, top level and `@graph` members first, then what they contain. Read once. */
export function readJsonLd(parsed: ParsedHtml): SchemaNode[] {
  const cached = jsonLdRead.get(parsed);
  if (cached) return cached;
  const roots: JsonValue[] = [];
  for (const element of elementsNamed(parsed, "script").slice(0, 2_000)) {
    if (roots.length >= maxJsonLdScripts) break;
    const type = (element.attribs["type"] ?? "").toLowerCase();
    if (!type.startsWith("application/ld+json")) continue;
    const text = textOfScript(element);
    if (text.length > maxJsonLdChars) continue;
    const value = parseLenientJson(text);
    if (value !== undefined) roots.push(value);
  }
  const nodes = collectNodes(roots);
  jsonLdRead.set(parsed, nodes);
  return nodes;
}

function textOfScript(element: Element): string {
  let text = "";
  for (const child of element.children) if (child.type === "text") text += child.data;
  return text;
}

/** Breadth-first over the values, so top-level entities come before the ones nested in them. Iterative and capped. */
function collectNodes(roots: readonly JsonValue[]): SchemaNode[] {
  const nodes: SchemaNode[] = [];
  const queue: Array<{ value: JsonValue; depth: number }> = roots.map((value) => ({ value, depth: 0 }));
  for (let head = 0; head < queue.length && nodes.length < maxNodes && head < maxNodes * 20; head++) {
    const { value, depth } = queue[head] as { value: JsonValue; depth: number };
    if (depth > 12) continue;
    if (Array.isArray(value)) {
      for (const item of value.slice(0, 500)) queue.push({ value: item, depth: depth + 1 });
      continue;
    }
    if (!isNode(value)) continue;
    const graph = value["@graph"];
    if (graph !== undefined) queue.push({ value: graph, depth: depth + 1 });
    if (typesOf(value).length > 0) nodes.push(value);
    for (const [key, child] of Object.entries(value)) {
      if (key === "@graph" || key === "@context") continue;
      if (typeof child === "object" && child !== null) queue.push({ value: child, depth: depth + 1 });
    }
  }
  return nodes;
}

/** Microdata items of the page (nested ones too), each as a JSON-LD-shaped node. Read once per page. */
export function readMicrodata(parsed: ParsedHtml, baseUrl: string): SchemaNode[] {
  const cached = microdataRead.get(parsed);
  if (cached) return cached;
  const nodes = readMicrodataItems(parsed, baseUrl);
  microdataRead.set(parsed, nodes);
  return nodes;
}

function readMicrodataItems(parsed: ParsedHtml, baseUrl: string): SchemaNode[] {
  const scopes = parsed.index.withItemscope.slice(0, maxMicrodataItems);
  if (scopes.length === 0) return [];
  const items = new Map<Element, { [key: string]: JsonValue }>();
  for (const scope of scopes) {
    const item: { [key: string]: JsonValue } = {};
    const types = (scope.attribs["itemtype"] ?? "").split(/\s+/).filter(Boolean);
    if (types.length > 0) item["@type"] = types.length === 1 ? (types[0] as string) : types;
    const id = scope.attribs["itemid"];
    if (id) item["@id"] = id;
    items.set(scope, item);
  }
  const properties = parsed.index.withItemprop.slice(0, maxMicrodataProperties);
  for (const element of properties) {
    const owner = nearestScope(element, items);
    if (!owner) continue;
    const value: JsonValue = items.get(element) ?? propertyValue(element, baseUrl);
    if (value === "") continue;
    for (const name of (element.attribs["itemprop"] ?? "").split(/\s+/).filter(Boolean).slice(0, 8)) {
      const key = name.replace(/^.*[/#]/, "");
      const existing = owner[key];
      if (existing === undefined) owner[key] = value;
      else if (Array.isArray(existing)) {
        if (existing.length < 100) existing.push(value);
      } else owner[key] = [existing, value];
    }
  }
  // Top-level items first (those that are not a property of another), in document order.
  const topLevel = scopes.filter(
    (scope) => scope.attribs["itemprop"] === undefined || !nearestScope(scope, items),
  );
  const nested = scopes.filter((scope) => !topLevel.includes(scope));
  return [...topLevel, ...nested].map((scope) => items.get(scope) as SchemaNode);
}

/** The item an `itemprop` belongs to: its closest ancestor with `itemscope` (not itself). */
function nearestScope(
  element: Element,
  items: ReadonlyMap<Element, { [key: string]: JsonValue }>,
): { [key: string]: JsonValue } | undefined {
  let parent: AnyNode | null = element.parent;
  for (let steps = 0; parent && steps < 512; steps++) {
    if (parent.type === "tag" || parent.type === "script" || parent.type === "style") {
      const item = items.get(parent as Element);
      if (item) return item;
    }
    parent = parent.parent;
  }
  return undefined;
}

/** The value of a microdata property, by the element that carries it (HTML Living Standard, 5.2.4). */
function propertyValue(element: Element, baseUrl: string): string {
  const name = element.name.toLowerCase();
  const attribute = (key: string) => element.attribs[key];
  const url = (key: string) => {
    const raw = attribute(key);
    return raw ? (resolveHttpUrl(raw, baseUrl) ?? "") : "";
  };
  switch (name) {
    case "meta":
      return attribute("content") ?? "";
    case "a":
    case "area":
    case "link":
      return url("href");
    case "img":
    case "audio":
    case "embed":
    case "iframe":
    case "source":
    case "track":
    case "video":
      return url("src") || url("data-src");
    case "object":
      return url("data");
    case "data":
    case "meter":
      return attribute("value") ?? "";
    case "time":
      return attribute("datetime") ?? textOf(element, 200);
    default:
      // Not in the standard, but common: `<span itemprop="price" content="1200">1.200 €</span>`.
      return attribute("content") ?? textOf(element, 20_000);
  }
}
