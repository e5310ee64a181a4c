import { elementsNamed, type ParsedHtml } from "./html-document.ts";

const maxUrlChars = 2_048;

/**
 * An absolute http(s) URL for `href` as a page wrote it, or undefined: `javascript:`, `data:`, `mailto:` and the
 * like never leave extraction, and neither does anything unparseable or longer than 2,048 characters.
 */
export function resolveHttpUrl(href: string, base: string): string | undefined {
  // Browsers strip leading and trailing C0 controls and spaces, and tabs and newlines anywhere in a URL.
  const cleaned = href
    .replace(/^[\u0000-\u0020]+|(?<![\u0000-\u0020])[\u0000-\u0020]+$/g, "")
    .replace(/[\t\n\r]/g, "");
  if (cleaned === "" || cleaned.length > maxUrlChars) return undefined;
  let url: URL;
  try {
    url = new URL(cleaned, base);
  } catch {
    return undefined;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
  if (url.hostname === "") return undefined;
  const text = url.href;
  return text.length > maxUrlChars ? undefined : text;
}

/** The URL relative links resolve against: `<base href>` when it is http(s), else the page's own. */
export function baseUrlOf(parsed: ParsedHtml, pageUrl: string): string {
  const href = elementsNamed(parsed, "base").find((element) => element.attribs["href"] !== undefined)
    ?.attribs["href"];
  if (href) {
    const resolved = resolveHttpUrl(href, pageUrl);
    if (resolved) return resolved;
  }
  return pageUrl;
}
