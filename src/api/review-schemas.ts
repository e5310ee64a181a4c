import { Type } from "@fastify/type-provider-typebox";
import { precisionGroupings, precisionIntervals } from "../services/flag-precision.ts";

/** The review queue, assignments and flag precision: request and response schemas. */

const dateTime = Type.String({ format: "date-time" });
const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);
const appendix = Type.Union([Type.Literal("I"), Type.Literal("II"), Type.Literal("III")]);

export const ReviewQueueQuery = Type.Object(
  {
    source: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: "a source's id or slug" }),
    ),
    taxon: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: "a scientific name; a genus finds its species",
      }),
    ),
    language: Type.Optional(Type.String({ minLength: 1, maxLength: 35 })),
    country: Type.Optional(Type.String({ pattern: "^[A-Za-z]{2}$", description: "ISO 3166-1 alpha-2" })),
    assignee: Type.Optional(
      Type.String({
        pattern: "^(me|none|[1-9][0-9]{0,15})$",
        description: "me (the caller), none (nobody), or a user id",
      }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);

const queueItem = Type.Object({
  listingId: Type.Integer(),
  title: nullable(Type.String()),
  url: Type.String(),
  sourceId: Type.Integer(),
  source: Type.String({ description: "the source's slug" }),
  platform: nullable(Type.String()),
  seller: nullable(Type.String()),
  price: nullable(Type.Object({ amount: Type.Number(), currency: nullable(Type.String()) })),
  language: nullable(Type.String()),
  country: nullable(Type.String()),
  score: Type.Number(),
  taxa: Type.Array(Type.Object({ taxonId: Type.Integer(), name: Type.String(), appendix }), {
    description: "Appendix I first, at most five",
  }),
  assignee: nullable(
    Type.Object({ userId: Type.Integer(), displayName: Type.String(), assignedAt: dateTime }),
  ),
  firstSeenAt: dateTime,
  lastSeenAt: dateTime,
});

export const ReviewQueueResponse = Type.Object({
  items: Type.Array(queueItem, {
    description: "highest score first, then Appendix I before II before III, then newest",
  }),
  nextCursor: nullable(Type.String()),
});

export const AssignmentRequest = Type.Object(
  {
    userId: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], {
      description: "the person to review the listing, or null to clear the assignment",
    }),
  },
  { additionalProperties: false },
);

export const AssignmentResponse = Type.Object({
  listingId: Type.Integer(),
  assignee: nullable(
    Type.Object({
      userId: Type.Integer(),
      displayName: Type.String(),
      assignedBy: Type.String(),
      assignedAt: dateTime,
    }),
  ),
});

export const PrecisionQuery = Type.Object(
  {
    by: Type.Optional(
      Type.Union(
        precisionGroupings.map((g) => Type.Literal(g)),
        { default: "verdict" },
      ),
    ),
    interval: Type.Optional(
      Type.Union(
        precisionIntervals.map((i) => Type.Literal(i)),
        { default: "month" },
      ),
    ),
    from: Type.Optional(Type.String({ format: "date-time", description: "verdicts given at or after" })),
    to: Type.Optional(Type.String({ format: "date-time", description: "verdicts given before" })),
  },
  { additionalProperties: false },
);

const counts = {
  reviewed: Type.Integer({ description: "reviewed flags, unsure included" }),
  illegalOffer: Type.Integer(),
  legalOffer: Type.Integer(),
  notWildlife: Type.Integer(),
  unsure: Type.Integer(),
  precision: nullable(Type.Number({ description: "(illegal + legal offers) / (reviewed − unsure)" })),
};
const group = Type.Object({ key: Type.String(), ...counts });

export const PrecisionResponse = Type.Object({
  by: Type.String(),
  interval: Type.String(),
  from: nullable(dateTime),
  to: nullable(dateTime),
  flagScore: Type.Number({ description: "a detection is a flag when it says offer or scores at least this" }),
  ...counts,
  notFlagged: Type.Integer({ description: "verdicts on listings that were not flagged: in no share" }),
  groups: Type.Array(group),
  periods: Type.Array(
    Type.Object({ period: Type.String(), start: dateTime, ...counts, groups: Type.Array(group) }),
  ),
});
