import { NotFoundError, UsageError, WildtrawlError } from "../core/errors.ts";
import { AuthenticationError, PermissionError } from "../services/access.ts";
import { ConflictError, StorageUnavailableError } from "../storage/storage-errors.ts";

/**
 * Every error code the API sends, with its HTTP status. docs/api.md lists the same codes (a test keeps them equal);
 * a code never changes meaning once published.
 */
export const apiErrorCodes = {
  // The request itself
  json_malformed: 400,
  body_missing: 400,
  request_invalid: 400,
  field_missing: 400,
  field_unknown: 400,
  field_too_long: 400,
  batch_too_large: 400,
  key_in_url: 400,
  listing_empty: 400,
  policy_invalid: 400,
  role_invalid: 400,
  expiry_in_past: 400,
  cursor_invalid: 400,
  review_needs_user: 400,
  user_email_invalid: 400,
  verdict_invalid: 400,
  assignee_cannot_review: 400,
  date_range_invalid: 400,
  mfa_secret_invalid: 400,
  mfa_code_invalid: 400,
  body_too_large: 413,
  media_type_unsupported: 415,
  // Who is asking
  authentication_required: 401,
  api_key_invalid: 401,
  api_key_expired: 401,
  credentials_invalid: 401,
  mfa_required: 401,
  mfa_invalid: 401,
  session_invalid: 401,
  session_expired: 401,
  session_required: 401,
  forbidden: 403,
  csrf_header_missing: 403,
  mfa_enrolment_required: 403,
  rate_limited: 429,
  login_throttled: 429,
  // What is asked for
  route_not_found: 404,
  taxon_not_found: 404,
  listing_not_found: 404,
  detection_not_found: 404,
  source_not_found: 404,
  user_not_found: 404,
  api_key_not_found: 404,
  user_exists: 409,
  mfa_already_enrolled: 409,
  // The server
  request_timeout: 408,
  storage_unavailable: 503,
  internal_error: 500,
  // Trawl runs, evidence and statistics (the dashboard's operations screens)
  trawl_run_not_found: 404,
  capture_not_found: 404,
  screenshot_missing: 404,
  source_not_trawlable: 400,
  statistics_range_invalid: 400,
  trawl_run_active: 409,
  trawl_run_not_running: 409,
  trawl_run_not_here: 409,
  capture_integrity_failed: 409,
  trawl_capacity_reached: 429,
  captures_busy: 429,
  // Takedown: platforms and notices (docs/api.md, "Takedown")
  platform_invalid: 400,
  listing_ids_missing: 400,
  language_unsupported: 400,
  takedown_state_invalid: 400,
  takedown_use_send: 400,
  send_reference_missing: 400,
  sent_before_drafted: 400,
  observed_before_drafted: 400,
  observed_in_future: 400,
  takedown_no_recipient: 400,
  platform_not_found: 404,
  takedown_not_found: 404,
  platform_exists: 409,
  takedown_transition_invalid: 409,
  takedown_state_changed: 409,
  takedown_not_sendable: 409,
  takedown_send_failed: 502,
  smtp_not_configured: 503,
  // Cases and sharing between organisations (docs/sharing.md)
  case_invalid: 400,
  case_note_too_long: 400,
  case_empty: 400,
  share_target_invalid: 400,
  sharing_group_invalid: 400,
  clearance_above_role: 400,
  sharing_group_owner: 400,
  case_read_only: 403,
  share_not_permitted: 403,
  share_widens: 403,
  case_not_found: 404,
  organisation_not_found: 404,
  sharing_group_not_found: 404,
  share_not_found: 404,
  case_exists: 409,
  case_ambiguous: 409,
  sharing_group_exists: 409,
} as const satisfies Record<string, number>;

export type ApiErrorCode = keyof typeof apiErrorCodes;

/** The status for a typed error: by class, the code only refining it. */
export function statusForError(error: WildtrawlError): number {
  const known = (apiErrorCodes as Record<string, number>)[error.code];
  if (known !== undefined) return known;
  if (error instanceof AuthenticationError) return 401;
  if (error instanceof PermissionError) return 403;
  if (error instanceof NotFoundError) return 404;
  if (error instanceof ConflictError) return 409;
  if (error instanceof UsageError) return 400;
  if (error instanceof StorageUnavailableError) return 503;
  return 500;
}

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}
