import { Type } from "@fastify/type-provider-typebox";
import { tlpMarkings } from "../storage/records.ts";

/** Cases: an organisation's investigations, their TLP marking, and the listings they gather. */

const dateTime = Type.String({ format: "date-time" });
const marking = Type.Union(
  tlpMarkings.map((m) => Type.Literal(m)),
  { description: "TLP 2.0: who may receive what the case holds, and every package exported from it" },
);
const reference = Type.String({
  minLength: 1,
  maxLength: 100,
  description:
    'the agency\'s own file number, e.g. "OP-TUSK-2026/14" (in a path: URL-encoded); not all digits',
});

export const CaseSchema = Type.Object(
  {
    id: Type.Integer(),
    reference: Type.String(),
    title: Type.String(),
    marking,
    createdBy: Type.String(),
    createdAt: dateTime,
  },
  { additionalProperties: false },
);

const CaseListingSchema = Type.Object(
  {
    listingId: Type.Integer(),
    addedBy: Type.String(),
    addedAt: dateTime,
    note: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false },
);

export const CaseParams = Type.Object({ reference });

export const NewCaseRequest = Type.Object(
  {
    reference,
    title: Type.String({ minLength: 1, maxLength: 300 }),
    marking: Type.Optional(marking),
  },
  { additionalProperties: false },
);

export const AddListingsRequest = Type.Object(
  {
    listingIds: Type.Array(Type.Integer({ minimum: 1, maximum: 2 ** 53 - 1 }), {
      minItems: 1,
      maxItems: 500,
    }),
    note: Type.Optional(Type.String({ maxLength: 2000, description: "why they belong to the case" })),
  },
  { additionalProperties: false },
);

export const CaseResponse = Type.Object({ case: CaseSchema }, { additionalProperties: false });
export const CasesResponse = Type.Object({ items: Type.Array(CaseSchema) }, { additionalProperties: false });
export const AddedListingsResponse = Type.Object(
  { case: CaseSchema, added: Type.Array(CaseListingSchema) },
  { additionalProperties: false },
);
export const CaseDetailResponse = Type.Object(
  {
    case: CaseSchema,
    listings: Type.Array(
      Type.Object(
        {
          ...CaseListingSchema.properties,
          listing: Type.Object({
            id: Type.Integer(),
            title: Type.Union([Type.String(), Type.Null()]),
            url: Type.String(),
            verdict: Type.Union([Type.String(), Type.Null()]),
            lastSeenAt: dateTime,
            removedAt: Type.Union([dateTime, Type.Null()]),
          }),
          captures: Type.Integer({ description: "how many captures of the listing exist" }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
