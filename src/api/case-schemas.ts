import { Type } from "@fastify/type-provider-typebox";
import { handlingCodes, shareProfiles, tlpMarkings } from "../storage/records.ts";

/** Cases: an organisation's investigations, their TLP marking, and the listings they gather. */

const dateTime = Type.String({ format: "date-time" });
const marking = Type.Union(
  tlpMarkings.map((m) => Type.Literal(m)),
  { description: "TLP 2.0: who may receive what the case holds, and every package exported from it" },
);
const handling = Type.Union(
  handlingCodes.map((code) => Type.Literal(code)),
  {
    description: "handling code: H0 none, H1 not for court without permission, H2 no dissemination, H3 other",
  },
);
const ownerSlug = Type.String({
  minLength: 1,
  maxLength: 100,
  description: "the owning organisation's slug, when cases of several organisations share the reference",
});
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
    handling,
    sharingGroupId: Type.Union([Type.Integer(), Type.Null()]),
    owner: Type.Optional(Type.String({ description: "the owning organisation's slug" })),
    access: Type.Optional(
      Type.Object(
        { write: Type.Boolean(), share: Type.Boolean() },
        {
          description: "what the caller may do: their role ∩ the share's profile",
          additionalProperties: false,
        },
      ),
    ),
    createdBy: Type.String(),
    createdAt: dateTime,
  },
  {
    additionalProperties: false,
    description:
      "marking and handling are those the caller sees the case under: a share's, never weaker than its own",
  },
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
export const CaseOwnerQuery = Type.Object(
  { owner: Type.Optional(ownerSlug) },
  { additionalProperties: false },
);
export const CasesQuery = Type.Object(
  {
    q: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: "words in the reference or title" }),
    ),
  },
  { additionalProperties: false },
);
export const CasePackageQuery = Type.Object(
  {
    purpose: Type.Optional(Type.String({ maxLength: 500, description: "why, for the custody log" })),
    owner: Type.Optional(ownerSlug),
  },
  { additionalProperties: false },
);

export const ShareCaseRequest = Type.Object(
  {
    organisation: Type.Optional(
      Type.String({ minLength: 1, maxLength: 100, description: "an organisation's slug" }),
    ),
    sharingGroup: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: "a sharing group's slug" }),
    ),
    profile: Type.Optional(
      Type.Union(
        shareProfiles.map((p) => Type.Literal(p)),
        {
          description:
            "read, or write (add listings); default: read from the owner, else the grant passed on",
        },
      ),
    ),
    marking: Type.Optional(marking),
    handling: Type.Optional(handling),
    onwardHops: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 2, description: "how many more times it may be passed on" }),
    ),
  },
  { additionalProperties: false },
);

export const ShareSchema = Type.Object(
  {
    id: Type.Integer(),
    caseId: Type.Integer(),
    organisationId: Type.Union([Type.Integer(), Type.Null()]),
    sharingGroupId: Type.Union([Type.Integer(), Type.Null()]),
    profile: Type.String(),
    marking,
    handling,
    onwardHops: Type.Integer(),
    parentShareId: Type.Union([Type.Integer(), Type.Null()]),
    grantedByOrganisationId: Type.Integer(),
    createdBy: Type.String(),
    createdAt: dateTime,
  },
  { additionalProperties: false },
);
export const ShareResponse = Type.Object({ share: ShareSchema }, { additionalProperties: false });
export const SharesResponse = Type.Object(
  { items: Type.Array(ShareSchema) },
  { additionalProperties: false },
);

export const CaseShareParams = Type.Object({
  reference,
  id: Type.Integer({ minimum: 1, maximum: 2 ** 53 - 1, description: "the share" }),
});
export const WithdrawnSharesResponse = Type.Object(
  {
    withdrawn: Type.Array(Type.Integer(), {
      description: "the share withdrawn, then the shares passed on from it, withdrawn with it",
    }),
  },
  { additionalProperties: false },
);

export const NewSharingGroupRequest = Type.Object(
  {
    slug: Type.String({ minLength: 1, maxLength: 64 }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    members: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
      maxItems: 200,
      description: "the member organisations' slugs (yours is always one)",
    }),
  },
  { additionalProperties: false },
);
export const SharingGroupParams = Type.Object({ slug: Type.String({ minLength: 1, maxLength: 64 }) });
const organisationSlugs = (description: string) =>
  Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 200, description }));
export const SharingGroupMembersRequest = Type.Object(
  {
    add: organisationSlugs("organisations to add, by slug"),
    remove: organisationSlugs("organisations to remove, by slug (never the owner)"),
  },
  { additionalProperties: false },
);
const SharingGroupSchema = Type.Object(
  {
    id: Type.Integer(),
    organisationId: Type.Integer(),
    slug: Type.String(),
    name: Type.String(),
    memberIds: Type.Array(Type.Integer()),
    createdBy: Type.String(),
    createdAt: dateTime,
  },
  { additionalProperties: false },
);
export const SharingGroupResponse = Type.Object(
  { group: SharingGroupSchema },
  { additionalProperties: false },
);
export const SharingGroupsResponse = Type.Object(
  { items: Type.Array(SharingGroupSchema) },
  { additionalProperties: false },
);

export const ClearanceRequest = Type.Object({ marking, handling }, { additionalProperties: false });
export const ClearanceResponse = Type.Object(
  {
    userId: Type.Integer(),
    marking,
    handling,
    setBy: Type.Union([Type.String(), Type.Null()], { description: "null: the role's default" }),
    setAt: Type.Union([dateTime, Type.Null()]),
  },
  { additionalProperties: false },
);

export const NewCaseRequest = Type.Object(
  {
    reference,
    title: Type.String({ minLength: 1, maxLength: 300 }),
    marking: Type.Optional(marking),
    handling: Type.Optional(handling),
    sharingGroup: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: "a sharing group of yours whose members read the case under its markings",
      }),
    ),
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
