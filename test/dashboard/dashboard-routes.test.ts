import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { createApi } from "../../src/api/create-api.ts";
import {
  DashboardMissingError,
  dashboardCsp,
  parseCspReports,
  serveDashboard,
} from "../../src/api/dashboard-routes.ts";
import {
  bearer,
  openApiFixture,
  seedOrganisation,
  type ApiFixture,
} from "../../src/api/testing/api-fixture.ts";
import { loadReference } from "../../src/api/testing/api-fixture.ts";
import { ingestAdverts } from "./dashboard-server.ts";

// The dashboard's routes without a browser: CSP reports, the listing analysis, and serving a (tiny) built app.

let fixture: ApiFixture;
let keys: Record<string, string>;
let organisationId: number;

before(async () => {
  fixture = await openApiFixture();
  const seeded = await seedOrganisation(fixture.store, "ngo", ["admin", "reviewer", "platform_officer"]);
  keys = seeded.keys;
  organisationId = seeded.organisationId;
});

after(async () => {
  await fixture?.close();
});

const violation = {
  "csp-report": {
    "document-uri": "http://127.0.0.1:8080/listings/3",
    "effective-directive": "script-src-elem",
    "blocked-uri": "inline",
    "line-number": 12,
    "script-sample": "alert(1)",
  },
};

function postReport(body: unknown, contentType: string, remoteAddress: string) {
  return fixture.app.inject({
    method: "POST",
    url: "/v1/csp-reports",
    headers: { "content-type": contentType },
    payload: typeof body === "string" ? body : JSON.stringify(body),
    remoteAddress,
  });
}

test("CSP reports are taken from anyone in both browser formats, and only admins read them back", async () => {
  assert.equal((await postReport(violation, "application/csp-report", "10.0.0.1")).statusCode, 204);
  const reportingApi = [
    {
      type: "csp-violation",
      url: "http://127.0.0.1:8080/review",
      body: {
        documentURL: "http://127.0.0.1:8080/review",
        effectiveDirective: "script-src-attr",
        blockedURL: "inline",
      },
    },
    { type: "deprecation", body: { message: "ignored: not a CSP report" } },
  ];
  assert.equal((await postReport(reportingApi, "application/reports+json", "10.0.0.1")).statusCode, 204);

  const read = await fixture.app.inject({ url: "/v1/csp-reports", headers: bearer(keys.admin!) });
  assert.equal(read.statusCode, 200);
  const items = read.json().items as {
    effectiveDirective: string;
    sample: string;
    lineNumber: number | null;
  }[];
  assert.deepEqual(
    items.slice(-2).map((item) => [item.effectiveDirective, item.sample, item.lineNumber]),
    [
      ["script-src-elem", "alert(1)", 12],
      ["script-src-attr", "", null],
    ],
  );
  const refused = await fixture.app.inject({ url: "/v1/csp-reports", headers: bearer(keys.reviewer!) });
  assert.equal(refused.statusCode, 403);
});

test("CSP reports of another type, too large, malformed or too many are refused with the API's errors", async () => {
  const plainJson = await postReport(violation, "application/json", "10.0.0.2");
  assert.equal(plainJson.statusCode, 415);
  const huge = { "csp-report": { ...violation["csp-report"], "script-sample": "x".repeat(20_000) } };
  const tooLarge = await postReport(huge, "application/csp-report", "10.0.0.2");
  assert.equal(tooLarge.statusCode, 413);
  assert.equal(tooLarge.json().error.code, "body_too_large");
  const malformed = await postReport("{not json", "application/csp-report", "10.0.0.2");
  assert.equal(malformed.statusCode, 400);
  assert.equal(malformed.json().error.code, "json_malformed");
  const notAReport = await postReport({ hello: "world" }, "application/csp-report", "10.0.0.2");
  assert.equal(notAReport.statusCode, 400);
  assert.equal(notAReport.json().error.code, "request_invalid");

  const statuses: number[] = [];
  for (let n = 0; n < 62; n += 1)
    statuses.push((await postReport(violation, "application/csp-report", "10.0.0.3")).statusCode);
  assert.deepEqual(statuses.slice(0, 60), new Array(60).fill(204));
  assert.deepEqual(statuses.slice(60), [429, 429]);
  // Another address is not held back by the first one's reports.
  assert.equal((await postReport(violation, "application/csp-report", "10.0.0.4")).statusCode, 204);
  // A minute later the address may report again.
  fixture.advance(60_000);
  assert.equal((await postReport(violation, "application/csp-report", "10.0.0.3")).statusCode, 204);
});

test("only the latest 200 reports are kept", async () => {
  for (let n = 0; n < 210; n += 1) {
    const body = { "csp-report": { ...violation["csp-report"], "line-number": 1_000 + n } };
    await postReport(body, "application/csp-report", `10.9.${Math.floor(n / 50)}.${n % 50}`);
  }
  const items = (await fixture.app.inject({ url: "/v1/csp-reports", headers: bearer(keys.admin!) })).json()
    .items as { lineNumber: number }[];
  assert.equal(items.length, 200);
  assert.equal(items.at(-1)?.lineNumber, 1_209);
});

test("the reports kept are bounded, each field cut to size", () => {
  const long = { "csp-report": { "document-uri": "u".repeat(5_000), "script-sample": "s".repeat(5_000) } };
  const [report] = parseCspReports(long, new Date("2026-05-01T00:00:00Z"));
  assert.equal(report?.documentUri.length, 500);
  assert.equal(report?.sample.length, 200);
  const many = Array.from({ length: 50 }, () => ({ type: "csp-violation", body: {} }));
  assert.equal(parseCspReports(many, new Date()).length, 20);
});

test("a listing's analysis gives every matched term with offsets into the stored fields", async () => {
  const [id] = await ingestAdverts(
    fixture.store,
    organisationId,
    [
      {
        key: "parrot",
        url: "https://market.example/parrot",
        title: "Grey parrot",
        text: "Hand-reared African grey parrot (Psittacus erithacus) for sale, 450 EUR.",
        seller: "<b>birds</b>",
        priceText: "€ 450",
      },
    ],
    fixture.now(),
  );
  const response = await fixture.app.inject({
    url: `/v1/listings/${id}/analysis`,
    headers: bearer(keys.reviewer!),
  });
  assert.equal(response.statusCode, 200);
  const analysis = response.json() as {
    fields: Record<string, string>;
    matches: { field: string; start: number; end: number; text: string; term: string }[];
    taxa: { name: string; appendices: string[] }[];
  };
  assert.equal(analysis.fields.price, "€ 450");
  assert.equal(analysis.fields.seller, "<b>birds</b>");
  for (const match of analysis.matches)
    assert.equal(analysis.fields[match.field]!.slice(match.start, match.end), match.text);
  assert.ok(analysis.matches.some((match) => match.text === "Psittacus erithacus" && match.field === "text"));
  assert.ok(
    analysis.taxa.some((taxon) => taxon.name === "Psittacus erithacus" && taxon.appendices.includes("I")),
  );

  // The wildlife-offer score's points come only where that score decided: for budgies, not for the grey parrot.
  assert.equal((response.json() as { offersWildlife: boolean }).offersWildlife, true);
  assert.equal((response.json() as { wildlifeScoreParts?: unknown }).wildlifeScoreParts, undefined);
  const [budgies] = await ingestAdverts(
    fixture.store,
    organisationId,
    [
      {
        key: "budgies",
        url: "https://market.example/budgies",
        title: "Budgies",
        text: "Baby budgies for sale, hand tame, $40 each",
        seller: "aviary",
        priceText: "$40",
      },
    ],
    fixture.now(),
  );
  const unlisted = (
    await fixture.app.inject({ url: `/v1/listings/${budgies}/analysis`, headers: bearer(keys.reviewer!) })
  ).json() as { offersWildlife: boolean; wildlifeScoreParts?: { label: string; points: number }[] };
  assert.equal(unlisted.offersWildlife, true);
  assert.ok(
    unlisted.wildlifeScoreParts?.some((part) =>
      part.label.startsWith("base rate (most adverts offer no wildlife)"),
    ),
    JSON.stringify(unlisted),
  );

  const elsewhere = await seedOrganisation(fixture.store, "other", ["reviewer"]);
  const hidden = await fixture.app.inject({
    url: `/v1/listings/${id}/analysis`,
    headers: bearer(elsewhere.keys.reviewer!),
  });
  assert.equal(hidden.statusCode, 404, "another organisation's listing is not found");
  const officer = await fixture.app.inject({
    url: `/v1/listings/${id}/analysis`,
    headers: bearer(keys.platform_officer!),
  });
  assert.equal(officer.statusCode, 403);
});

test("serving a build: files, client routes to index.html, never /v1; a missing build says how to make one", async () => {
  const dist = await mkdtemp(path.join(tmpdir(), "wildtrawl-dist-"));
  try {
    await writeFile(path.join(dist, "index.html"), "<!doctype html><title>t</title>");
    const reference = await loadReference();
    const app = createApi({ store: fixture.store, ...reference, clock: fixture.now, version: "test" });
    await serveDashboard(app, { distDir: dist });
    await app.ready();
    for (const url of ["/", "/review", "/listings/7?x=1", "/species/Q1"]) {
      const page = await app.inject({ url });
      assert.equal(page.statusCode, 200, url);
      assert.equal(page.body, "<!doctype html><title>t</title>", url);
      assert.equal(page.headers["content-security-policy"], dashboardCsp, url);
      assert.equal(page.headers["cross-origin-opener-policy"], "same-origin");
      assert.equal(page.headers["cache-control"], "no-cache");
    }
    const api = await app.inject({ url: "/v1/listings" });
    assert.equal(api.statusCode, 401, "the API still asks who is calling");
    assert.notEqual(api.headers["content-security-policy"], dashboardCsp);
    assert.equal((await app.inject({ url: "/v1/nothing-here" })).json().error.code, "route_not_found");
    assert.equal((await app.inject({ url: "/missing.css" })).statusCode, 404);
    await app.close();

    const empty = await mkdtemp(path.join(tmpdir(), "wildtrawl-dist-"));
    const bare = createApi({ store: fixture.store, ...reference, clock: fixture.now, version: "test" });
    await assert.rejects(serveDashboard(bare, { distDir: empty }), (error: unknown) => {
      assert.ok(error instanceof DashboardMissingError);
      assert.match(error.message, /npm run build:web/);
      return true;
    });
    await bare.close();
    await rm(empty, { recursive: true });
  } finally {
    await rm(dist, { recursive: true, force: true });
  }
});
