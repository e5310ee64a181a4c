import {
  compilePattern,
  type ExtractionRules,
  type LinkKindRules,
  type LinkRules,
} from "./extraction-rules.ts";
import { extractLinksFrom } from "./extract-links.ts";
import { defaultHtmlLimits, parseHtml, type HtmlLimits, type ParsedHtml } from "./html-document.ts";
import { capText, normalizeLine, textOf } from "./plain-text.ts";
import { readMetaTags } from "./meta-tags.ts";
import { baseUrlOf } from "./page-url.ts";
import { mainEntity } from "./schema-listing.ts";
import { select } from "./selector-rules.ts";
import { readJsonLd, readMicrodata, typesOf } from "./structured-data.ts";

/**
 * What a fetched page is, so a revisit can record a removal: a listing, a search or index page, a listing that is
 * gone (a "no longer available" page, or a listing URL redirected to search), or something else.
 */
export type PageKind = "listing" | "index" | "removed" | "other";

export interface PageClass {
  readonly kind: PageKind;
  /** Why, for logs and for the record of a removal. */
  readonly reason: string;
}

export interface ClassifiedPage {
  /** The final URL, after redirects. */
  readonly url: string;
  readonly html: string;
  /** The URL that was asked for, when redirects led elsewhere. */
  readonly requestedUrl?: string;
  /** The HTTP status: 404 and 410 mean removed without reading the page. */
  readonly status?: number;
}

/** The slice of a source declaration classification needs: a whole `SourceDeclaration` fits. */
export interface ClassifyRules {
  readonly links?: LinkRules;
  readonly extraction?: Pick<ExtractionRules, "removed">;
}

/** Removal notices of the main marketplaces and forums, lower case, matched in titles, headings and notices. */
const removalPhrases = [
  "no longer available",
  "this listing has ended",
  "this listing was ended",
  "listing has ended",
  "this posting has been deleted",
  "this posting has expired",
  "has been flagged for removal",
  "has been removed",
  "has been deleted",
  "item not found",
  "listing not found",
  "ad not found",
  "no longer exists",
  "item is unavailable",
  "n'est plus disponible",
  "n’est plus disponible",
  "annonce n'existe plus",
  "annonce a été supprimée",
  "annonce expirée",
  "a été retirée",
  "ya no está disponible",
  "publicación finalizada",
  "anuncio eliminado",
  "ha sido eliminado",
  "anuncio expirado",
  "não está mais disponível",
  "anúncio não existe",
  "anúncio removido",
  "anúncio encerrado",
  "anúncio expirado",
  "foi removido",
  "không còn tồn tại",
  "đã bị xóa",
  "đã bị xoá",
  "tin đã hết hạn",
  "sản phẩm không tồn tại",
  "sudah tidak tersedia",
  "telah dihapus",
  "iklan sudah tidak aktif",
  "produk tidak ditemukan",
  "ไม่พบสินค้า",
  "ประกาศนี้ถูกลบ",
  "ถูกลบแล้ว",
  "ไม่มีสินค้านี้",
  "หมดอายุแล้ว",
  "商品已下架",
  "已下架",
  "商品不存在",
  "宝贝不存在",
  "已被删除",
  "帖子已被删除",
  "объявление снято с публикации",
  "объявление удалено",
  "объявление не найдено",
  "товар не найден",
  "nicht mehr verfügbar",
  "wurde gelöscht",
  "angebot wurde beendet",
];

const noticeSelector =
  "title, h1, h2, [role=alert], [class*=notice i], [class*=alert i], [class*=message i], [class*=error i], " +
  "[class*=removed i], [class*=expired i], [class*=unavailable i], [class*=ended i], [class*=deleted i], " +
  "[class*=not-exist i], [class*=not-found i], [class*=notfound i], [id*=notice i], [id*=removed i]";

export function classifyPage(
  page: ClassifiedPage,
  rules: ClassifyRules = {},
  options: { readonly limits?: HtmlLimits } = {},
): PageClass {
  if (page.status === 404 || page.status === 410) return { kind: "removed", reason: `HTTP ${page.status}` };
  return classifyParsed(parseHtml(page.html, options.limits ?? defaultHtmlLimits), page, rules);
}

export function classifyParsed(
  parsed: ParsedHtml,
  page: Omit<ClassifiedPage, "html">,
  rules: ClassifyRules = {},
): PageClass {
  if (page.status === 404 || page.status === 410) return { kind: "removed", reason: `HTTP ${page.status}` };
  const { $ } = parsed;
  const links = rules.links;
  const finalUrl = parseUrl(page.url);
  const requested = page.requestedUrl ? parseUrl(page.requestedUrl) : undefined;

  if (requested && finalUrl && requested.href !== finalUrl.href && links) {
    if (matchesKind(links.listings, requested) && !matchesKind(links.listings, finalUrl)) {
      return { kind: "removed", reason: `listing redirected to ${finalUrl.pathname}${finalUrl.search}` };
    }
  }

  for (const selector of rules.extraction?.removed?.selectors ?? []) {
    if ((select($, selector)?.length ?? 0) > 0)
      return { kind: "removed", reason: `removal marker ${selector}` };
  }
  const notices = select($, noticeSelector)
    ?.toArray()
    .slice(0, 40)
    .map((element) => capText(normalizeLine(textOf(element, 600)), 500).toLowerCase());
  const meta = readMetaTags(parsed);
  const ogTitle = meta.byKey.get("og:title")?.[0]?.slice(0, 500).toLowerCase();
  // A removal notice is a line or two; a long block that happens to say "has been removed" is an advert's text.
  const texts = [...(notices ?? []), ...(ogTitle ? [ogTitle] : [])].filter((text) => text.length <= 300);
  const phrases = [
    ...removalPhrases,
    ...(rules.extraction?.removed?.phrases ?? []).map((p) => p.toLowerCase()),
  ];
  for (const phrase of phrases) {
    if (texts.some((text) => text.includes(phrase)))
      return { kind: "removed", reason: `page says "${phrase}"` };
  }

  if (finalUrl && links && matchesKind(links.listings, finalUrl)) {
    return { kind: "listing", reason: "URL is a listing's" };
  }
  if (finalUrl && links && (matchesKind(links.index, finalUrl) || matchesKind(links.pagination, finalUrl))) {
    return { kind: "index", reason: "URL is a search or index page's" };
  }
  const nodes = [...readJsonLd(parsed), ...readMicrodata(parsed, baseUrlOf(parsed, page.url))];
  if (
    nodes.some((node) => typesOf(node).some((type) => type === "ItemList" || type === "SearchResultsPage"))
  ) {
    return { kind: "index", reason: "schema.org ItemList" };
  }
  if (mainEntity(nodes)) return { kind: "listing", reason: "schema.org product or posting" };
  const ogType = meta.byKey.get("og:type")?.[0]?.toLowerCase() ?? "";
  if (ogType.startsWith("product")) return { kind: "listing", reason: "og:type product" };
  if (links) {
    const found = extractLinksFrom(parsed, page.url, links);
    if (found.listings.length >= 3)
      return { kind: "index", reason: `${found.listings.length} listing links` };
  }
  return { kind: "other", reason: "no sign of a listing or an index" };
}

function parseUrl(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

function matchesKind(kind: LinkKindRules | undefined, url: URL): boolean {
  return (kind?.patterns ?? []).some((pattern) => {
    try {
      return compilePattern(pattern).test(url.pathname + url.search);
    } catch {
      return false;
    }
  });
}
