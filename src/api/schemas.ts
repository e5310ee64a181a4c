import { Type } from "@fastify/type-provider-typebox";
import { apiRoles } from "../services/access.ts";
import { reviewVerdicts } from "../storage/records.ts";

/** Request and response schemas: they validate requests, shape responses, and are the OpenAPI description. */

export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: "stable, machine-readable: see docs/api.md" }),
      message: Type.String({ description: "for people; may change" }),
    }),
  },
  { $id: "Error" },
);

const appendix = Type.Union([Type.Literal("I"), Type.Literal("II"), Type.Literal("III")]);
const verdict = Type.Union([Type.Literal("offer"), Type.Literal("mention"), Type.Literal("none")]);
const role = Type.Union(apiRoles.map((r) => Type.Literal(r)));

export const textLimits = {
  id: 200,
  title: 1_000,
  text: 50_000,
  price: 200,
  seller: 500,
  site: 500,
  language: 35,
} as const;

export const ScreenListing = Type.Object(
  {
    id: Type.Optional(Type.String({ maxLength: textLimits.id, description: "your reference, echoed back" })),
    title: Type.Optional(Type.String({ maxLength: textLimits.title })),
    text: Type.Optional(Type.String({ maxLength: textLimits.text, description: "the description" })),
    price: Type.Optional(
      Type.String({ maxLength: textLimits.price, description: "as shown, e.g. '$1,200'" }),
    ),
    seller: Type.Optional(Type.String({ maxLength: textLimits.seller })),
    site: Type.Optional(Type.String({ maxLength: textLimits.site })),
    language: Type.Optional(
      Type.String({ maxLength: textLimits.language, pattern: "^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$" }),
    ),
    context: Type.Optional(Type.Union([Type.Literal("listing"), Type.Literal("post")])),
  },
  { additionalProperties: false, description: "one listing; text or title must be non-empty" },
);

export const maxBatchListings = 1_000;

export const ScreenBatchRequest = Type.Object(
  { listings: Type.Array(ScreenListing, { minItems: 1, maxItems: maxBatchListings }) },
  { additionalProperties: false },
);

const screenedTaxon = Type.Object({
  id: Type.String({ description: "Species+ taxon id" }),
  name: Type.String(),
  rank: Type.String(),
  appendices: Type.Array(appendix),
  listedThrough: Type.Optional(Type.String()),
});

const screeningVerdict = Type.Union([Type.Literal("allow"), Type.Literal("review"), Type.Literal("block")]);

const screeningFields = {
  verdict: screeningVerdict,
  score: Type.Number({ description: "probability that the listing offers a CITES-listed taxon" }),
  offersWildlife: Type.Boolean({
    description:
      "offers wildlife, CITES-listed or not (mammoth ivory, a budgerigar): every CITES offer and more",
  }),
  taxa: Type.Array(screenedTaxon),
  products: Type.Array(Type.String()),
  reasons: Type.Array(Type.String()),
  detectorVersion: Type.String(),
};

export const ScreenResponse = Type.Object({
  requestId: Type.String(),
  id: Type.Optional(Type.String()),
  ...screeningFields,
});

export const ScreenBatchResponse = Type.Object({
  requestId: Type.String(),
  counts: Type.Object({ allow: Type.Integer(), review: Type.Integer(), block: Type.Integer() }),
  results: Type.Array(
    Type.Object(
      {
        index: Type.Integer(),
        id: Type.Optional(Type.String()),
        verdict: Type.Optional(screeningVerdict),
        score: Type.Optional(Type.Number()),
        offersWildlife: Type.Optional(Type.Boolean()),
        taxa: Type.Optional(Type.Array(screenedTaxon)),
        products: Type.Optional(Type.Array(Type.String())),
        reasons: Type.Optional(Type.Array(Type.String())),
        detectorVersion: Type.Optional(Type.String()),
        error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
      },
      { description: "in the order sent: a screening answer, or an error for that listing alone" },
    ),
  ),
});

const thresholds = Type.Object(
  { review: Type.Number({ minimum: 0, maximum: 1 }), block: Type.Number({ minimum: 0, maximum: 1 }) },
  { additionalProperties: false },
);

export const ScreeningPolicy = Type.Object(
  {
    appendices: Type.Object(
      { I: thresholds, II: thresholds, III: thresholds },
      { additionalProperties: false },
    ),
    products: Type.Record(Type.String({ maxLength: 40 }), thresholds),
    keepStatistics: Type.Boolean(),
    unlistedWildlife: Type.Optional(
      Type.Union([Type.Literal("allow"), Type.Literal("review"), Type.Literal("block")], {
        description:
          "the verdict for an offer of wildlife that is not CITES-listed (mammoth ivory, a budgerigar); " +
          "allow when absent; a claimed substitute is reviewed, never blocked",
      }),
    ),
  },
  { additionalProperties: false },
);

export const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2 ** 53 - 1 }) });

export const SpeciesSearchQuery = Type.Object(
  {
    q: Type.String({ minLength: 1, maxLength: 200 }),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  },
  { additionalProperties: false },
);

const speciesHit = Type.Object({
  id: Type.String(),
  name: Type.String(),
  rank: Type.String(),
  listed: Type.Boolean(),
  appendices: Type.Array(Type.String()),
  matchedName: Type.Optional(Type.Object({ text: Type.String(), kind: Type.String(), lang: Type.String() })),
  quality: Type.String(),
});

export const SpeciesSearchResponse = Type.Object({ items: Type.Array(speciesHit) });

export const TaxonParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 40, pattern: "^[0-9A-Za-z_:.-]+$" }),
});

/** The report of `species show`: its fields are documented with TaxonReport in src/core/species/taxon-report.ts. */
export const TaxonReportResponse = Type.Object(
  { id: Type.String(), name: Type.String(), rank: Type.String(), inReferenceData: Type.Boolean() },
  { additionalProperties: true },
);

export const ListingSearchQuery = Type.Object(
  {
    q: Type.Optional(Type.String({ maxLength: 500 })),
    taxon: Type.Optional(Type.String({ maxLength: 200 })),
    appendix: Type.Optional(appendix),
    verdict: Type.Optional(verdict),
    sourceId: Type.Optional(Type.Integer({ minimum: 1 })),
    language: Type.Optional(Type.String({ maxLength: 35 })),
    country: Type.Optional(Type.String({ pattern: "^[A-Z]{2}$" })),
    removed: Type.Optional(Type.Boolean()),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
    cursor: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);

const detectedTaxon = Type.Object({ taxonId: Type.Number(), scientificName: Type.String(), appendix });
const dateTime = Type.String({ format: "date-time" });
const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);

export const ListingSchema = Type.Object(
  {
    id: Type.Integer(),
    sourceId: Type.Integer(),
    listingKey: Type.String(),
    url: Type.String(),
    title: nullable(Type.String()),
    text: Type.String(),
    priceAmount: nullable(Type.Number()),
    priceCurrency: nullable(Type.String()),
    seller: nullable(Type.String()),
    language: nullable(Type.String()),
    country: nullable(Type.String()),
    firstSeenAt: dateTime,
    lastSeenAt: dateTime,
    removedAt: nullable(dateTime),
    version: Type.Integer(),
    verdict: nullable(verdict),
    score: nullable(Type.Number()),
    detectorVersion: nullable(Type.String()),
    taxa: Type.Array(detectedTaxon),
  },
  { additionalProperties: true },
);

export const ListingPageResponse = Type.Object({
  items: Type.Array(ListingSchema),
  nextCursor: nullable(Type.String()),
});

export const DetectionsResponse = Type.Object({
  items: Type.Array(
    Type.Object(
      {
        id: Type.Integer(),
        listingVersion: Type.Integer(),
        verdict,
        score: Type.Number(),
        taxa: Type.Array(detectedTaxon),
        reasons: Type.Array(Type.String()),
        detectorVersion: Type.String(),
        detectedAt: dateTime,
      },
      { additionalProperties: true },
    ),
  ),
});

export const HistoryResponse = Type.Object({
  items: Type.Array(
    Type.Object({ version: Type.Integer(), observedAt: dateTime }, { additionalProperties: true }),
  ),
});

/** A person's verdict (records.ts reviewVerdicts); `verdict` above is the detector's. */
export const reviewVerdict = Type.Union(reviewVerdicts.map((v) => Type.Literal(v)));

export const ReviewSchema = Type.Object({
  id: Type.Integer(),
  listingId: Type.Integer(),
  detectionId: nullable(Type.Integer()),
  reviewerId: Type.Integer(),
  verdict: reviewVerdict,
  note: nullable(Type.String()),
  reviewedAt: dateTime,
});

export const ReviewsResponse = Type.Object({ items: Type.Array(ReviewSchema) });

export const NewReviewRequest = Type.Object(
  {
    verdict: reviewVerdict,
    note: Type.Optional(Type.String({ maxLength: 5_000 })),
    detectionId: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);

export const SourceSchema = Type.Object(
  {
    id: Type.Integer(),
    slug: Type.String(),
    name: Type.String(),
    platform: nullable(Type.String()),
    baseUrl: nullable(Type.String()),
    createdAt: dateTime,
    updatedAt: dateTime,
  },
  { additionalProperties: false },
);

export const SourcesResponse = Type.Object({ items: Type.Array(SourceSchema) });

export const KeySchema = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  prefix: Type.String({ description: "the first characters of the secret, to tell keys apart" }),
  role: nullable(role),
  userId: nullable(Type.Integer()),
  createdAt: dateTime,
  expiresAt: nullable(dateTime),
  revokedAt: nullable(dateTime),
  lastUsedAt: nullable(dateTime),
});

export const KeysResponse = Type.Object({ items: Type.Array(KeySchema) });

export const NewKeyRequest = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    role,
    expiresAt: Type.Optional(dateTime),
    userId: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);

export const CreatedKeyResponse = Type.Object({
  key: KeySchema,
  secret: Type.String({ description: "shown this once: only its hash is stored" }),
});

export const UserSchema = Type.Object({
  id: Type.Integer(),
  email: Type.String(),
  displayName: Type.String(),
  role: Type.String(),
  createdAt: dateTime,
  disabledAt: nullable(dateTime),
});

export const NewUserRequest = Type.Object(
  {
    email: Type.String({ minLength: 3, maxLength: 254 }),
    displayName: Type.String({ minLength: 1, maxLength: 200 }),
    role,
  },
  { additionalProperties: false },
);

export const AuditQuery = Type.Object(
  {
    afterId: Type.Optional(Type.Integer({ minimum: 0 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  },
  { additionalProperties: false },
);

export const AuditResponse = Type.Object({
  items: Type.Array(
    Type.Object({
      id: Type.Integer(),
      at: dateTime,
      actor: Type.String(),
      action: Type.String(),
      subjectType: nullable(Type.String()),
      subjectId: nullable(Type.String()),
      details: Type.Object({}, { additionalProperties: true }),
      entryHash: Type.String(),
    }),
  ),
  nextAfterId: nullable(Type.Integer()),
});

export const HealthResponse = Type.Object({ status: Type.Literal("ok") });
