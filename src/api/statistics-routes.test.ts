import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { DetectionInput } from "../storage/records.ts";
import { bearer, openApiFixture, seedOrganisation, type ApiFixture } from "./testing/api-fixture.ts";

const elephant = { taxonId: 4521, scientificName: "Loxodonta africana", appendix: "I" } as const;
const offer = (overrides: Partial<DetectionInput> = {}): DetectionInput => ({
  taxa: [elephant],
  score: 0.9,
  verdict: "offer",
  reasons: ["product: ivory"],
  detectorVersion: "detect-1",
  ...overrides,
});
const day = (date: string) => new Date(`${date}T08:00:00.000Z`);

describe("GET /v1/statistics/offers", () => {
  let fixture: ApiFixture;
  let analyst: string;
  let platformOfficer: string;
  let otherAnalyst: string;

  before(async () => {
    fixture = await openApiFixture();
    const unit = await seedOrganisation(fixture.store, "unit", ["analyst", "platform_officer"]);
    const other = await seedOrganisation(fixture.store, "other", ["analyst"]);
    analyst = unit.keys.analyst!;
    platformOfficer = unit.keys.platform_officer!;
    otherAnalyst = other.keys.analyst!;
    const market = await fixture.store.sources.upsert({
      organisationId: unit.organisationId,
      slug: "market",
      name: "Market",
      // A platform name as a hostile page or file could give it: a spreadsheet formula.
      platform: '=HYPERLINK("http://evil.example","click")',
    });
    const theirs = await fixture.store.sources.upsert({
      organisationId: other.organisationId,
      slug: "market",
      name: "Market",
      platform: "market",
    });
    const sighting = (
      sourceId: number,
      key: string,
      date: string,
      detection?: DetectionInput,
      country?: string,
    ) => ({
      sourceId,
      listingKey: key,
      observedAt: day(date),
      url: `https://market.example/${key}`,
      text: `advert ${key}`,
      ...(country ? { country } : {}),
      ...(detection ? { detection } : {}),
    });
    await fixture.store.listings.ingest([
      sighting(market.id, "a", "2026-03-02", offer(), "VN"),
      sighting(market.id, "b", "2026-03-03", offer(), "VN"),
      sighting(market.id, "c", "2026-03-17", offer(), "TH"),
      sighting(market.id, "d", "2026-03-18", offer({ verdict: "mention" }), "TH"),
      sighting(theirs.id, "e", "2026-03-02", offer(), "VN"),
    ]);
  });
  after(() => fixture.close());

  const get = (query: string, secret = analyst) =>
    fixture.app.inject({ url: `/v1/statistics/offers?${query}`, headers: bearer(secret) });

  it("answers dense weekly series and totals of the caller's offers, with readable labels", async () => {
    const response = await get("by=country&interval=week");
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(response.json(), {
      by: "country",
      interval: "week",
      from: null,
      to: null,
      series: [
        {
          key: "VN",
          label: "Vietnam",
          points: [
            { period: "2026-03-02", count: 2 },
            { period: "2026-03-09", count: 0 },
            { period: "2026-03-16", count: 0 },
          ],
        },
        {
          key: "TH",
          label: "Thailand",
          points: [
            { period: "2026-03-02", count: 0 },
            { period: "2026-03-09", count: 0 },
            { period: "2026-03-16", count: 1 },
          ],
        },
      ],
      totals: [
        { key: "VN", label: "Vietnam", count: 2 },
        { key: "TH", label: "Thailand", count: 1 },
      ],
    });
  });

  it("counts within [from, to] by day, and by taxon, appendix and product", async () => {
    const days = (await get("by=appendix&interval=day&from=2026-03-03&to=2026-03-05")).json();
    assert.deepEqual(days.series, [
      {
        key: "I",
        label: "Appendix I",
        points: [
          { period: "2026-03-03", count: 1 },
          { period: "2026-03-04", count: 0 },
          { period: "2026-03-05", count: 0 },
        ],
      },
    ]);
    const taxa = (await get("by=taxon&interval=month")).json();
    assert.deepEqual(taxa.totals, [{ key: "4521", label: "Loxodonta africana", count: 3 }]);
    const products = (await get("by=product")).json();
    assert.deepEqual(products.totals, [{ key: "ivory", label: "ivory", count: 3 }]);
    assert.equal(products.interval, "week", "weeks unless told");
  });

  it("keeps each organisation to its own offers", async () => {
    const theirs = (await get("by=country&interval=month", otherAnalyst)).json();
    assert.deepEqual(theirs.totals, [{ key: "VN", label: "Vietnam", count: 1 }]);
  });

  it("downloads CSV as an attachment with a generated name, formulas defused", async () => {
    const response = await get("by=platform&interval=week&from=2026-03-01&to=2026-03-31&format=csv");
    assert.equal(response.statusCode, 200, response.body);
    assert.match(response.headers["content-type"] as string, /^text\/csv/);
    assert.equal(
      response.headers["content-disposition"],
      'attachment; filename="wildtrawl-offers-by-platform-per-week-2026-03-01-to-2026-03-31.csv"',
    );
    assert.equal(response.headers["x-content-type-options"], "nosniff");
    const lines = response.body.trimEnd().split("\r\n");
    assert.deepEqual(lines, [
      "period,key,label,offers",
      `2026-03-02,"'=HYPERLINK(""http://evil.example"",""click"")","'=HYPERLINK(""http://evil.example"",""click"")",2`,
      `2026-03-16,"'=HYPERLINK(""http://evil.example"",""click"")","'=HYPERLINK(""http://evil.example"",""click"")",1`,
    ]);
  });

  it("refuses a bad range, an unknown dimension, and roles without the permission", async () => {
    const backwards = await get("by=taxon&from=2026-04-01&to=2026-03-01");
    assert.equal(backwards.statusCode, 400);
    assert.equal(backwards.json().error.code, "statistics_range_invalid");
    const notADay = await get("by=taxon&from=2026-02-30");
    assert.equal(notADay.json().error.code, "statistics_range_invalid");
    const tooMany = await get("by=taxon&interval=day&from=2020-01-01&to=2026-01-01");
    assert.equal(tooMany.json().error.code, "statistics_range_invalid");
    assert.equal((await get("by=seller")).statusCode, 400);
    const refused = await get("by=taxon", platformOfficer);
    assert.equal(refused.statusCode, 403);
    assert.equal(
      (await fixture.app.inject({ url: "/v1/statistics/offers?by=taxon" })).statusCode,
      401,
      "no key, no statistics",
    );
  });
});
