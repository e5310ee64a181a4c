/** The roles of the API (src/services/access.ts apiRoles; test/dashboard/i18n.test.ts checks they agree). */
export const roles = [
  "admin",
  "analyst",
  "reviewer",
  "platform_officer",
  "ncb_officer",
  "interpol_analyst",
  "secretariat",
] as const;
export type Role = (typeof roles)[number];

export const everyone: readonly Role[] = roles;
/** Who may read listings (the API's listings.read). */
export const listingReaders: readonly Role[] = [
  "admin",
  "analyst",
  "reviewer",
  "ncb_officer",
  "interpol_analyst",
  "secretariat",
];
/** Who may give verdicts (the API's reviews.write). */
export const reviewers: readonly Role[] = ["admin", "analyst", "reviewer"];
/** Who may capture evidence (evidence.capture). */
export const evidenceCapturers: readonly Role[] = ["admin", "analyst", "reviewer"];
/** Who may export evidence packages (evidence.export). */
export const evidenceExporters: readonly Role[] = ["admin", "analyst", "ncb_officer", "interpol_analyst"];
/** Who may draft takedown notices (takedowns.write). */
export const takedownWriters: readonly Role[] = ["admin", "analyst"];
