import type { Advert } from "../../core/detect/detect.ts";
import type { ExtractedListing } from "./extracted-listing.ts";

/** The advert detection reads, from an extracted listing and where it was published. */
export function toAdvert(
  listing: ExtractedListing,
  where: { readonly site?: string; readonly context?: "listing" | "post" } = {},
): Advert {
  return {
    ...(listing.title !== undefined ? { title: listing.title } : {}),
    ...(listing.description !== undefined ? { text: listing.description } : {}),
    ...(listing.price !== undefined ? { price: listing.price.raw } : {}),
    ...(listing.seller.name !== undefined ? { seller: listing.seller.name } : {}),
    ...(where.site !== undefined ? { site: where.site } : {}),
    ...(listing.language !== undefined ? { language: listing.language } : {}),
    ...(where.context !== undefined ? { context: where.context } : {}),
  };
}
