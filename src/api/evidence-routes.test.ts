import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { startFixtureSite, type FixtureSite } from "../evidence/testing/fixture-site.ts";
import { verifyPackage } from "../evidence/package-verify.ts";
import { openStore } from "../storage/open-store.ts";
import type { Store } from "../storage/store.ts";
import { newSqliteDatabase } from "../storage/testing/test-databases.ts";
import { createApi, type ApiApp } from "./create-api.ts";
import { bearer, loadReference, seedOrganisation } from "./testing/api-fixture.ts";

interface CaptureJson {
  id: number;
  listingId: number;
  status: string;
  failureReason: string | null;
  sha256: string;
  files: Array<{ role: string; path: string; sha256: string; byteLength: number }>;
  provenance: Record<string, unknown>;
}

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

describe("evidence: /v1/listings/:id/captures and /v1/captures/:id", () => {
  let site: FixtureSite;
  let store: Store;
  let app: ApiApp;
  let directory: string;
  let drop: () => Promise<void>;
  let keys: Record<string, string>;
  let otherAnalyst: string;
  let listingId: number;
  let otherListingId: number;
  let capture: CaptureJson;

  before(async () => {
    const [reference, database] = await Promise.all([loadReference(), newSqliteDatabase()]);
    site = await startFixtureSite();
    drop = database.drop;
    directory = await mkdtemp(path.join(tmpdir(), "wildtrawl-evidence-api-"));
    store = await openStore(database.url);
    app = createApi({
      store,
      ...reference,
      clock: () => new Date(),
      version: "test",
      limits: { keyCacheMs: 0 },
      operations: {
        dataDir: path.join(directory, "data"),
        warcDir: path.join(directory, "warc"),
        chromiumPath: "/usr/bin/chromium",
      },
    });
    await app.ready();
    const unit = await seedOrganisation(store, "unit", ["analyst", "reviewer", "platform_officer"]);
    const other = await seedOrganisation(store, "other", ["analyst"]);
    keys = unit.keys;
    otherAnalyst = other.keys.analyst!;
    const sourceOf = (organisationId: number) =>
      store.sources.upsert({
        organisationId,
        slug: "local-site",
        name: "Local site",
        // As a source file declares it: this source's pages are on 127.0.0.1, so captures may go there too.
        config: { allowPrivateNetwork: true },
      });
    const listingOn = async (organisationId: number) => {
      const source = await sourceOf(organisationId);
      const [ingested] = await store.listings.ingest([
        {
          sourceId: source.id,
          listingKey: "AD-1001",
          observedAt: new Date(),
          url: `${site.origin}/advert`,
          text: "Genuine elephant ivory tusk",
        },
      ]);
      return ingested!.listingId;
    };
    listingId = await listingOn(unit.organisationId);
    otherListingId = await listingOn(other.organisationId);
  });

  after(async () => {
    await app.close();
    await store.close();
    await site.close();
    await drop();
    await rm(directory, { recursive: true, force: true });
  });

  const call = (method: "GET" | "POST", url: string, secret = keys.analyst!, payload?: object) =>
    app.inject({
      method,
      url: `/v1${url}`,
      headers: bearer(secret),
      ...(payload ? { payload } : {}),
    });

  it("captures a listing with Chromium: 201 and a complete capture with its dated screenshot", async () => {
    const response = await call("POST", `/listings/${listingId}/captures`, keys.analyst, {
      purpose: "flagged by review",
    });
    assert.equal(response.statusCode, 201, response.body);
    capture = (response.json() as { capture: CaptureJson }).capture;
    assert.equal(capture.listingId, listingId);
    assert.equal(capture.status, "complete", capture.failureReason ?? "");
    assert.deepEqual(
      ["dom", "html", "record", "screenshot", "warc"].filter((role) =>
        capture.files.some((f) => f.role === role),
      ),
      ["dom", "html", "record", "screenshot", "warc"],
    );
    const listed = (await call("GET", `/listings/${listingId}/captures`)).json() as { items: CaptureJson[] };
    assert.deepEqual(
      listed.items.map((item) => item.id),
      [capture.id],
    );
    const withoutBody = await app.inject({
      method: "POST",
      url: `/v1/listings/${listingId}/captures`,
      headers: bearer(keys.reviewer!),
    });
    assert.equal(withoutBody.statusCode, 201, `a body is optional: ${withoutBody.body}`);
  });

  it("serves the screenshot as PNG, nosniff, and records each view in custody and the audit log", async () => {
    const first = await call("GET", `/captures/${capture.id}/screenshot`);
    assert.equal(first.statusCode, 200, first.body);
    assert.equal(first.headers["content-type"], "image/png");
    assert.equal(first.headers["x-content-type-options"], "nosniff");
    assert.equal(sha256(first.rawPayload), capture.files.find((f) => f.role === "screenshot")!.sha256);
    await call("GET", `/captures/${capture.id}/screenshot`, keys.reviewer);

    const shown = (await call("GET", `/captures/${capture.id}`)).json() as {
      capture: CaptureJson;
      custody: Array<{ action: string; actor: string }>;
    };
    assert.equal(shown.capture.sha256, capture.sha256);
    assert.deepEqual(
      shown.custody.map((entry) => entry.action),
      ["capture", "view", "view"],
    );
    assert.equal(
      shown.capture.provenance["purpose"],
      "flagged by review",
      "the purpose is in the provenance",
    );
    assert.match(shown.custody[1]!.actor, /^api-key:\d+$/);
    const viewed = await store.audit.list({
      subjectType: "capture",
      subjectId: String(capture.id),
      limit: 100,
    });
    assert.equal(viewed.filter((entry) => entry.action === "capture.viewed").length, 2);
  });

  it("exports a signed package as a ZIP attachment that verifies offline, recorded as an export", async () => {
    const response = await call("GET", `/captures/${capture.id}/package?purpose=court%20file`);
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.headers["content-type"], "application/zip");
    const disposition = response.headers["content-disposition"] as string;
    const filename = /^attachment; filename="(wildtrawl-capture-\d+-\d{8}T\d{6}Z-[0-9a-f]{6}\.zip)"$/.exec(
      disposition,
    )?.[1];
    assert.ok(filename, disposition);
    const file = path.join(directory, "received.zip");
    await writeFile(file, response.rawPayload);
    assert.equal(sha256(response.rawPayload), response.headers["x-package-sha256"]);
    const verified = await verifyPackage(file);
    assert.equal(verified.ok, true, JSON.stringify(verified.failures));
    assert.equal(verified.captures, 1);
    assert.deepEqual(await readdir(path.join(directory, "data", "exports")), [filename]);
    const custody = await store.evidence.custodyOf(capture.id);
    const exported = custody.at(-1)!;
    assert.equal(exported.action, "export");
    assert.equal(exported.purpose, "court file");
    assert.equal(exported.details["package"], filename);
  });

  it("answers 404 for another organisation's listings and captures, 403 to roles without the permission", async () => {
    for (const [method, url] of [
      ["POST", `/listings/${listingId}/captures`],
      ["GET", `/listings/${listingId}/captures`],
      ["GET", `/captures/${capture.id}`],
      ["GET", `/captures/${capture.id}/screenshot`],
      ["GET", `/captures/${capture.id}/package`],
    ] as const) {
      const response = await call(
        method,
        url,
        otherAnalyst,
        method === "POST" ? { verdict: "offer" } : undefined,
      );
      assert.equal(response.statusCode, 404, `${method} ${url}: ${response.body}`);
      assert.match(response.json().error.code, /^(listing|capture)_not_found$/);
    }
    const theirs = await call("GET", `/listings/${otherListingId}/captures`);
    assert.equal(theirs.statusCode, 404, "and the other way round");
    const custody = await store.evidence.custodyOf(capture.id);
    assert.ok(!custody.some((entry) => entry.actor.endsWith(`:${otherAnalyst}`)));
    assert.equal(custody.filter((entry) => entry.action === "view").length, 2, "a refused view is no view");

    assert.equal((await call("GET", `/captures/${capture.id}/package`, keys.reviewer)).statusCode, 403);
    assert.equal((await call("GET", `/captures/${capture.id}`, keys.platform_officer)).statusCode, 403);
    assert.equal(
      (await call("POST", `/listings/${listingId}/captures`, keys.platform_officer)).statusCode,
      403,
    );
    assert.equal((await call("GET", "/captures/987654")).statusCode, 404);
  });

  it("refuses to serve a screenshot whose stored bytes no longer match their hash", async () => {
    const screenshot = capture.files.find((f) => f.role === "screenshot")!;
    await writeFile(
      path.join(directory, "data", "evidence", screenshot.path),
      Buffer.from("not the screenshot"),
    );
    const response = await call("GET", `/captures/${capture.id}/screenshot`);
    assert.equal(response.statusCode, 409);
    assert.equal(response.json().error.code, "capture_integrity_failed");
    const exported = await call("GET", `/captures/${capture.id}/package`);
    assert.equal(exported.json().error.code, "capture_integrity_failed");
  });
});
