import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { defaultSessionLimits, hashPassword, totpCode } from "../services/authentication.ts";
import type { ApiApp } from "./create-api.ts";
import {
  bearer,
  cookieOf,
  loadReference,
  openApiFixture,
  seedOrganisation,
  type ApiFixture,
} from "./testing/api-fixture.ts";

const password = "tortoise-shell-lantern";
const csrf = { "x-requested-with": "wildtrawl" };
const office = "198.51.100.4";
const attacker = "203.0.113.66";
const minute = 60_000;

describe("signing in (A7, A8)", () => {
  let fixture: ApiFixture;
  let adminKey: string;
  let analystId: number;
  let reviewerId: number;

  before(() => loadReference());
  beforeEach(async () => {
    await fixture?.close();
    fixture = await openApiFixture();
    const org = await seedOrganisation(fixture.store, "unit", ["admin", "analyst", "reviewer"]);
    adminKey = org.keys.admin!;
    analystId = org.userIds.analyst!;
    reviewerId = org.userIds.reviewer!;
    // A real scrypt hash at a cost tests can afford: verification follows the cost the hash names.
    const hash = await hashPassword(password, { cost: 1024, blockSize: 8, parallelization: 1 });
    await fixture.store.users.setPasswordHash(analystId, hash, "system:test");
    await fixture.store.users.setPasswordHash(reviewerId, hash, "system:test");
  });
  after(() => fixture?.close());

  const signIn = (
    body: Record<string, unknown>,
    options: { ip?: string; headers?: Record<string, string>; app?: ApiApp } = {},
  ) =>
    (options.app ?? fixture.app).inject({
      method: "POST",
      url: "/v1/session",
      headers: options.headers ?? csrf,
      payload: body,
      remoteAddress: options.ip ?? office,
    });

  /** A full session: the shared helper enrols an authenticator the first time, and sends its code after. */
  const signedIn = async (email = "analyst@unit.example") =>
    (await fixture.signIn({ email, password })).cookie;

  const asCookie = (
    cookie: string,
    method: "GET" | "POST" | "DELETE",
    url: string,
    extra: Record<string, string> = {},
  ) => fixture.app.inject({ method, url, headers: { cookie, ...extra }, remoteAddress: office });

  it("signs in: the user, the absolute expiry, and a __Host- cookie that is Secure, HttpOnly and SameSite=Strict", async () => {
    const response = await signIn({ email: "Analyst@Unit.example", password });
    assert.equal(response.statusCode, 200, response.body);
    const body = response.json();
    assert.equal(body.mfaEnrolmentRequired, true, "no authenticator yet: this session can only enrol one");
    assert.deepEqual(body.user, {
      id: analystId,
      email: "analyst@unit.example",
      displayName: "analyst",
      role: "analyst",
      organisationId: body.user.organisationId,
      mfaEnrolled: false,
    });
    assert.equal(
      body.expiresAt,
      new Date(fixture.now().getTime() + defaultSessionLimits.sessionAbsoluteTimeoutMs).toISOString(),
    );
    assert.equal(body.idleTimeoutSeconds, 30 * 60);
    const header = String(response.headers["set-cookie"]);
    const attributes = header.split("; ").slice(1).sort();
    assert.deepEqual(attributes, ["HttpOnly", "Path=/", "SameSite=Strict", "Secure"]);
    assert.equal(response.headers["cache-control"], "no-store");

    const cookie = cookieOf(response);
    const me = await asCookie(cookie, "GET", "/v1/session");
    assert.equal(me.statusCode, 200, me.body);
    assert.deepEqual(me.json(), body);
  });

  it("refuses a wrong password with 401 and no cookie, and sign-in without the CSRF header with 403", async () => {
    const wrong = await signIn({ email: "analyst@unit.example", password: "wrong-password-1" });
    assert.equal(wrong.statusCode, 401);
    assert.equal(wrong.json().error.code, "credentials_invalid");
    assert.equal(wrong.headers["set-cookie"], undefined);
    const forged = await signIn({ email: "analyst@unit.example", password }, { headers: {} });
    assert.equal(forged.statusCode, 403);
    assert.equal(forged.json().error.code, "csrf_header_missing");
    assert.equal((await signIn({ email: "analyst@unit.example" })).json().error.code, "field_missing");
  });

  it("authenticates the dashboard's requests by cookie as the person, with their role", async () => {
    const cookie = await signedIn();
    const listings = await asCookie(cookie, "GET", "/v1/listings");
    assert.equal(listings.statusCode, 200, listings.body);
    const adminOnly = await asCookie(cookie, "GET", "/v1/keys");
    assert.equal(adminOnly.statusCode, 403);
    assert.equal(adminOnly.json().error.code, "forbidden");
    const denied = (await fixture.store.audit.list()).filter((entry) => entry.action === "authz.denied");
    assert.equal(denied.at(-1)?.actor, `user:${analystId}`);
  });

  it("refuses a state-changing request by cookie without the X-Requested-With header (CSRF)", async () => {
    const cookie = await signedIn();
    const forged = await asCookie(cookie, "DELETE", "/v1/session");
    assert.equal(forged.statusCode, 403);
    assert.equal(forged.json().error.code, "csrf_header_missing");
    const wrongValue = await asCookie(cookie, "DELETE", "/v1/session", {
      "x-requested-with": "XMLHttpRequest",
    });
    assert.equal(wrongValue.statusCode, 403);
    const refusals = (await fixture.store.audit.list()).filter(
      (entry) => entry.details.code === "csrf_header_missing",
    );
    assert.equal(refusals.length, 2);
    assert.equal(refusals[0]?.actor, `user:${analystId}`);
    // The forged request did nothing: the session still works.
    assert.equal((await asCookie(cookie, "GET", "/v1/session")).statusCode, 200);
    // A bearer key needs no such header: browsers never attach one by themselves.
    const keyed = await fixture.app.inject({
      method: "POST",
      url: "/v1/users",
      headers: bearer(adminKey),
      payload: { email: "new@unit.example", displayName: "New", role: "reviewer" },
    });
    assert.equal(keyed.statusCode, 201, keyed.body);
  });

  it("signs out: 204, the cookie cleared, and the old cookie refused", async () => {
    const cookie = await signedIn();
    const out = await asCookie(cookie, "DELETE", "/v1/session", csrf);
    assert.equal(out.statusCode, 204, out.body);
    const cleared = String(out.headers["set-cookie"]);
    assert.match(
      cleared,
      /^__Host-wildtrawl_session=; Max-Age=0; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Strict$/,
    );
    const again = await asCookie(cookie, "GET", "/v1/session");
    assert.equal(again.statusCode, 401);
    assert.equal(again.json().error.code, "session_invalid");
  });

  it("answers 401 with no cookie, and GET /session to an API key with session_required", async () => {
    const none = await fixture.app.inject({ url: "/v1/session" });
    assert.equal(none.statusCode, 401);
    assert.equal(none.json().error.code, "authentication_required");
    const keyed = await fixture.app.inject({ url: "/v1/session", headers: bearer(adminKey) });
    assert.equal(keyed.statusCode, 401);
    assert.equal(keyed.json().error.code, "session_required");
  });

  it("throttles 20 wrong passwords with 429 and Retry-After, while the real user signs in from elsewhere (A7)", async () => {
    const statuses: number[] = [];
    let retryAfter: unknown;
    for (let attempt = 0; attempt < 20; attempt++) {
      const response = await signIn(
        { email: "analyst@unit.example", password: `guess-${attempt}-x` },
        { ip: attacker },
      );
      statuses.push(response.statusCode);
      if (response.statusCode === 429) {
        assert.equal(response.json().error.code, "login_throttled");
        retryAfter = response.headers["retry-after"];
      }
    }
    assert.deepEqual(statuses.slice(0, defaultSessionLimits.loginFailuresPerWindow), Array(10).fill(401));
    assert.ok(
      statuses.slice(defaultSessionLimits.loginFailuresPerWindow).every((s) => s === 429),
      String(statuses),
    );
    assert.ok(Number(retryAfter) > 0 && Number(retryAfter) <= 900, String(retryAfter));
    const realUser = await signIn({ email: "analyst@unit.example", password }, { ip: office });
    assert.equal(realUser.statusCode, 200, realUser.body);
    const failures = (await fixture.store.audit.list()).filter((entry) => entry.action === "auth.failed");
    assert.equal(failures.length, 20);
  });

  it("shares the throttle between API processes on one database: failures split across two reach it together (A7)", async () => {
    const apps = [fixture.app, (await fixture.openAnotherInstance()).app];
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 20; attempt++) {
      const app = apps[attempt % 2];
      const response = await signIn(
        { email: "analyst@unit.example", password: `guess-${attempt}-x` },
        { ip: attacker, app },
      );
      statuses.push(response.statusCode);
    }
    // Each process has seen 5 of the first 10: counted apart, neither would refuse any of the 20.
    const allowed = defaultSessionLimits.loginFailuresPerWindow;
    assert.deepEqual(statuses, [...Array(allowed).fill(401), ...Array(20 - allowed).fill(429)]);
    for (const app of apps) {
      const fromAttacker = await signIn({ email: "analyst@unit.example", password }, { ip: attacker, app });
      assert.equal(fromAttacker.statusCode, 429);
      const realUser = await signIn({ email: "analyst@unit.example", password }, { ip: office, app });
      assert.equal(realUser.statusCode, 200, realUser.body);
    }
  });

  it("ends a disabled user's session at once: the old cookie gets 401 on its next request (A8)", async () => {
    const cookie = await signedIn();
    assert.equal((await asCookie(cookie, "GET", "/v1/listings")).statusCode, 200);
    const disable = await fixture.app.inject({
      method: "POST",
      url: `/v1/users/${analystId}/disable`,
      headers: bearer(adminKey),
    });
    assert.equal(disable.statusCode, 200, disable.body);
    const replay = await asCookie(cookie, "GET", "/v1/listings");
    assert.equal(replay.statusCode, 401);
    assert.equal(replay.json().error.code, "session_invalid");
  });

  it("ends a session idle past the limit with 401, and keeps a used one alive (A8)", async () => {
    const idle = await signedIn();
    const used = await signedIn("reviewer@unit.example");
    fixture.advance(20 * minute);
    assert.equal((await asCookie(used, "GET", "/v1/session")).statusCode, 200);
    fixture.advance(defaultSessionLimits.sessionIdleTimeoutMs - 20 * minute);
    const expired = await asCookie(idle, "GET", "/v1/session");
    assert.equal(expired.statusCode, 401);
    assert.equal(expired.json().error.code, "session_expired");
    assert.equal((await asCookie(used, "GET", "/v1/session")).statusCode, 200);
  });

  it("takes the timeouts from the API's limits", async () => {
    await fixture.close();
    fixture = await openApiFixture({
      limits: { sessionIdleTimeoutMs: minute, sessionAbsoluteTimeoutMs: 3 * minute },
    });
    await seedOrganisation(fixture.store, "unit", ["analyst"]);
    const user = await fixture.store.users.getByEmail("analyst@unit.example");
    const hash = await hashPassword(password, { cost: 1024, blockSize: 8, parallelization: 1 });
    await fixture.store.users.setPasswordHash(user!.id, hash, "system:test");
    const cookie = await signedIn();
    for (let n = 0; n < 5; n++) {
      fixture.advance(50_000);
      const status = (await asCookie(cookie, "GET", "/v1/session")).statusCode;
      assert.equal(status, n < 3 ? 200 : 401, `after ${(n + 1) * 50} s`);
    }
  });

  it("keeps a person without an authenticator out of everything but enrolment until they enrol (A7)", async () => {
    const response = await signIn({ email: "analyst@unit.example", password });
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.json().mfaEnrolmentRequired, true);
    const enrolling = cookieOf(response);
    for (const [method, url] of [
      ["GET", "/v1/listings"],
      ["GET", "/v1/species?q=pangolin"],
      ["POST", "/v1/screen"],
    ] as const) {
      const refused = await asCookie(enrolling, method, url, csrf);
      assert.equal(refused.statusCode, 403, `${method} ${url}: ${refused.body}`);
      assert.equal(refused.json().error.code, "mfa_enrolment_required");
    }
    const denied = (await fixture.store.audit.list()).filter(
      (entry) => entry.details.code === "mfa_enrolment_required",
    );
    assert.equal(denied.length, 3);
    assert.equal(denied[0]?.action, "authz.denied");
    assert.equal(denied[0]?.actor, `user:${analystId}`);
    // What enrolment needs still answers: who is signed in, and the authenticator's secret.
    const me = await asCookie(enrolling, "GET", "/v1/session");
    assert.equal(me.statusCode, 200, me.body);
    assert.equal(me.json().mfaEnrolmentRequired, true);
    const start = await asCookie(enrolling, "POST", "/v1/session/mfa", csrf);
    assert.equal(start.statusCode, 200, start.body);
    const { secret, uri } = start.json() as { secret: string; uri: string };
    assert.match(uri, /^otpauth:\/\/totp\/wildtrawl:analyst%40unit\.example\?/);

    const wrong = await fixture.app.inject({
      method: "POST",
      url: "/v1/session/mfa/confirm",
      headers: { cookie: enrolling, ...csrf },
      payload: { secret, code: totpCode(secret, new Date(fixture.now().getTime() + 120_000)) },
      remoteAddress: office,
    });
    assert.equal(wrong.statusCode, 400);
    assert.equal(wrong.json().error.code, "mfa_code_invalid");
    const confirm = await fixture.app.inject({
      method: "POST",
      url: "/v1/session/mfa/confirm",
      headers: { cookie: enrolling, ...csrf },
      payload: { secret, code: totpCode(secret, fixture.now()) },
      remoteAddress: office,
    });
    assert.equal(confirm.statusCode, 200, confirm.body);
    assert.equal(confirm.json().mfaEnrolmentRequired, false);
    assert.equal(confirm.json().user.mfaEnrolled, true);
    // A new token for the raised level of authentication; the password-only one has ended.
    const full = cookieOf(confirm);
    assert.notEqual(full, enrolling);
    const old = await asCookie(enrolling, "GET", "/v1/listings");
    assert.equal(old.statusCode, 401);
    assert.equal(old.json().error.code, "session_invalid");
    const listings = await asCookie(full, "GET", "/v1/listings");
    assert.equal(listings.statusCode, 200, listings.body);
  });

  it("after enrolment sign-in needs the code: a wrong one is refused, audited and throttled (A7)", async () => {
    const { secret } = await fixture.signIn({ email: "analyst@unit.example", password });
    const withoutCode = await signIn({ email: "analyst@unit.example", password });
    assert.equal(withoutCode.statusCode, 401);
    assert.equal(withoutCode.json().error.code, "mfa_required");
    assert.equal(withoutCode.headers["set-cookie"], undefined);
    fixture.advance(30_000);
    const current = totpCode(secret, fixture.now());
    // Any code the window accepts (a step either side) is not wrong: leave those out.
    const accepted = [-30_000, 0, 30_000].map((ms) =>
      totpCode(secret, new Date(fixture.now().getTime() + ms)),
    );
    const wrongCodes = Array.from({ length: 15 }, (_, n) => String(n * 61_001 + 7).padStart(6, "0"))
      .filter((code) => !accepted.includes(code))
      .slice(0, 12);
    const statuses: number[] = [];
    for (const totp of wrongCodes) {
      const response = await signIn({ email: "analyst@unit.example", password, totp }, { ip: attacker });
      statuses.push(response.statusCode);
      assert.equal(
        response.json().error.code,
        response.statusCode === 429 ? "login_throttled" : "mfa_invalid",
      );
      if (response.statusCode === 429) assert.ok(Number(response.headers["retry-after"]) > 0);
    }
    const allowed = defaultSessionLimits.loginFailuresPerWindow;
    assert.deepEqual(statuses, [
      ...Array(allowed).fill(401),
      ...Array(wrongCodes.length - allowed).fill(429),
    ]);
    // Even the right code is not checked from the throttled address; from the office it works.
    const throttled = await signIn(
      { email: "analyst@unit.example", password, totp: current },
      { ip: attacker },
    );
    assert.equal(throttled.statusCode, 429);
    const right = await signIn({ email: "analyst@unit.example", password, totp: current });
    assert.equal(right.statusCode, 200, right.body);
    assert.equal(right.json().mfaEnrolmentRequired, false);
    assert.equal((await asCookie(cookieOf(right), "GET", "/v1/listings")).statusCode, 200);
    const invalid = (await fixture.store.audit.list()).filter(
      (entry) => entry.action === "auth.failed" && entry.details.code === "mfa_invalid",
    );
    assert.equal(invalid.length, allowed);
  });

  it("lets an admin reset a person's authenticator: audited, their sessions end, they enrol again", async () => {
    const full = await signedIn();
    const other = await seedOrganisation(fixture.store, "elsewhere", ["admin", "analyst"]);
    const foreign = await fixture.app.inject({
      method: "POST",
      url: `/v1/users/${analystId}/mfa/reset`,
      headers: bearer(other.keys.admin!),
    });
    assert.equal(foreign.statusCode, 404, "another organisation's admin cannot see the person");
    const notAdmin = await fixture.app.inject({
      method: "POST",
      url: `/v1/users/${analystId}/mfa/reset`,
      headers: bearer(other.keys.analyst!),
    });
    assert.equal(notAdmin.statusCode, 403);
    assert.equal((await asCookie(full, "GET", "/v1/listings")).statusCode, 200);

    const reset = await fixture.app.inject({
      method: "POST",
      url: `/v1/users/${analystId}/mfa/reset`,
      headers: bearer(adminKey),
    });
    assert.equal(reset.statusCode, 200, reset.body);
    assert.equal(reset.json().id, analystId);
    const ended = await asCookie(full, "GET", "/v1/listings");
    assert.equal(ended.statusCode, 401);
    const audit = (await fixture.store.audit.list()).filter(
      (entry) => entry.subjectType === "user" && entry.subjectId === String(analystId),
    );
    const removed = audit.find((entry) => entry.action === "user.mfa_removed");
    assert.ok(removed, JSON.stringify(audit.map((entry) => entry.action)));
    assert.match(removed.actor, /^api-key:\d+$/);
    assert.ok(audit.some((entry) => entry.action === "session.revoked_all" && entry.actor === removed.actor));
    const again = await signIn({ email: "analyst@unit.example", password });
    assert.equal(again.statusCode, 200, again.body);
    assert.equal(again.json().mfaEnrolmentRequired, true);
  });

  it("describes the session routes in the OpenAPI document, sign-in without security", async () => {
    const spec = (await fixture.app.inject({ url: "/v1/openapi.json" })).json() as {
      paths: Record<string, Record<string, { security?: unknown[] }>>;
    };
    assert.deepEqual(Object.keys(spec.paths["/v1/session"] ?? {}).sort(), ["delete", "get", "post"]);
    assert.deepEqual(spec.paths["/v1/session"]?.post?.security, []);
    assert.ok(spec.paths["/v1/session/mfa"]?.post && spec.paths["/v1/session/mfa/confirm"]?.post);
  });

  it("prefers a bearer key over a cookie sent with it: API keys need no authenticator", async () => {
    const cookie = await signedIn();
    const response = await fixture.app.inject({ url: "/v1/keys", headers: { cookie, ...bearer(adminKey) } });
    assert.equal(response.statusCode, 200, response.body);
    // A key of the person still without an authenticator works as ever: keys are for platforms and scripts.
    const enrolling = cookieOf(await signIn({ email: "reviewer@unit.example", password }));
    const keyed = await fixture.app.inject({
      url: "/v1/listings",
      headers: { cookie: enrolling, ...bearer(adminKey) },
    });
    assert.equal(keyed.statusCode, 200, keyed.body);
  });
});
