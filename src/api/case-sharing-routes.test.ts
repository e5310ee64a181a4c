/**
 * Sharing cases between organisations over the API (RELIABILITY A1–A3, docs/sharing.md): a share to read only holds
 * against the recipient's admin (A2), onward sharing only narrows (A3), clearances narrow what a person reads (A1),
 * and an organisation the case is not shared with still gets 404.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { bearer, openApiFixture, seedOrganisation, type ApiFixture } from "./testing/api-fixture.ts";

describe("sharing cases: /v1/cases/{reference}/shares", () => {
  let fixture: ApiFixture;
  let a: Awaited<ReturnType<typeof seedOrganisation>>;
  let b: Awaited<ReturnType<typeof seedOrganisation>>;
  let c: Awaited<ReturnType<typeof seedOrganisation>>;
  let listingOfA: number;
  let listingOfB: number;

  const call = (secret: string, method: "GET" | "POST" | "PUT" | "DELETE", url: string, payload?: object) =>
    fixture.app.inject({
      method,
      url: `/v1${url}`,
      headers: bearer(secret),
      ...(payload ? { payload } : {}),
    });
  const code = (response: { json: () => unknown }) =>
    (response.json() as { error: { code: string } }).error.code;
  const listingOf = async (organisationId: number) => {
    const source = await fixture.store.sources.upsert({ organisationId, slug: "s", name: "s" });
    const [result] = await fixture.store.listings.ingest([
      {
        sourceId: source.id,
        listingKey: "k",
        observedAt: fixture.now(),
        url: `https://m.example/${organisationId}`,
        text: "ivory",
      },
    ]);
    return result!.listingId;
  };

  before(async () => {
    fixture = await openApiFixture();
    a = await seedOrganisation(fixture.store, "a", ["admin", "analyst", "reviewer"]);
    b = await seedOrganisation(fixture.store, "b", ["admin", "analyst", "reviewer"]);
    c = await seedOrganisation(fixture.store, "c", ["admin"]);
    listingOfA = await listingOf(a.organisationId);
    listingOfB = await listingOf(b.organisationId);
    for (const reference of ["OP-READ", "OP-WRITE", "OP-GROUP"]) {
      const opened = await call(a.keys.analyst!, "POST", "/cases", {
        reference,
        title: "Ivory",
        marking: "AMBER",
      });
      assert.equal(opened.statusCode, 201, opened.body);
      const added = await call(a.keys.analyst!, "POST", `/cases/${reference}/listings`, {
        listingIds: [listingOfA],
      });
      assert.equal(added.statusCode, 200, added.body);
    }
  });
  after(() => fixture.close());

  it("A2: a case shared read-only answers 403 to the recipient's admin on edit, audited as unauthorized", async () => {
    const shared = await call(a.keys.analyst!, "POST", "/cases/OP-READ/shares", {
      organisation: "b",
      profile: "read",
    });
    assert.equal(shared.statusCode, 201, shared.body);
    assert.deepEqual(
      (({ organisationId, profile, marking, onwardHops }) => ({
        organisationId,
        profile,
        marking,
        onwardHops,
      }))((shared.json() as { share: Record<string, unknown> }).share),
      { organisationId: b.organisationId, profile: "read", marking: "AMBER", onwardHops: 1 },
    );

    const shown = await call(b.keys.admin!, "GET", "/cases/OP-READ");
    assert.equal(shown.statusCode, 200, shown.body);
    const detail = shown.json() as {
      case: { owner: string; access: { write: boolean } };
      listings: unknown[];
    };
    assert.equal(detail.case.owner, "a");
    assert.deepEqual(detail.case.access, { write: false, share: false });
    assert.equal(detail.listings.length, 1);

    const edit = await call(b.keys.admin!, "POST", "/cases/OP-READ/listings", { listingIds: [listingOfB] });
    assert.equal(edit.statusCode, 403, edit.body);
    assert.equal(code(edit), "case_read_only");
    const refusal = (await fixture.store.audit.list({ limit: 10_000 })).filter(
      (e) => e.action === "case.unauthorized" && e.organisationId === b.organisationId,
    );
    assert.equal(refusal.length, 1);
    assert.equal(refusal[0]!.details.outcome, "unauthorized");
    assert.equal(refusal[0]!.details.attempted, "add listings");
    assert.match(refusal[0]!.actor, /^api-key:/);
    assert.equal(
      (await fixture.store.cases.listings(Number(refusal[0]!.subjectId))).length,
      1,
      "nothing added",
    );

    // Not shared with C: exactly as missing.
    assert.equal((await call(c.keys.admin!, "GET", "/cases/OP-READ")).statusCode, 404);
    assert.deepEqual((await call(c.keys.admin!, "GET", "/cases")).json(), { items: [] });
    // B may not pass on a share that gave it no onward scope.
    const onward = await call(b.keys.admin!, "POST", "/cases/OP-READ/shares", { organisation: "c" });
    assert.equal(onward.statusCode, 403);
    assert.equal(code(onward), "share_not_permitted");
    assert.equal((await call(c.keys.admin!, "GET", "/cases/OP-READ?owner=a")).statusCode, 404);
  });

  it("a share to write lets the recipient add its own listings, and still not beyond its role", async () => {
    assert.equal(
      (await call(a.keys.analyst!, "POST", "/cases/OP-WRITE/shares", { organisation: "b", profile: "write" }))
        .statusCode,
      201,
    );
    const added = await call(b.keys.analyst!, "POST", "/cases/OP-WRITE/listings", {
      listingIds: [listingOfB],
    });
    assert.equal(added.statusCode, 200, added.body);
    const reviewer = await call(b.keys.reviewer!, "POST", "/cases/OP-WRITE/listings", {
      listingIds: [listingOfB],
    });
    assert.equal(reviewer.statusCode, 403);
    assert.equal(code(reviewer), "forbidden");
    const listed = (await call(a.keys.reviewer!, "GET", "/cases/OP-WRITE")).json() as {
      listings: Array<{ listingId: number }>;
    };
    assert.deepEqual(listed.listings.map((l) => l.listingId).sort(), [listingOfA, listingOfB].sort());
  });

  it("A3: a recipient re-shares only inside the group it received, under markings as strict; wider is 403", async () => {
    const group = await call(a.keys.admin!, "POST", "/sharing-groups", {
      slug: "ab",
      name: "A and B",
      members: ["b"],
    });
    assert.equal(group.statusCode, 201, group.body);
    assert.equal(
      (await call(c.keys.admin!, "POST", "/sharing-groups", { slug: "bc", name: "B, C", members: ["b"] }))
        .statusCode,
      201,
    );
    const shared = await call(a.keys.analyst!, "POST", "/cases/OP-GROUP/shares", {
      organisation: "b",
      sharingGroup: "ab",
      marking: "AMBER",
    });
    assert.equal(shared.statusCode, 201, shared.body);

    for (const [attempt, expected] of [
      [{ organisation: "c" }, "share_widens"],
      [{ sharingGroup: "bc" }, "share_widens"],
      [{ sharingGroup: "ab", marking: "GREEN" }, "share_widens"],
      [{ sharingGroup: "ab", profile: "write" }, "share_widens"],
      [{ sharingGroup: "ab", onwardHops: 1 }, "share_widens"],
    ] as const) {
      const refused = await call(b.keys.analyst!, "POST", "/cases/OP-GROUP/shares", attempt);
      assert.equal(refused.statusCode, 403, JSON.stringify(attempt));
      assert.equal(code(refused), expected);
    }
    const narrower = await call(b.keys.analyst!, "POST", "/cases/OP-GROUP/shares", {
      sharingGroup: "ab",
      marking: "AMBER+STRICT",
      handling: "H2",
    });
    assert.equal(narrower.statusCode, 201, narrower.body);
    const made = (
      narrower.json() as {
        share: { parentShareId: number; onwardHops: number; grantedByOrganisationId: number };
      }
    ).share;
    assert.equal(made.parentShareId, (shared.json() as { share: { id: number } }).share.id);
    assert.equal(made.onwardHops, 0);
    assert.equal(made.grantedByOrganisationId, b.organisationId);
    // C is in no group A's case reached: still 404.
    assert.equal((await call(c.keys.admin!, "GET", "/cases/OP-GROUP")).statusCode, 404);
    const shares = (await call(a.keys.admin!, "GET", "/cases/OP-GROUP/shares")).json() as {
      items: unknown[];
    };
    assert.equal(shares.items.length, 2);
    const audit = await fixture.store.audit.list({ limit: 10_000 });
    assert.equal(
      audit.filter((e) => e.action === "case.unauthorized" && e.details.attempted === "share").length,
      6,
    );
  });

  it("A1: a person reads only what their clearance holds; an admin sets it, never beyond the role", async () => {
    const reviewer = a.userIds.reviewer!;
    assert.deepEqual(
      (({ marking, handling, setBy }) => ({ marking, handling, setBy }))(
        (await call(a.keys.admin!, "GET", `/users/${reviewer}/clearance`)).json() as Record<string, unknown>,
      ),
      { marking: "RED", handling: "H3", setBy: null },
    );
    const set = await call(a.keys.admin!, "PUT", `/users/${reviewer}/clearance`, {
      marking: "GREEN",
      handling: "H0",
    });
    assert.equal(set.statusCode, 200, set.body);
    assert.equal((await call(a.keys.reviewer!, "GET", "/cases/OP-READ")).statusCode, 404);
    assert.deepEqual((await call(a.keys.reviewer!, "GET", "/cases")).json(), { items: [] });
    assert.equal((await call(a.keys.analyst!, "GET", "/cases/OP-READ")).statusCode, 200);
    assert.equal(
      (await call(b.keys.admin!, "PUT", `/users/${reviewer}/clearance`, { marking: "RED", handling: "H3" }))
        .statusCode,
      404,
    );
    const audit = await fixture.store.audit.list({ limit: 10_000 });
    assert.equal(audit.filter((e) => e.action === "user.clearance_set").length, 1);
  });

  it("withdraws a share and what was passed on from it: the owner or the grantor only, audited", async () => {
    for (const key of [a.keys.analyst!, b.keys.analyst!]) {
      const opened = await call(key, "POST", "/cases", {
        reference: "OP-WITHDRAW",
        title: "t",
        marking: "AMBER",
      });
      assert.equal(opened.statusCode, 201, opened.body);
    }
    const shareId = async (key: string, payload: object, owner = "a") => {
      const response = await call(key, "POST", `/cases/OP-WITHDRAW/shares?owner=${owner}`, payload);
      assert.equal(response.statusCode, 201, response.body);
      return (response.json() as { share: { id: number } }).share.id;
    };
    const group = await call(a.keys.admin!, "POST", "/sharing-groups", {
      slug: "withdrawal",
      name: "A, B and C",
      members: ["b", "c"],
    });
    assert.equal(group.statusCode, 201, group.body);
    // B reads it and may pass it on inside the group.
    const toB = await shareId(a.keys.analyst!, {
      organisation: "b",
      sharingGroup: "withdrawal",
      onwardHops: 1,
    });
    const toC = await shareId(b.keys.analyst!, { organisation: "c" });
    const read = (key: string) => call(key, "GET", "/cases/OP-WITHDRAW?owner=a");
    assert.equal((await read(c.keys.admin!)).statusCode, 200);

    const byC = await call(c.keys.admin!, "DELETE", `/cases/OP-WITHDRAW/shares/${toB}?owner=a`);
    assert.equal(byC.statusCode, 403, "C reads the case but granted neither share");
    assert.equal(code(byC), "share_not_permitted");
    const readOnly = await call(b.keys.reviewer!, "DELETE", `/cases/OP-WITHDRAW/shares/${toC}?owner=a`);
    assert.equal(readOnly.statusCode, 403, "a reviewer may not share, so may not withdraw");
    const unknown = await call(a.keys.analyst!, "DELETE", `/cases/OP-WITHDRAW/shares/${toB + 1000}?owner=a`);
    assert.equal(unknown.statusCode, 404);
    assert.equal(code(unknown), "share_not_found");

    const byGrantor = await call(b.keys.analyst!, "DELETE", `/cases/OP-WITHDRAW/shares/${toC}?owner=a`);
    assert.deepEqual([byGrantor.statusCode, byGrantor.json()], [200, { withdrawn: [toC] }]);
    assert.equal((await read(c.keys.admin!)).statusCode, 404, "C no longer reads it");
    assert.equal((await read(b.keys.analyst!)).statusCode, 200, "B still does");

    const toCAgain = await shareId(b.keys.analyst!, { organisation: "c" });
    const byOwner = await call(a.keys.analyst!, "DELETE", `/cases/OP-WITHDRAW/shares/${toB}?owner=a`);
    assert.deepEqual([byOwner.statusCode, byOwner.json()], [200, { withdrawn: [toB, toCAgain] }]);
    for (const key of [b.keys.analyst!, c.keys.admin!]) assert.equal((await read(key)).statusCode, 404);
    assert.equal(
      (await call(b.keys.analyst!, "GET", "/cases/OP-WITHDRAW")).statusCode,
      200,
      "B's own case of the same reference is untouched",
    );
    assert.equal((await call(a.keys.analyst!, "DELETE", `/cases/OP-WITHDRAW/shares/${toB}`)).statusCode, 404);

    const audit = await fixture.store.audit.list({ limit: 10_000 });
    assert.equal(audit.filter((e) => e.action === "case.share_withdrawn").length, 3, "B's for B and A; A's");
    assert.ok(
      audit.some(
        (e) =>
          e.action === "case.unauthorized" &&
          e.organisationId === c.organisationId &&
          e.details.attempted === "withdraw_share",
      ),
    );
  });

  it("a group's owner adds and removes members; a removed member stops reading what the group reaches", async () => {
    const group = await call(a.keys.admin!, "POST", "/sharing-groups", {
      slug: "rotating",
      name: "Rotating",
      members: [],
    });
    assert.equal(group.statusCode, 201, group.body);
    const opened = await call(a.keys.analyst!, "POST", "/cases", {
      reference: "OP-ROTATING",
      title: "t",
      marking: "GREEN",
      sharingGroup: "rotating",
    });
    assert.equal(opened.statusCode, 201, opened.body);
    const members = (key: string, body: object) =>
      call(key, "POST", "/sharing-groups/rotating/members", body);
    const read = () => call(c.keys.admin!, "GET", "/cases/OP-ROTATING");
    assert.equal((await read()).statusCode, 404);

    const added = await members(a.keys.admin!, { add: ["c"] });
    assert.equal(added.statusCode, 200, added.body);
    assert.deepEqual(
      (added.json() as { group: { memberIds: number[] } }).group.memberIds,
      [a.organisationId, c.organisationId].sort((x, y) => x - y),
    );
    assert.equal((await read()).statusCode, 200);
    assert.equal(
      (await members(c.keys.admin!, { remove: ["c"] })).statusCode,
      404,
      "C is a member, not the owner",
    );
    assert.equal((await members(a.keys.analyst!, { add: ["b"] })).statusCode, 403, "admins only");
    const owner = await members(a.keys.admin!, { remove: ["a"] });
    assert.deepEqual([owner.statusCode, code(owner)], [400, "sharing_group_owner"]);
    const unknown = await members(a.keys.admin!, { add: ["nobody"] });
    assert.deepEqual([unknown.statusCode, code(unknown)], [404, "organisation_not_found"]);

    assert.equal((await members(a.keys.admin!, { remove: ["c"] })).statusCode, 200);
    assert.equal((await read()).statusCode, 404, "C no longer reads it");
  });

  it("describes the sharing routes in /v1/openapi.json", async () => {
    const spec = (await fixture.app.inject({ url: "/v1/openapi.json" })).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    assert.deepEqual(Object.keys(spec.paths["/v1/cases/{reference}/shares"] ?? {}).sort(), ["get", "post"]);
    assert.ok(spec.paths["/v1/cases/{reference}/shares/{id}"]?.delete);
    assert.ok(spec.paths["/v1/sharing-groups"]?.post);
    assert.ok(spec.paths["/v1/sharing-groups/{slug}/members"]?.post);
    assert.ok(spec.paths["/v1/users/{id}/clearance"]?.put);
  });
});
