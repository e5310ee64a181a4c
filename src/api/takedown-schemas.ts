import { Type } from "@fastify/type-provider-typebox";
import { reportIntervals } from "../core/takedown/takedown-measures.ts";
import { reportFormats } from "../core/takedown/takedown-report-format.ts";
import { takedownStates } from "../storage/records.ts";

/** Request and response schemas of platforms, takedown notices and the takedown report. */

const dateTime = Type.String({ format: "date-time" });
const nullableText = (maxLength: number) => Type.Union([Type.String({ maxLength }), Type.Null()]);
const slug = Type.String({
  pattern: "^[a-z0-9][a-z0-9-]{0,62}$",
  description: "lower case, digits and hyphens",
});
const state = Type.Union(takedownStates.map((s) => Type.Literal(s)));
/** The stored states, and the names for them (drafted, refused, expired). */
const stateInput = Type.String({
  minLength: 1,
  maxLength: 20,
  description: `${takedownStates.join(", ")}; also drafted (draft), refused (rejected), expired (no_response)`,
});

const channels = Type.Object(
  {
    email: Type.Optional(nullableText(320)),
    webFormUrl: Type.Optional(nullableText(2000)),
    apiEndpoint: Type.Optional(nullableText(2000)),
  },
  { additionalProperties: false },
);

const legalBases = Type.Object(
  {
    nationalLaw: Type.Optional(nullableText(2000)),
    policyUrl: Type.Optional(nullableText(2000)),
    dsaArticle16: Type.Optional(
      Type.Boolean({ description: "send as an EU Digital Services Act Article 16 notice" }),
    ),
    trustedFlagger: Type.Optional(
      Type.Union([Type.String({ maxLength: 300 }), Type.Null()], {
        description: "the sender's Article 22 trusted-flagger designation (coordinator, reference)",
      }),
    ),
  },
  { additionalProperties: false },
);

const platformFields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  countries: Type.Optional(Type.Array(Type.String({ pattern: "^[A-Z]{2}$" }), { maxItems: 250 })),
  channels: Type.Optional(channels),
  legalBases: Type.Optional(legalBases),
  defaultLanguage: Type.Optional(Type.String({ maxLength: 35 })),
};

export const NewPlatformRequest = Type.Object({ slug, ...platformFields }, { additionalProperties: false });
export const PutPlatformRequest = Type.Object(platformFields, { additionalProperties: false });
export const PlatformParams = Type.Object({ slug: Type.String({ minLength: 1, maxLength: 63 }) });

export const PlatformSchema = Type.Object({
  id: Type.Integer(),
  slug: Type.String(),
  name: Type.String(),
  countries: Type.Array(Type.String()),
  channels: Type.Object({
    email: Type.Union([Type.String(), Type.Null()]),
    webFormUrl: Type.Union([Type.String(), Type.Null()]),
    apiEndpoint: Type.Union([Type.String(), Type.Null()]),
  }),
  legalBases: Type.Object({
    nationalLaw: Type.Union([Type.String(), Type.Null()]),
    policyUrl: Type.Union([Type.String(), Type.Null()]),
    dsaArticle16: Type.Boolean(),
    trustedFlagger: Type.Union([Type.String(), Type.Null()]),
  }),
  defaultLanguage: Type.String(),
  createdAt: dateTime,
  updatedAt: dateTime,
});

export const PlatformsResponse = Type.Object({ items: Type.Array(PlatformSchema) });

export const NoticeSummarySchema = Type.Object({
  id: Type.Integer(),
  listingId: Type.Integer(),
  platform: Type.String(),
  state,
  stateName: Type.String({
    description: "the issue's name: drafted, sent, acknowledged, removed, refused, expired…",
  }),
  recipient: Type.Union([Type.String(), Type.Null()]),
  channel: Type.Union([Type.Literal("email"), Type.Literal("web_form"), Type.Literal("api"), Type.Null()]),
  language: Type.Union([Type.String(), Type.Null()]),
  reference: Type.Union([Type.String(), Type.Null()]),
  listingUrl: Type.Union([Type.String(), Type.Null()]),
  createdAt: dateTime,
  updatedAt: dateTime,
});

export const NoticesResponse = Type.Object({ items: Type.Array(NoticeSummarySchema) });

export const DraftRequest = Type.Object(
  {
    listingIds: Type.Array(Type.Integer({ minimum: 1, maximum: 2 ** 53 - 1 }), {
      minItems: 1,
      maxItems: 500,
    }),
    language: Type.Optional(
      Type.String({ maxLength: 35, description: "a template language: en, fr, es, pt, de" }),
    ),
  },
  { additionalProperties: false },
);

export const DraftResponse = Type.Object({
  items: Type.Array(NoticeSummarySchema),
  groups: Type.Array(Type.Object({ platform: Type.String(), noticeIds: Type.Array(Type.Integer()) })),
  rejected: Type.Array(
    Type.Object({ listingId: Type.Integer(), code: Type.String(), message: Type.String() }),
  ),
  created: Type.Integer(),
});

export const NoticesQuery = Type.Object(
  {
    platform: Type.Optional(Type.String({ maxLength: 63 })),
    state: Type.Optional(stateInput),
    afterId: Type.Optional(Type.Integer({ minimum: 0 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  },
  { additionalProperties: false },
);

const event = Type.Object({
  id: Type.Integer(),
  fromState: Type.Union([state, Type.Null()]),
  toState: state,
  at: dateTime,
  observedAt: Type.Union([dateTime, Type.Null()]),
  actor: Type.String(),
  note: Type.Union([Type.String(), Type.Null()]),
  details: Type.Record(Type.String(), Type.Unknown()),
});

export const NoticeDetailSchema = Type.Object({
  ...NoticeSummarySchema.properties,
  subject: Type.String(),
  text: Type.String({ description: "the notice as sent: plain text" }),
  json: Type.Record(Type.String(), Type.Unknown(), {
    description: "the notice as data (wildtrawl.takedown-notice/1)",
  }),
  events: Type.Array(event),
});

export const SendRequest = Type.Object(
  {
    reference: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 300,
        description: "sent by hand (web form, API, own e-mail): the platform's reference; omit to e-mail it",
      }),
    ),
    sentAt: Type.Optional(Type.String({ format: "date-time", description: "when it was sent by hand" })),
    by: Type.Optional(Type.String({ maxLength: 200, description: "who sent it by hand" })),
  },
  { additionalProperties: false },
);

export const TransitionRequest = Type.Object(
  {
    from: stateInput,
    to: stateInput,
    note: Type.Optional(Type.String({ maxLength: 2000 })),
    observedAt: Type.Optional(
      Type.String({
        format: "date-time",
        description: "when it happened, if earlier (e.g. the platform's e-mail)",
      }),
    ),
  },
  { additionalProperties: false },
);

export const ReportQuery = Type.Object(
  {
    format: Type.Optional(Type.Union(reportFormats.map((f) => Type.Literal(f)))),
    interval: Type.Optional(Type.Union(reportIntervals.map((i) => Type.Literal(i)))),
    platform: Type.Optional(Type.String({ maxLength: 63 })),
  },
  { additionalProperties: false },
);

export const RevisitSummarySchema = Type.Object({
  checked: Type.Integer(),
  removed: Type.Integer(),
  live: Type.Integer(),
  failed: Type.Integer(),
  /** True when the time allowed ran out before every noticed advert was checked; call again for the rest. */
  incomplete: Type.Boolean(),
  items: Type.Array(
    Type.Object({
      noticeId: Type.Integer(),
      listingId: Type.Integer(),
      platform: Type.String(),
      url: Type.String(),
      outcome: Type.Union([Type.Literal("removed"), Type.Literal("live"), Type.Literal("failed")]),
      reason: Type.String(),
      observedAt: Type.String({ format: "date-time" }),
    }),
  ),
});
