import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { defaultScreeningPolicy } from "../services/screening.ts";
import { apiErrorCodes } from "./api-errors.ts";
import { ScreenBatchResponse } from "./schemas.ts";
import { bearer, openApiFixture, seedOrganisation, type ApiFixture } from "./testing/api-fixture.ts";

describe("screening API", () => {
  let fixture: ApiFixture;
  let key: string;
  let adminKey: string;

  before(async () => {
    fixture = await openApiFixture({ limits: { requestsPerWindow: 1_000_000 } });
    const org = await seedOrganisation(fixture.store, "market", ["platform_officer", "admin", "reviewer"]);
    key = org.keys.platform_officer!;
    adminKey = org.keys.admin!;
  });
  after(() => fixture.close());

  const screen = (payload: unknown, secret = key) =>
    fixture.app.inject({
      method: "POST",
      url: "/v1/screen",
      headers: bearer(secret),
      payload: payload as object,
    });

  const screenBatch = (listings: readonly object[]) =>
    fixture.app.inject({
      method: "POST",
      url: "/v1/screen/batch",
      headers: bearer(key),
      payload: { listings },
    });

  it("blocks a clear offer, allows an ordinary listing, and answers with taxa, reasons and a request id", async () => {
    const offer = await screen({
      id: "ad-1",
      title: "Pangolin scales",
      text: "Genuine pangolin scales 1kg, $300, whatsapp +1 555 0100",
    });
    assert.equal(offer.statusCode, 200);
    const body = offer.json();
    assert.equal(body.verdict, "block");
    assert.equal(body.id, "ad-1");
    assert.match(body.requestId, /^[0-9a-f-]{36}$/);
    assert.equal(offer.headers["x-request-id"], body.requestId);
    assert.ok(
      body.taxa.some(
        (t: { name: string; appendices: string[] }) => t.name === "Manis" && t.appendices.includes("I"),
      ),
    );
    assert.ok(body.reasons.length > 0);

    const chair = await screen({ text: "Handmade oak chair, barely used, collection only" });
    assert.equal(chair.json().verdict, "allow");
    assert.deepEqual(chair.json().taxa, []);
  });

  it("holds a claimed-legal offer for review instead of blocking it", async () => {
    const antique = await screen({
      text: "Antique carved elephant ivory figurine, pre-1947, with certificate, $450",
    });
    assert.equal(antique.json().verdict, "review");
  });

  it("applies the organisation's own policy, and stores nothing about listings unless it keeps statistics", async () => {
    const before = await fixture.store.audit.list({ limit: 10_000 });
    await screen({ text: "Genuine pangolin scales 1kg, $300" });
    assert.equal(
      (await fixture.store.audit.list({ limit: 10_000 })).length,
      before.length,
      "screening wrote nothing",
    );

    const lenient = {
      appendices: {
        I: { review: 0.999, block: 1 },
        II: { review: 1, block: 1 },
        III: { review: 1, block: 1 },
      },
      products: {},
      keepStatistics: true,
    };
    const put = await fixture.app.inject({
      method: "PUT",
      url: "/v1/screening-policy",
      headers: bearer(adminKey),
      payload: lenient,
    });
    assert.equal(put.statusCode, 200);
    const forbidden = await fixture.app.inject({
      method: "PUT",
      url: "/v1/screening-policy",
      headers: bearer(key),
      payload: lenient,
    });
    assert.equal(forbidden.statusCode, 403);
    assert.equal((await screen({ text: "Genuine pangolin scales 1kg, $300" })).json().verdict, "allow");
    const stats = (await fixture.store.audit.list({ limit: 10_000 })).filter(
      (e) => e.action === "screening.statistics",
    );
    assert.equal(stats.length, 1);
    assert.doesNotMatch(
      JSON.stringify(stats[0]!.details),
      /scales|\$300/,
      "statistics keep counts, never the text",
    );

    const bad = await fixture.app.inject({
      method: "PUT",
      url: "/v1/screening-policy",
      headers: bearer(adminKey),
      payload: { ...lenient, appendices: { ...lenient.appendices, I: { review: 0.9, block: 0.1 } } },
    });
    assert.equal(bad.json().error.code, "policy_invalid");
    const restored = await fixture.app.inject({
      method: "PUT",
      url: "/v1/screening-policy",
      headers: bearer(adminKey),
      payload: defaultScreeningPolicy,
    });
    assert.deepEqual(restored.json(), defaultScreeningPolicy);
  });

  it("answers whether a listing offers wildlife at all, and holds unlisted wildlife when the policy says so", async () => {
    const setPolicy = (policy: object) =>
      fixture.app.inject({
        method: "PUT",
        url: "/v1/screening-policy",
        headers: bearer(adminKey),
        payload: policy,
      });
    const budgies = { text: "Baby budgies for sale, hand tame, $40 each" };
    const mammoth = {
      text: "Hand-carved mammoth ivory netsuke of a fisherman, Siberian, $180, ships worldwide",
    };
    const chair = { text: "Handmade oak chair, barely used, $40, collection only" };
    for (const listing of [budgies, mammoth]) {
      const answer = (await screen(listing)).json();
      assert.equal(answer.verdict, "allow", listing.text);
      assert.equal(answer.offersWildlife, true, listing.text);
    }
    assert.equal((await screen(chair)).json().offersWildlife, false);
    const offer = (await screen({ text: "Genuine pangolin scales 1kg, $300, whatsapp +1 555 0100" })).json();
    assert.equal(offer.offersWildlife, true);

    assert.equal((await setPolicy({ ...defaultScreeningPolicy, unlistedWildlife: "block" })).statusCode, 200);
    const blocked = (await screen(budgies)).json();
    assert.equal(blocked.verdict, "block");
    assert.ok(blocked.reasons[0].startsWith("offers wildlife that is no CITES offer"), blocked.reasons[0]);
    assert.ok(
      blocked.reasons[0].endsWith("the policy's verdict for such offers is block"),
      blocked.reasons[0],
    );
    // Mammoth ivory is a claimed substitute: a person checks it, as a claimed-legal CITES offer.
    const held = (await screen(mammoth)).json();
    assert.equal(held.verdict, "review");
    assert.match(held.reasons[0], /a claim of legality or substitute must be checked by a person/);
    assert.equal((await screen(chair)).json().verdict, "allow");
    assert.equal(
      (await setPolicy({ ...defaultScreeningPolicy, unlistedWildlife: "sometimes" })).statusCode,
      400,
    );

    // A policy set before the field existed allows them.
    const { unlistedWildlife: _absent, ...older } = defaultScreeningPolicy;
    assert.equal((await setPolicy(older)).statusCode, 200);
    assert.equal((await screen(budgies)).json().verdict, "allow");
    assert.equal((await setPolicy(defaultScreeningPolicy)).statusCode, 200);
  });

  it("screens a batch in order, reporting a bad listing alone", async () => {
    const listings = [
      { id: "a", text: "ivory carving for sale $200, DM me" },
      { id: "b", text: "" },
      { id: "c", text: "Vintage bicycle, good condition" },
    ];
    const response = await screenBatch(listings);
    assert.equal(response.statusCode, 200);
    const body = response.json();
    assert.deepEqual(
      body.results.map((r: { id: string }) => r.id),
      ["a", "b", "c"],
    );
    assert.equal(body.results[1].error.code, "listing_empty");
    assert.equal(body.results[2].verdict, "allow");
    assert.equal(body.counts.allow + body.counts.review + body.counts.block, 2);
    assert.equal(response.headers["content-type"], "application/json; charset=utf-8");
    assert.equal(response.headers["x-request-id"], body.requestId);
  });

  it("answers each listing of a batch as /v1/screen answers it alone, fields in the schema's order", async () => {
    const listings = [
      { id: "ivory", title: "Bracelet", text: "ivoire véritable, 300 €, envoi possible — MP" },
      { text: "Live baby pangolin for sale, rare pet, cash only" },
      { id: "empty", text: "  " },
      { id: 'quotes "and" \u2028 line \udc00', text: "Rhino horn cup \u0000 with certificate\ud800" },
      { id: "plain", text: "Vintage wooden chess set, one pawn missing" },
    ];
    const response = await screenBatch(listings);
    assert.equal(response.statusCode, 200);
    const body = response.json();
    assert.deepEqual(Object.keys(body), Object.keys(ScreenBatchResponse.properties));
    const fieldOrder = Object.keys(ScreenBatchResponse.properties.results.items.properties);
    for (const [index, listing] of listings.entries()) {
      const answer = body.results[index];
      const keys = Object.keys(answer);
      assert.deepEqual(
        keys,
        [...keys].sort((a, b) => fieldOrder.indexOf(a) - fieldOrder.indexOf(b)),
      );
      const alone = await screen(listing);
      if (alone.statusCode !== 200) {
        assert.deepEqual(answer, { index, id: listing.id, error: alone.json().error });
        continue;
      }
      const { requestId, ...expected } = alone.json();
      assert.match(requestId, /^[0-9a-f-]{36}$/);
      assert.deepEqual(answer, { index, ...expected });
    }
    const verdicts = body.results.filter((answer: { verdict?: string }) => answer.verdict);
    assert.equal(verdicts.length, 4);
    for (const verdict of ["allow", "review", "block"])
      assert.equal(
        body.counts[verdict],
        verdicts.filter((a: { verdict: string }) => a.verdict === verdict).length,
      );

    const tooMany = await fixture.app.inject({
      method: "POST",
      url: "/v1/screen/batch",
      headers: bearer(key),
      payload: { listings: Array.from({ length: 1001 }, () => ({ text: "x" })) },
    });
    assert.equal(tooMany.json().error.code, "batch_too_large");
  });

  it("gives clear 4xx codes for malformed JSON, missing and unknown fields, oversized text and bodies", async () => {
    const raw = (payload: string, contentType = "application/json") =>
      fixture.app.inject({
        method: "POST",
        url: "/v1/screen",
        headers: { ...bearer(key), "content-type": contentType },
        payload,
      });
    const cases: Array<
      [Promise<{ statusCode: number; json(): { error: { code: string } } }>, number, string]
    > = [
      [raw("{not json"), 400, "json_malformed"],
      [raw(""), 400, "body_missing"],
      [raw('{"__proto__": {"x": 1}, "text": "a"}'), 400, "json_malformed"],
      [raw("text=ivory", "application/x-www-form-urlencoded"), 415, "media_type_unsupported"],
      [screen({ tex: "ivory" }), 400, "field_unknown"],
      [screen({}), 400, "listing_empty"],
      [screen({ text: 42 }), 400, "request_invalid"],
      [screen({ text: "a".repeat(50_001) }), 400, "field_too_long"],
      [screen({ text: "a".repeat(300_000) }), 413, "body_too_large"],
      [
        fixture.app.inject({ method: "POST", url: "/v1/screen/batch", headers: bearer(key), payload: {} }),
        400,
        "field_missing",
      ],
    ];
    for (const [response, status, code] of cases) {
      const answer = await response;
      assert.equal(answer.statusCode, status, code);
      assert.equal(answer.json().error.code, code);
    }
  });

  it("H7: 1,000 generated malformed bodies all get a 4xx with a documented code, never a 5xx", async () => {
    const malformed = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.json().filter((text) => {
        const value = JSON.parse(text) as unknown;
        return (
          typeof value !== "object" || value === null || Array.isArray(value) || Object.keys(value).length > 0
        );
      }),
      fc
        .record({
          text: fc.oneof(
            fc.integer(),
            fc.boolean(),
            fc.constant(null),
            fc.array(fc.string()),
            fc.string({ minLength: 50_001, maxLength: 50_010 }),
          ),
        })
        .map((v) => JSON.stringify(v)),
      fc
        .dictionary(
          fc
            .string({ maxLength: 8 })
            .filter(
              (k) => !["id", "title", "text", "price", "seller", "site", "language", "context"].includes(k),
            ),
          fc.jsonValue(),
          { minKeys: 1, maxKeys: 3 },
        )
        .map((v) => JSON.stringify(v)),
      fc
        .record({ text: fc.string(), language: fc.string({ minLength: 40, maxLength: 60 }) })
        .map((v) => JSON.stringify(v)),
      fc.uint8Array({ maxLength: 100 }).map((bytes) => Buffer.from(bytes).toString("latin1")),
    );
    await fc.assert(
      fc.asyncProperty(malformed, fc.constantFrom("/v1/screen", "/v1/screen/batch"), async (payload, url) => {
        const response = await fixture.app.inject({
          method: "POST",
          url,
          headers: { ...bearer(key), "content-type": "application/json" },
          payload,
        });
        if (response.statusCode === 200) {
          // Only a valid single listing may pass; check it really was one.
          assert.equal(url, "/v1/screen");
          return;
        }
        assert.ok(
          response.statusCode >= 400 && response.statusCode < 500,
          `${response.statusCode} for ${payload.slice(0, 80)}`,
        );
        const code = response.json().error.code as string;
        assert.ok(code in apiErrorCodes, `undocumented code ${code}`);
      }),
      { numRuns: 1_000 },
    );
  });

  it("sets security headers and refuses keys in URLs", async () => {
    const response = await fixture.app.inject({ url: "/v1/health" });
    assert.equal(response.headers["x-content-type-options"], "nosniff");
    assert.equal(response.headers["cache-control"], "no-store");
    assert.match(String(response.headers["content-security-policy"]), /default-src 'none'/);
    const inUrl = await fixture.app.inject({
      url: `/v1/species?q=lion&api_key=${key}`,
      headers: bearer(key),
    });
    assert.equal(inUrl.statusCode, 400);
    assert.equal(inUrl.json().error.code, "key_in_url");
  });

  it("rate-limits per key with 429 and Retry-After, leaving other keys alone", async () => {
    const limited = await openApiFixture({ limits: { requestsPerWindow: 3, rateWindowMs: 60_000 } });
    try {
      const org = await seedOrganisation(limited.store, "platform", ["platform_officer", "analyst"]);
      const call = (secret: string) =>
        limited.app.inject({
          method: "POST",
          url: "/v1/screen",
          headers: bearer(secret),
          payload: { text: "a chair" },
        });
      for (let i = 0; i < 3; i++) assert.equal((await call(org.keys.platform_officer!)).statusCode, 200);
      const refused = await call(org.keys.platform_officer!);
      assert.equal(refused.statusCode, 429);
      assert.equal(refused.json().error.code, "rate_limited");
      assert.ok(Number(refused.headers["retry-after"]) > 0);
      assert.equal((await call(org.keys.analyst!)).statusCode, 200);
    } finally {
      await limited.close();
    }
  });
});
