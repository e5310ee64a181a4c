import { createRelistingService } from "../services/relisting.ts";
import type { Store } from "../storage/store.ts";
import { principalOf, type ApiApp } from "./create-api.ts";
import { RelistingsResponse } from "./relisting-schemas.ts";
import { ErrorResponse, IdParams } from "./schemas.ts";

/** The re-listings a listing takes part in, as the removed original or as the copy that brought it back. */
export function registerRelistingRoutes(app: ApiApp, deps: { readonly store: Store }): void {
  const relistings = createRelistingService({ store: deps.store });

  app.get(
    "/listings/:id/relistings",
    {
      config: { permission: "listings.read", action: "read re-listings" },
      schema: {
        tags: ["takedown"],
        summary: "Re-listings of a removed or noticed listing, or of which it is the copy, with every reason",
        params: IdParams,
        response: { 200: RelistingsResponse, 404: ErrorResponse },
      },
    },
    async (request) => ({
      items: await relistings.relistingsOf(request.params.id, principalOf(request).organisationId),
    }),
  );
}
