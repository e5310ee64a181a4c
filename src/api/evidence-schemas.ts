import { Type } from "@fastify/type-provider-typebox";
import { captureStatuses, custodyActions } from "../storage/records.ts";

/** Evidence: captures of listings, their chain of custody, screenshots and signed packages. */

const dateTime = Type.String({ format: "date-time" });
const nullableText = Type.Union([Type.String(), Type.Null()]);

export const CaptureSchema = Type.Object(
  {
    id: Type.Integer(),
    listingId: Type.Integer(),
    url: Type.String(),
    finalUrl: nullableText,
    status: Type.Union(
      captureStatuses.map((status) => Type.Literal(status)),
      {
        description: "partial and failed captures are kept and say why (failureReason)",
      },
    ),
    failureReason: nullableText,
    startedAt: dateTime,
    finishedAt: dateTime,
    sha256: Type.String({ description: "SHA-256 of the capture's manifest (capture.json)" }),
    files: Type.Array(
      Type.Object({
        role: Type.String({ description: "record, warc, html, dom, screenshot, analysis:…" }),
        path: Type.String({ description: "relative to the evidence folder" }),
        sha256: Type.String(),
        byteLength: Type.Integer(),
      }),
    ),
    provenance: Type.Object({}, { additionalProperties: true }),
    createdAt: dateTime,
  },
  { additionalProperties: false },
);

export const CustodyEntrySchema = Type.Object(
  {
    id: Type.Integer(),
    captureId: Type.Integer(),
    actor: Type.String(),
    action: Type.Union(custodyActions.map((action) => Type.Literal(action))),
    purpose: nullableText,
    at: dateTime,
    details: Type.Object({}, { additionalProperties: true }),
    prevHash: Type.String(),
    entryHash: Type.String(),
  },
  { additionalProperties: false },
);

export const NewCaptureRequest = Type.Union([
  Type.Object(
    { purpose: Type.Optional(Type.String({ maxLength: 500, description: "why, for the custody log" })) },
    { additionalProperties: false },
  ),
  Type.Null(),
]);

export const CaptureResponse = Type.Object({ capture: CaptureSchema });

export const CapturesResponse = Type.Object({ items: Type.Array(CaptureSchema) });

export const CaptureCustodyResponse = Type.Object({
  capture: CaptureSchema,
  custody: Type.Array(CustodyEntrySchema, { description: "the capture's custody entries, oldest first" }),
});

export const PackageQuery = Type.Object(
  { purpose: Type.Optional(Type.String({ maxLength: 500, description: "why, for the custody log" })) },
  { additionalProperties: false },
);
