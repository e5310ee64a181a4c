import assert from "node:assert/strict";
import { it } from "node:test";
import type { ReviewedListing } from "../storage/records.ts";
import { isCitesOffer, isHeldOut, labelledAdvertsFromReviews } from "./labelled-adverts.ts";

it("turns review verdicts into labelled adverts: offers of the listing's taxa, no offer, or nothing", () => {
  const elephant = { taxonId: 4521, scientificName: "Loxodonta africana", appendix: "I" } as const;
  const listing = (listingId: number, verdict: ReviewedListing["verdict"]): ReviewedListing => ({
    listingId,
    verdict,
    title: listingId === 2 ? null : `Item ${listingId}`,
    text: `text ${listingId}`,
    language: listingId === 2 ? null : "en",
    taxa: [elephant, elephant],
  });
  const set = labelledAdvertsFromReviews([
    listing(1, "illegal_offer"),
    listing(2, "legal_offer"),
    listing(3, "not_wildlife"),
    listing(4, "unsure"),
    listing(8, "not_wildlife"),
  ]);
  assert.deepEqual(set.adverts, [
    {
      id: "review-1",
      text: "text 1",
      title: "Item 1",
      lang: "en",
      source: "reviews",
      label_offer: true,
      taxa: ["Loxodonta africana"],
      context: "listing",
    },
    {
      id: "review-2",
      text: "text 2",
      source: "reviews",
      label_offer: true,
      taxa: ["Loxodonta africana"],
      context: "listing",
    },
    {
      id: "review-3",
      text: "text 3",
      title: "Item 3",
      lang: "en",
      source: "reviews",
      label_offer: false,
      taxa: [],
      context: "listing",
    },
    {
      id: "review-8",
      text: "text 8",
      title: "Item 8",
      lang: "en",
      source: "reviews",
      label_offer: false,
      taxa: [],
      context: "listing",
    },
  ]);
  assert.deepEqual(
    set.adverts.map((advert) => [isCitesOffer(advert), isHeldOut(advert)]),
    [
      [true, false],
      [true, false],
      [false, false],
      [false, true],
    ],
  );
});
