import { Type } from "@fastify/type-provider-typebox";
import { passwordMaxLength } from "../services/authentication.ts";

/** Signing in and out, and enrolling an authenticator: the dashboard's side of services/authentication.ts. */

export const SignInRequest = Type.Object(
  {
    email: Type.String({ minLength: 3, maxLength: 254 }),
    // Longer than the policy allows, so that a long password gets the same answer as a wrong one, not a 400.
    password: Type.String({ minLength: 1, maxLength: passwordMaxLength * 4 }),
    totp: Type.Optional(Type.String({ maxLength: 16, description: "the authenticator's 6-digit code" })),
  },
  { additionalProperties: false },
);

export const SessionUser = Type.Object({
  id: Type.Integer(),
  email: Type.String(),
  displayName: Type.String(),
  role: Type.String(),
  organisationId: Type.Integer(),
  mfaEnrolled: Type.Boolean(),
});

export const SessionResponse = Type.Object({
  mfaEnrolmentRequired: Type.Boolean({
    description:
      "true: the person has no authenticator yet and this session may only enrol one (POST /v1/session/mfa)",
  }),
  user: SessionUser,
  expiresAt: Type.String({
    format: "date-time",
    description: "the absolute end; unused for 30 min it ends sooner",
  }),
  idleTimeoutSeconds: Type.Integer(),
});

export const MfaEnrolmentResponse = Type.Object({
  secret: Type.String({
    description: "base32: type it into the authenticator app, or scan the URI as a QR code",
  }),
  uri: Type.String({ description: "otpauth://totp/…" }),
});

export const MfaConfirmRequest = Type.Object(
  {
    secret: Type.String({ minLength: 1, maxLength: 64 }),
    code: Type.String({ minLength: 1, maxLength: 16 }),
  },
  { additionalProperties: false },
);
