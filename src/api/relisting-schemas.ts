import { Type } from "@fastify/type-provider-typebox";

/** Schemas of the re-listing routes: what a re-listing is and why, as the API shows it. */

const hex64 = Type.String({ pattern: "^[0-9a-f]{16}$", description: "a 64-bit image hash, 16 hex digits" });

export const RelistingReasonSchema = Type.Union(
  [
    Type.Object({
      kind: Type.Literal("text"),
      similarity: Type.Number({ description: "Jaccard similarity of the two texts' word pairs, 0 to 1" }),
      simhashDistance: Type.Integer({ description: "bits in which the two SimHashes differ, of 64" }),
    }),
    Type.Object({
      kind: Type.Literal("image"),
      distance: Type.Integer({ description: "bits in which the two photos' dHashes differ, of 64" }),
      originalImage: hex64,
      newImage: hex64,
    }),
    Type.Object({
      kind: Type.Literal("seller"),
      key: Type.String({ description: "the shared seller key: phone:…, handle:… or seller:…" }),
    }),
    Type.Object({ kind: Type.Literal("reappeared") }),
  ],
  { $id: "RelistingReason" },
);

export const RelistingSchema = Type.Object(
  {
    id: Type.Integer(),
    originalListingId: Type.Integer({ description: "the listing that was removed or noticed" }),
    newListingId: Type.Integer({
      description: "the listing that brings it back (the same id if it reappeared)",
    }),
    reasons: Type.Array(RelistingReasonSchema),
    detectedAt: Type.String({ format: "date-time" }),
  },
  { $id: "Relisting" },
);

export const RelistingsResponse = Type.Object({ items: Type.Array(RelistingSchema) });
