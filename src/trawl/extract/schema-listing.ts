import type { ExtractedComment, ExtractedPrice } from "./extracted-listing.ts";
import { fieldLimits, normalizeLanguage, type FieldValues } from "./field-values.ts";
import type { JsonValue } from "./lenient-json.ts";
import { resolveHttpUrl } from "./page-url.ts";
import { parseDate } from "./parse-date.ts";
import { normalizeCurrency, parsePrice, parseSchemaPrice } from "./parse-price.ts";
import { capText, htmlToText, normalizeLine } from "./plain-text.ts";
import { isNode, typesOf, type SchemaNode } from "./structured-data.ts";

/**
 * Maps schema.org entities to listing fields: a Product (or IndividualProduct, Vehicle…) with its offers, a lone
 * Offer or AggregateOffer, or a posting (DiscussionForumPosting, SocialMediaPosting, Question…) for forums and
 * social media.
 */

export interface SchemaContext {
  readonly baseUrl: string;
  readonly referenceTime?: string;
  readonly dateOrder?: "dmy" | "mdy" | "ymd";
  readonly currency?: string;
  readonly language?: string;
}

const productTypes = new Set([
  "Product",
  "IndividualProduct",
  "ProductModel",
  "SomeProducts",
  "ProductGroup",
  "Vehicle",
  "Car",
  "Motorcycle",
  "ClassifiedAd",
]);
const offerTypes = new Set(["Offer", "AggregateOffer"]);
const postingTypes = new Set([
  "DiscussionForumPosting",
  "SocialMediaPosting",
  "BlogPosting",
  "Question",
  "Article",
  "NewsArticle",
  "Posting",
]);

type Node = { readonly [key: string]: JsonValue };

/** The entity the page is about: a product first, then a lone offer, then a posting. */
export function mainEntity(nodes: readonly SchemaNode[]): { item: Node; offers: Node[] } | undefined {
  const hasAny = (node: Node, types: ReadonlySet<string>) => typesOf(node).some((type) => types.has(type));
  const offered = (offer: Node) => {
    const value = offer["itemOffered"];
    return Array.isArray(value) ? value.find(isNode) : isNode(value) ? value : undefined;
  };
  // An offer wrapping its product ("itemOffered") comes first: the product nested in it has no offers of its own.
  const wrapping = nodes.find((node) => hasAny(node, offerTypes) && offered(node) !== undefined);
  if (wrapping) {
    const item = offered(wrapping) as Node;
    return { item, offers: [wrapping, ...offersOf(item)] };
  }
  const product = nodes.find(
    (node) => hasAny(node, productTypes) && (node["name"] !== undefined || node["offers"]),
  );
  if (product) return { item: product, offers: offersOf(product) };
  const offer = nodes.find((node) => hasAny(node, offerTypes));
  if (offer) return { item: offer, offers: [offer] };
  const posting = nodes.find((node) => hasAny(node, postingTypes));
  if (posting) return { item: posting, offers: offersOf(posting) };
  return undefined;
}

function offersOf(item: Node): Node[] {
  const offers = item["offers"];
  const list = Array.isArray(offers) ? offers : offers === undefined ? [] : [offers];
  const result: Node[] = [];
  for (const offer of list.slice(0, 50)) {
    if (!isNode(offer)) continue;
    result.push(offer);
    // An AggregateOffer may list its offers too; they come after it.
    const inner = offer["offers"];
    for (const nested of (Array.isArray(inner) ? inner : [inner]).slice(0, 50))
      if (isNode(nested)) result.push(nested);
  }
  return result;
}

export function listingFromSchema(nodes: readonly SchemaNode[], context: SchemaContext): FieldValues {
  const main = mainEntity(nodes);
  const values: FieldValues = {};
  const category = breadcrumbCategory(nodes);
  if (!main) {
    if (category) values.category = category;
    return values;
  }
  const { item, offers } = main;
  const set = <K extends keyof FieldValues>(key: K, value: FieldValues[K] | undefined) => {
    if (value !== undefined && value !== "" && !(Array.isArray(value) && value.length === 0))
      values[key] = value;
  };
  set("title", line(item["name"] ?? item["headline"], fieldLimits.title));
  set(
    "description",
    text(item["description"] ?? item["articleBody"] ?? item["text"], fieldLimits.description),
  );
  set("language", normalizeLanguage(languageOf(item["inLanguage"])));
  set("price", priceOf(offers, context, values.language));
  const seller = sellerOf(item, offers);
  if (seller) {
    set("sellerName", line(seller["name"] ?? seller["alternateName"], fieldLimits.sellerName));
    set("sellerId", identifierOf(seller));
    set("sellerProfileUrl", urlOf(seller["url"], context.baseUrl));
  } else {
    set("sellerName", line(item["author"] ?? item["seller"], fieldLimits.sellerName));
  }
  set("sellerLocation", locationOf(item, offers, seller));
  const posted = firstString(
    item["datePosted"] ??
      item["datePublished"] ??
      item["dateCreated"] ??
      item["uploadDate"] ??
      offers[0]?.["validFrom"],
  );
  if (posted) set("postedAt", parseDate(posted, dateHints(context)));
  set("imageUrls", imagesOf(item["image"] ?? item["photo"] ?? item["thumbnailUrl"], context.baseUrl));
  set("category", categoryOf(item["category"]) ?? category);
  set("canonicalUrl", urlOf(item["url"] ?? item["mainEntityOfPage"], context.baseUrl));
  set(
    "listingId",
    line(item["sku"] ?? item["productID"] ?? offers[0]?.["sku"], fieldLimits.listingId) ?? identifierOf(item),
  );
  const availability = firstString(
    offers.map((offer) => offer["availability"]).find((value) => value !== undefined),
  );
  if (availability)
    set("availability", capText(availability.replace(/^.*[/#:]/, ""), fieldLimits.availability));
  const comments = commentsOf(item, context);
  if (comments.length > 0) values.comments = comments;
  return values;
}

function dateHints(context: SchemaContext) {
  return {
    ...(context.referenceTime ? { referenceTime: context.referenceTime } : {}),
    ...(context.dateOrder ? { dateOrder: context.dateOrder } : {}),
  };
}

/** The first string in a value: itself, the first of a list, an object's `@value`, `name` or `url`. */
function firstString(value: JsonValue | undefined): string | undefined {
  for (let current = value, steps = 0; current !== undefined && current !== null && steps < 8; steps++) {
    if (typeof current === "string") return current;
    if (typeof current === "number") return String(current);
    if (Array.isArray(current)) current = current[0];
    else if (isNode(current))
      current = current["@value"] ?? current["name"] ?? current["url"] ?? current["value"];
    else return undefined;
  }
  return undefined;
}

function line(value: JsonValue | undefined, maxChars: number): string | undefined {
  const raw = firstString(value);
  if (raw === undefined) return undefined;
  const result = capText(normalizeLine(htmlToText(raw, maxChars)), maxChars);
  return result || undefined;
}

function text(value: JsonValue | undefined, maxChars: number): string | undefined {
  const raw = firstString(value);
  if (raw === undefined) return undefined;
  return htmlToText(raw, maxChars) || undefined;
}

function urlOf(value: JsonValue | undefined, baseUrl: string): string | undefined {
  const raw = isNode(value) ? firstString(value["@id"] ?? value["url"]) : firstString(value);
  return raw ? resolveHttpUrl(raw, baseUrl) : undefined;
}

function languageOf(value: JsonValue | undefined): string | undefined {
  if (isNode(value)) return firstString(value["alternateName"] ?? value["name"]);
  return firstString(value);
}

function identifierOf(node: Node): string | undefined {
  const identifier = node["identifier"];
  if (isNode(identifier)) return line(identifier["value"], fieldLimits.sellerId);
  const direct = line(identifier, fieldLimits.sellerId);
  if (direct) return direct;
  // An @id that is not a URL is the site's own key ("seller-4711"); a URL or blank node says nothing more.
  const id = firstString(node["@id"]);
  if (id && !/^(?:https?:|_:|#)/i.test(id) && id.length <= fieldLimits.sellerId) return id;
  return undefined;
}

function sellerOf(item: Node, offers: readonly Node[]): Node | undefined {
  for (const candidate of [
    ...offers.map((offer) => offer["seller"]),
    item["seller"],
    item["author"],
    item["creator"],
  ]) {
    const node = Array.isArray(candidate) ? candidate.find(isNode) : candidate;
    if (isNode(node)) return node;
  }
  return undefined;
}

function addressText(value: JsonValue | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return addressText(value[0]);
  if (!isNode(value)) return undefined;
  if (value["address"] !== undefined) return addressText(value["address"]);
  const parts = ["addressLocality", "addressRegion", "addressCountry"]
    .map((key) => firstString(value[key]))
    .filter((part): part is string => Boolean(part));
  if (parts.length > 0) return [...new Set(parts)].join(", ");
  return firstString(value["name"]);
}

function locationOf(item: Node, offers: readonly Node[], seller: Node | undefined): string | undefined {
  const candidates: Array<JsonValue | undefined> = [
    // Not eligibleRegion: that is where the offer ships to, not where the seller is.
    ...offers.flatMap((offer) => [offer["availableAtOrFrom"], offer["areaServed"]]),
    seller?.["address"],
    seller?.["homeLocation"],
    item["contentLocation"],
    item["locationCreated"],
    item["address"],
  ];
  for (const candidate of candidates) {
    const found = addressText(candidate);
    if (found) return capText(normalizeLine(found), fieldLimits.sellerLocation) || undefined;
  }
  return undefined;
}

function imagesOf(value: JsonValue | undefined, baseUrl: string): string[] {
  const list = Array.isArray(value) ? value : [value];
  const urls: string[] = [];
  for (const entry of list.slice(0, fieldLimits.imageUrls * 2)) {
    const raw = isNode(entry)
      ? firstString(entry["contentUrl"] ?? entry["contentURL"] ?? entry["url"])
      : firstString(entry);
    const url = raw ? resolveHttpUrl(raw, baseUrl) : undefined;
    if (url && !urls.includes(url)) urls.push(url);
    if (urls.length >= fieldLimits.imageUrls) break;
  }
  return urls;
}

function categoryOf(value: JsonValue | undefined): string | undefined {
  if (value === undefined) return undefined;
  const list = Array.isArray(value) ? value : [value];
  const names = list.map((entry) => firstString(entry)).filter((name): name is string => Boolean(name));
  if (names.length === 0) return undefined;
  return capText(normalizeLine(names.join(" > ")), fieldLimits.category) || undefined;
}

/** "Reptiles > Tortoises" from the page's BreadcrumbList, without the link to the site's home page. */
function breadcrumbCategory(nodes: readonly SchemaNode[]): string | undefined {
  const list = nodes.find((node) => typesOf(node).includes("BreadcrumbList"));
  if (!list) return undefined;
  const elements = list["itemListElement"];
  const items = (Array.isArray(elements) ? elements : [elements]).filter(isNode).slice(0, 20);
  const named = items
    .map((element) => {
      const item = element["item"];
      const url = isNode(item) ? firstString(item["@id"] ?? item["url"]) : firstString(item);
      return {
        position:
          typeof element["position"] === "number" ? element["position"] : Number(element["position"] ?? 0),
        name: firstString(element["name"] ?? (isNode(item) ? item["name"] : undefined)),
        home: url !== undefined && /^(?:https?:\/\/[^/]+)?\/?$/i.test(url.trim()),
      };
    })
    .filter(
      (entry): entry is { position: number; name: string; home: boolean } =>
        Boolean(entry.name) && !entry.home,
    )
    .sort((a, b) => a.position - b.position)
    .map((entry) => normalizeLine(entry.name))
    .filter((name) => !/^(?:home|accueil|inicio|início|trang chủ|beranda|หน้าแรก|首页|главная)$/i.test(name));
  return named.length > 0 ? capText(named.join(" > "), fieldLimits.category) : undefined;
}

function priceOf(
  offers: readonly Node[],
  context: SchemaContext,
  language: string | undefined,
): ExtractedPrice | undefined {
  for (const offer of offers) {
    const specifications = offer["priceSpecification"];
    const specification = (Array.isArray(specifications) ? specifications : [specifications]).find(isNode);
    const currency =
      normalizeCurrency(offer["priceCurrency"]) ??
      normalizeCurrency(specification?.["priceCurrency"]) ??
      (context.currency ? normalizeCurrency(context.currency) : undefined);
    const low = offer["lowPrice"] ?? specification?.["minPrice"];
    const high = offer["highPrice"] ?? specification?.["maxPrice"];
    const single = offer["price"] ?? specification?.["price"];
    const amount = parseSchemaPrice(single ?? low, currency);
    const maxAmount = high !== undefined ? parseSchemaPrice(high, currency) : undefined;
    if (amount === undefined) {
      // A price written for people ("Contact seller", "1,5 jt") rather than machines.
      const written = firstString(single);
      if (written) {
        const hints = {
          ...(currency ? { currency } : {}),
          ...((language ?? context.language) ? { language: (language ?? context.language) as string } : {}),
        };
        const parsed = parsePrice(written, hints);
        if (parsed) return parsed;
      }
      continue;
    }
    const raw = capText(
      [firstString(single ?? low), maxAmount ? `– ${firstString(high)}` : "", currency ?? ""]
        .filter(Boolean)
        .join(" "),
      200,
    );
    const isRange = maxAmount !== undefined && maxAmount !== amount && single === undefined;
    return {
      amount,
      ...(isRange ? { maxAmount } : {}),
      ...(currency ? { currency } : {}),
      raw,
      kind: isRange ? "range" : amount === "0" ? "free" : "amount",
    };
  }
  return undefined;
}

function commentsOf(item: Node, context: SchemaContext): ExtractedComment[] {
  const raw = item["comment"] ?? item["suggestedAnswer"] ?? item["acceptedAnswer"];
  const list = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter(isNode);
  const comments: ExtractedComment[] = [];
  for (const comment of list.slice(0, fieldLimits.comments)) {
    const body = text(
      comment["text"] ?? comment["articleBody"] ?? comment["description"],
      fieldLimits.commentText,
    );
    if (!body) continue;
    const author = line(comment["author"], fieldLimits.commentAuthor);
    const date = firstString(comment["dateCreated"] ?? comment["datePublished"]);
    const postedAt = date ? parseDate(date, dateHints(context)) : undefined;
    comments.push({ text: body, ...(author ? { author } : {}), ...(postedAt ? { postedAt } : {}) });
  }
  return comments;
}
