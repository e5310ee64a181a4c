import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { readPackage, verifyPackage } from "../evidence/package-verify.ts";
import type { PackageManifest } from "../evidence/package-layout.ts";
import { startFixtureSite, type FixtureSite } from "../evidence/testing/fixture-site.ts";
import { openStore } from "../storage/open-store.ts";
import type { Store } from "../storage/store.ts";
import { newSqliteDatabase } from "../storage/testing/test-databases.ts";
import { createApi, type ApiApp } from "./create-api.ts";
import { bearer, loadReference, seedOrganisation } from "./testing/api-fixture.ts";

describe("cases: /v1/cases", () => {
  let site: FixtureSite;
  let store: Store;
  let app: ApiApp;
  let directory: string;
  let drop: () => Promise<void>;
  let keys: Record<string, string>;
  let otherAnalyst: string;
  let listingIds: number[];
  let otherListingId: number;
  const reference = "OP-TUSK-2026/14";
  const inPath = encodeURIComponent(reference);

  before(async () => {
    const [referenceData, database] = await Promise.all([loadReference(), newSqliteDatabase()]);
    site = await startFixtureSite();
    drop = database.drop;
    directory = await mkdtemp(path.join(tmpdir(), "wildtrawl-case-api-"));
    store = await openStore(database.url);
    app = createApi({
      store,
      ...referenceData,
      clock: () => new Date(),
      version: "test",
      limits: { keyCacheMs: 0 },
      operations: {
        dataDir: path.join(directory, "data"),
        warcDir: path.join(directory, "warc"),
        chromiumPath: null,
      },
    });
    await app.ready();
    const unit = await seedOrganisation(store, "unit", ["analyst", "reviewer", "secretariat"]);
    const other = await seedOrganisation(store, "other", ["analyst"]);
    keys = unit.keys;
    otherAnalyst = other.keys.analyst!;
    const listingsOf = async (organisationId: number, items: number[]) => {
      const source = await store.sources.upsert({
        organisationId,
        slug: "local-site",
        name: "Local site",
        config: { allowPrivateNetwork: true },
      });
      const ingested = await store.listings.ingest(
        items.map((item) => ({
          sourceId: source.id,
          listingKey: `AD-${item}`,
          observedAt: new Date(),
          url: `${site.origin}/item/${item}`,
          title: `Ivory carving ${item}`,
          text: "Genuine elephant ivory",
        })),
      );
      return ingested.map((result) => result.listingId);
    };
    listingIds = await listingsOf(unit.organisationId, [3001, 3002]);
    otherListingId = (await listingsOf(other.organisationId, [3003]))[0]!;
  });

  after(async () => {
    await app.close();
    await store.close();
    await site.close();
    await drop();
    await rm(directory, { recursive: true, force: true });
  });

  const call = (method: "GET" | "POST", url: string, secret = keys.analyst!, payload?: object) =>
    app.inject({ method, url: `/v1${url}`, headers: bearer(secret), ...(payload ? { payload } : {}) });

  it("opens a case, gathers listings, shows them, and keeps it from other organisations and roles", async () => {
    const opened = await call("POST", "/cases", keys.analyst, {
      reference,
      title: "Carved ivory",
      marking: "RED",
    });
    assert.equal(opened.statusCode, 201, opened.body);
    assert.equal((opened.json() as { case: { marking: string } }).case.marking, "RED");
    const twice = await call("POST", "/cases", keys.analyst, { reference, title: "again" });
    assert.equal(twice.statusCode, 409);
    assert.equal((twice.json() as { error: { code: string } }).error.code, "case_exists");
    const digits = await call("POST", "/cases", keys.analyst, { reference: "2026", title: "t" });
    assert.equal(digits.statusCode, 400);
    assert.match(digits.body, /all digits/);
    assert.equal(
      (await call("POST", "/cases", keys.reviewer, { reference: "OP-R", title: "t" })).statusCode,
      403,
    );

    const added = await call("POST", `/cases/${inPath}/listings`, keys.analyst, {
      listingIds: [listingIds[1], listingIds[0]],
      note: "same seller",
    });
    assert.equal(added.statusCode, 200, added.body);
    assert.deepEqual(
      (added.json() as { added: Array<{ listingId: number }> }).added.map((a) => a.listingId),
      [listingIds[1], listingIds[0]],
    );
    const theirs = await call("POST", `/cases/${inPath}/listings`, keys.analyst, {
      listingIds: [otherListingId],
    });
    assert.equal(theirs.statusCode, 404);

    const shown = await call("GET", `/cases/${inPath}`, keys.reviewer);
    assert.equal(shown.statusCode, 200, shown.body);
    const detail = shown.json() as {
      case: { reference: string };
      listings: Array<{ listingId: number; captures: number; note: string; listing: { title: string } }>;
    };
    assert.equal(detail.case.reference, reference);
    assert.deepEqual(
      detail.listings.map((entry) => [entry.listing.title, entry.captures, entry.note]),
      [
        ["Ivory carving 3001", 0, "same seller"],
        ["Ivory carving 3002", 0, "same seller"],
      ],
    );
    assert.equal((await call("GET", "/cases", keys.secretariat)).statusCode, 403);
    // Another organisation cannot tell the case exists, nor add to it.
    assert.equal((await call("GET", `/cases/${inPath}`, otherAnalyst)).statusCode, 404);
    assert.deepEqual((await call("GET", "/cases", otherAnalyst)).json(), { items: [] });
    const intrusion = await call("POST", `/cases/${inPath}/listings`, otherAnalyst, {
      listingIds: [otherListingId],
    });
    assert.equal(intrusion.statusCode, 404);
  });

  it("exports the case as one verified package under its marking, once every listing is captured", async () => {
    const early = await call("GET", `/cases/${inPath}/package`);
    assert.equal(early.statusCode, 404);
    assert.match(early.body, /has no capture yet/);
    for (const id of listingIds) {
      const captured = await call("POST", `/listings/${id}/captures`, keys.analyst, { purpose: "case" });
      assert.equal(captured.statusCode, 201, captured.body);
    }
    const response = await call(
      "GET",
      `/cases/${inPath}/package?purpose=${encodeURIComponent("court file")}`,
    );
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.headers["content-type"], "application/zip");
    assert.equal(response.headers["x-tlp"], "RED");
    assert.match(
      String(response.headers["content-disposition"]),
      /filename="wildtrawl-case-OP-TUSK-2026_14-/,
    );
    const file = path.join(directory, "case.zip");
    await writeFile(file, response.rawPayload);
    assert.equal((await verifyPackage(file)).ok, true);
    const manifest = JSON.parse(
      (await readPackage(file)).get("manifest.json")!.toString("utf8"),
    ) as PackageManifest;
    assert.deepEqual(manifest.case, { reference, title: "Carved ivory", marking: "RED" });
    assert.equal(manifest.purpose, "court file");
    assert.deepEqual(manifest.captures.map((c) => c.listingId).sort(), [...listingIds].sort());
    assert.equal((await call("GET", `/cases/${inPath}/package`, keys.reviewer)).statusCode, 403);
    assert.equal((await call("GET", `/cases/${inPath}/package`, otherAnalyst)).statusCode, 404);

    const found = (await store.cases.get((await store.organisations.getBySlug("unit"))!.id, reference))!;
    const audit = await store.audit.list({ subjectType: "case", subjectId: String(found.id) });
    assert.deepEqual(
      audit.map((entry) => entry.action),
      ["case.created", "case.listings_added", "case.exported"],
    );
    assert.equal(audit.at(-1)!.details.sha256, response.headers["x-package-sha256"]);
  });
});
