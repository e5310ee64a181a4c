import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import fc from "fast-check";
import { canonicalJson } from "../hash-chain.ts";
import type { JsonObject, ListingContent } from "../records.ts";
import { contentHash } from "./listing-ingest-plan.ts";

const genericHash = (content: ListingContent) =>
  createHash("sha256").update(canonicalJson(content)).digest("hex");

const text = fc.string({ unit: "binary", maxLength: 40 });
const attributes = fc.jsonValue({ maxDepth: 2 }).map((value) => ({ value }) as JsonObject);
const content: fc.Arbitrary<ListingContent> = fc.record({
  url: text,
  title: fc.option(text),
  text,
  priceAmount: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true })),
  priceCurrency: fc.option(text),
  seller: fc.option(text),
  language: fc.option(text),
  country: fc.option(text),
  attributes: fc.oneof(attributes, fc.constant({})),
});

describe("a listing's content hash", () => {
  it("is the SHA-256 of the content's canonical JSON, for any content", () => {
    fc.assert(
      fc.property(content, (listing) => assert.equal(contentHash(listing), genericHash(listing))),
      { numRuns: 1000 },
    );
  });

  it("stays the hash already stored for a listing", () => {
    // Pinned: a stored version's hash must not change when the code that computes it does.
    const listing: ListingContent = {
      url: "https://shop.example/p/42",
      title: "Carved ivory bangle",
      text: "Antique, 12 cm. Ship worldwide, DM.",
      priceAmount: 1200.5,
      priceCurrency: "EUR",
      seller: "old_curios",
      language: "en",
      country: "FR",
      attributes: { images: ["https://shop.example/i/1.jpg"], category: "Jewellery" },
    };
    assert.equal(contentHash(listing), genericHash(listing));
    assert.equal(contentHash(listing), "861881152d0e26f85ff71231f03fb9e57d30948c02870e180db538d11bfd1a31");
  });

  it("takes the generic walk for content missing a field, as a stored row from an older version might be", () => {
    const partial = { url: "u", text: "t", attributes: {} } as unknown as ListingContent;
    assert.equal(contentHash(partial), genericHash(partial));
  });
});
