import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { apiRoles, keyScopes, type ApiRole } from "../services/access.ts";
import { newPostgresDatabase, postgresSkipReason } from "../storage/testing/test-databases.ts";
import {
  bearer,
  loadReference,
  openApiFixture,
  seedOrganisation,
  type ApiFixture,
} from "./testing/api-fixture.ts";

const worldArbitrary = fc.array(
  fc.record({
    roles: fc.uniqueArray(fc.constantFrom(...apiRoles), { minLength: 1, maxLength: 4 }),
    listings: fc.array(fc.constantFrom("ivory bangle for sale", "pangolin scales $300", "oak chair"), {
      maxLength: 3,
    }),
  }),
  { minLength: 2, maxLength: 3 },
);

/** Every route with an {id} that names an organisation's record, as the OpenAPI description lists them. */
async function idOperations(fixture: ApiFixture): Promise<Array<{ method: string; path: string }>> {
  const spec = (await fixture.app.inject({ url: "/v1/openapi.json" })).json() as {
    paths: Record<string, Record<string, unknown>>;
  };
  return (
    Object.entries(spec.paths)
      // Cases are named by reference, not id: their access is proved by services/case-sharing.test.ts (A1) and the
      // sharing routes' tests.
      .filter(
        ([path]) =>
          path.includes("{id}") && !path.startsWith("/v1/species") && !path.startsWith("/v1/cases/"),
      )
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => ({ method, path })))
  );
}

function accessControl(newDatabase?: () => Promise<import("../storage/store.contract.ts").ContractDatabase>) {
  return async () => {
    await loadReference();
    await fc.assert(
      fc.asyncProperty(worldArbitrary, async (world) => {
        const fixture = await openApiFixture({
          limits: { requestsPerWindow: 1_000_000 },
          ...(newDatabase ? { newDatabase } : {}),
        });
        try {
          const orgs = [];
          for (const [n, spec] of world.entries()) {
            const org = await seedOrganisation(fixture.store, `org-${n}`, [
              ...new Set<ApiRole>(["admin", ...spec.roles]),
            ]);
            const source = await fixture.store.sources.upsert({
              organisationId: org.organisationId,
              slug: "src",
              name: "src",
            });
            const results = await fixture.store.listings.ingest(
              spec.listings.map((text, i) => ({
                sourceId: source.id,
                listingKey: `k${i}`,
                observedAt: fixture.now(),
                url: `https://m.example/${n}/${i}`,
                text,
              })),
            );
            const keys = await fixture.store.apiKeys.listForOrganisation(org.organisationId);
            const run = await fixture.store.sources.startRun(source.id);
            const captureIds: number[] = [];
            for (const { listingId } of results.slice(0, 1)) {
              const at = fixture.now();
              const recorded = await fixture.store.evidence.recordCapture(
                {
                  organisationId: org.organisationId,
                  listingId,
                  url: `https://m.example/${n}/0`,
                  status: "failed",
                  failureReason: "test",
                  startedAt: at,
                  finishedAt: at,
                  sha256: "c".repeat(64),
                  files: [],
                  provenance: {},
                },
                "system:test",
              );
              captureIds.push(recorded.capture.id);
            }
            const takedownIds: number[] = [];
            for (const { listingId } of results.slice(0, 1)) {
              const { notice } = await fixture.store.takedowns.create(
                {
                  organisationId: org.organisationId,
                  listingId,
                  platform: "m-example",
                  idempotencyKey: `listing:${listingId}:notice:1`,
                },
                "system:test",
              );
              takedownIds.push(notice.id);
            }
            orgs.push({
              ...org,
              sourceId: source.id,
              listingIds: results.map((r) => r.listingId),
              keyIds: keys.map((k) => k.id),
              trawlRunIds: [run.id],
              captureIds,
              takedownIds,
            });
          }
          const operations = await idOperations(fixture);
          assert.ok(operations.length >= 8, "the walk covers the ID routes");
          const auditBefore = (await fixture.store.audit.list({ limit: 10_000 })).filter(
            (e) => e.action !== "authz.denied",
          ).length;

          for (const caller of orgs) {
            for (const [role, secret] of Object.entries(caller.keys)) {
              for (const owner of orgs) {
                if (owner === caller) continue;
                // Ids are per table: each route is walked with the other organisation's ids of its own kind.
                const idsByKind: Record<string, number[]> = {
                  listings: owner.listingIds,
                  sources: [owner.sourceId],
                  keys: owner.keyIds,
                  users: Object.values(owner.userIds),
                  "trawl-runs": owner.trawlRunIds,
                  captures: owner.captureIds,
                  takedowns: owner.takedownIds,
                };
                for (const { method, path } of operations) {
                  const foreignIds = idsByKind[path.split("/")[2]!];
                  assert.ok(foreignIds, `classify the ids of ${path} in this test`);
                  for (const id of foreignIds) {
                    const response = await fixture.app.inject({
                      method: method.toUpperCase() as "GET",
                      url: path.replace("{id}", String(id)),
                      headers: bearer(secret),
                      ...(method === "get" || method === "delete"
                        ? {}
                        : {
                            // A valid body for each route, so that only the ownership check can refuse.
                            payload: path.endsWith("/assignment")
                              ? { userId: null }
                              : path.endsWith("/clearance")
                                ? { marking: "RED", handling: "H3" }
                                : path.endsWith("/transitions")
                                  ? { from: "draft", to: "withdrawn" }
                                  : path.endsWith("/send")
                                    ? { reference: "ref-1" }
                                    : { verdict: "illegal_offer" },
                          }),
                    });
                    assert.ok(
                      [403, 404].includes(response.statusCode),
                      `${role} of ${caller.organisationId}: ${method} ${path} ${id} → ${response.statusCode}`,
                    );
                    assert.doesNotMatch(response.body, /ivory|pangolin|oak chair|@org-/);
                  }
                }
              }
              const search = await fixture.app.inject({
                url: "/v1/listings?limit=500",
                headers: bearer(secret),
              });
              if (search.statusCode === 200) {
                const ids = (search.json().items as { id: number }[]).map((l) => l.id).sort();
                assert.deepEqual(
                  ids,
                  [...caller.listingIds].sort(),
                  "search returns exactly the caller's listings",
                );
              } else assert.equal(search.statusCode, 403);
              const sources = await fixture.app.inject({ url: "/v1/sources", headers: bearer(secret) });
              if (sources.statusCode === 200)
                assert.deepEqual(
                  sources.json().items.map((s: { id: number }) => s.id),
                  [caller.sourceId],
                );
              const keys = await fixture.app.inject({ url: "/v1/keys", headers: bearer(secret) });
              if (keys.statusCode === 200)
                assert.deepEqual(
                  keys.json().items.map((k: { id: number }) => k.id),
                  caller.keyIds,
                );
              const audit = await fixture.app.inject({ url: "/v1/audit?limit=500", headers: bearer(secret) });
              if (audit.statusCode === 200) {
                const entries = audit.json().items as { id: number }[];
                const own = (await fixture.store.audit.list({ limit: 10_000 })).filter(
                  (e) => e.organisationId === caller.organisationId,
                );
                assert.deepEqual(
                  entries.map((e) => e.id),
                  own.map((e) => e.id).slice(0, 500),
                );
              }
            }
          }
          // No foreign write went through: nothing but refusals was added to the log, no review, no key revoked.
          const auditAfter = (await fixture.store.audit.list({ limit: 10_000 })).filter(
            (e) => e.action !== "authz.denied",
          ).length;
          assert.equal(auditAfter, auditBefore);
          for (const org of orgs) {
            for (const listingId of org.listingIds)
              assert.deepEqual(await fixture.store.reviews.listForListing(listingId), []);
            for (const key of await fixture.store.apiKeys.listForOrganisation(org.organisationId))
              assert.equal(key.revokedAt, null);
          }
        } finally {
          await fixture.close();
        }
      }),
      { numRuns: newDatabase ? 3 : 8 },
    );
  };
}

describe("access control (A1, A6)", () => {
  it("no read or write crosses an organisation, on SQLite", accessControl());
  const skip = postgresSkipReason();
  it(
    "no read or write crosses an organisation, on PostgreSQL",
    { skip },
    accessControl(skip ? undefined : () => newPostgresDatabase()),
  );
});

describe("keys and the audit log (A7, A9)", () => {
  let fixture: ApiFixture;
  const lines: string[] = [];
  before(async () => {
    const stream = new Writable({
      write: (chunk, _encoding, done) => (lines.push(...String(chunk).split("\n").filter(Boolean)), done()),
    });
    fixture = await openApiFixture({ logger: { level: "info", stream } });
  });
  after(() => fixture.close());

  it("a revoked key gets 401 on its next request; an expired key gets 401; the database holds no secret", async () => {
    const org = await seedOrganisation(fixture.store, "unit", ["admin", "analyst"]);
    const admin = org.keys.admin!;
    const created = await fixture.app.inject({
      method: "POST",
      url: "/v1/keys",
      headers: bearer(admin),
      payload: { name: "script", role: "analyst" },
    });
    assert.equal(created.statusCode, 201);
    const { key, secret } = created.json() as { key: { id: number }; secret: string };
    assert.equal(
      (await fixture.app.inject({ url: "/v1/species?q=lion", headers: bearer(secret) })).statusCode,
      200,
    );
    assert.equal(
      (await fixture.app.inject({ method: "DELETE", url: `/v1/keys/${key.id}`, headers: bearer(admin) }))
        .statusCode,
      200,
    );
    const revoked = await fixture.app.inject({ url: "/v1/species?q=lion", headers: bearer(secret) });
    assert.equal(revoked.statusCode, 401);
    assert.equal(revoked.json().error.code, "api_key_invalid");

    const expiring = await fixture.store.apiKeys.create(
      {
        organisationId: org.organisationId,
        name: "short",
        scopes: keyScopes("analyst", new Date(fixture.now().getTime() + 60_000)),
      },
      "system:test",
    );
    assert.equal(
      (await fixture.app.inject({ url: "/v1/species?q=lion", headers: bearer(expiring.secret) })).statusCode,
      200,
    );
    fixture.advance(60_001);
    const expired = await fixture.app.inject({ url: "/v1/species?q=lion", headers: bearer(expiring.secret) });
    assert.equal(expired.statusCode, 401);
    assert.equal(expired.json().error.code, "api_key_expired");

    const disabledUser = await fixture.app.inject({
      method: "POST",
      url: `/v1/users/${org.userIds.analyst}/disable`,
      headers: bearer(admin),
    });
    assert.equal(disabledUser.statusCode, 200);
    assert.equal(
      (await fixture.app.inject({ url: "/v1/species?q=lion", headers: bearer(org.keys.analyst!) }))
        .statusCode,
      401,
    );

    const dump = (await readFile(fixture.database.url)).toString("latin1");
    for (const plain of [admin, secret, expiring.secret])
      assert.ok(!dump.includes(plain), "a key secret is in the database file");
    const failures = (await fixture.store.audit.list({ limit: 10_000 })).filter(
      (e) => e.action === "auth.failed",
    );
    assert.ok(failures.length >= 3, "authentication failures are audited");
  });

  it("a name with a line break and ANSI escapes is written as exactly one encoded log line", async () => {
    const org = await seedOrganisation(fixture.store, "logs", ["admin"]);
    lines.length = 0;
    const hostile = 'Eve\n{"level":30,"msg":"forged"}\u001b[31m';
    const response = await fixture.app.inject({
      method: "POST",
      url: "/v1/users",
      headers: bearer(org.keys.admin!),
      payload: { email: "eve@logs.example", displayName: hostile, role: "analyst" },
    });
    assert.equal(response.statusCode, 201);
    const audited = await fixture.store.audit.list({ limit: 10_000 });
    assert.equal(audited.at(-1)!.action, "user.created");
    await fixture.app.inject({ method: "GET", url: "/v1/keys", headers: bearer(org.keys.admin!) });
    // The create was audited by the store; a refused call is shipped to the log as well.
    const refused = await fixture.app.inject({
      method: "POST",
      url: "/v1/screen",
      headers: bearer("wt_\u001b[31mforged\nline" + "x".repeat(30)),
      payload: { text: "x" },
    });
    assert.equal(refused.statusCode, 401);
    assert.ok(
      lines.every((line) => !line.includes("\u001b")),
      "no raw escape reaches the log",
    );
    assert.ok(
      lines.every((line) => JSON.parse(line)),
      "every line is one JSON record",
    );
    const failures = lines.filter((line) => line.includes('"auth.failed"'));
    assert.equal(failures.length, 1, "one refused request, one log line");
    assert.match(failures[0]!, /wt_\\\\u001b\[31mfo/, "the escape is written encoded");
  });
});
