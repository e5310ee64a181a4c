import type { ExtractedComment, ExtractedPrice } from "./extracted-listing.ts";

/** What one way of reading a page found; extraction merges these, strongest way first. */
export interface FieldValues {
  title?: string;
  description?: string;
  price?: ExtractedPrice;
  sellerName?: string;
  sellerId?: string;
  sellerProfileUrl?: string;
  sellerLocation?: string;
  postedAt?: string;
  imageUrls?: string[];
  category?: string;
  canonicalUrl?: string;
  language?: string;
  listingId?: string;
  availability?: string;
  comments?: ExtractedComment[];
}

/** Characters kept per field: enough for any real advert, small enough that a hostile page cannot bloat a record. */
export const fieldLimits = {
  title: 500,
  description: 20_000,
  sellerName: 200,
  sellerId: 200,
  sellerLocation: 300,
  category: 300,
  listingId: 200,
  availability: 60,
  imageUrls: 50,
  comments: 100,
  commentText: 5_000,
  commentAuthor: 200,
} as const;

/** A BCP 47 tag in canonical case ("en-us" → "en-US", "pt_BR" → "pt-BR"), or undefined for anything else. */
export function normalizeLanguage(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const tag = value.trim().replace(/_/g, "-");
  if (!/^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8}){0,4}$/.test(tag)) return undefined;
  try {
    return Intl.getCanonicalLocales(tag)[0];
  } catch {
    return undefined;
  }
}
