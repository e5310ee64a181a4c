import { defaultDetectionModelPath, defaultLexiconDir, defaultReferenceDataPath } from "../../config.ts";
import type { DetectionModel } from "../../core/detect/model.ts";
import type { Lexicon } from "../../core/lexicon/lexicon.ts";
import type { SpeciesIndex } from "../../core/species/species-index.ts";
import { loadLexicon } from "../../reference/load-lexicon.ts";
import { readDetectionModel } from "../../reference/load-model.ts";
import { loadSpeciesIndex } from "../../reference/reference-file.ts";
import { openStore } from "../../storage/open-store.ts";
import type { Store } from "../../storage/store.ts";
import { newSqliteDatabase } from "../../storage/testing/test-databases.ts";
import type { ContractDatabase } from "../../storage/store.contract.ts";
import { keyScopes, type ApiRole } from "../../services/access.ts";
import { totpCode } from "../../services/authentication.ts";
import { createApi, type ApiApp, type ApiLimits } from "../create-api.ts";

export interface Reference {
  readonly species: SpeciesIndex;
  readonly lexicon: Lexicon;
  readonly model: DetectionModel;
}

let reference: Promise<Reference> | undefined;

/** The real reference data, lexicon and model, loaded once per test process (about a second). */
export function loadReference(): Promise<Reference> {
  return (reference ??= (async () => {
    const species = await loadSpeciesIndex(defaultReferenceDataPath);
    const [lexicon, model] = await Promise.all([
      loadLexicon(species, defaultLexiconDir),
      readDetectionModel(defaultDetectionModelPath),
    ]);
    return { species, lexicon, model };
  })());
}

export interface ApiFixture {
  readonly app: ApiApp;
  readonly store: Store;
  readonly database: ContractDatabase;
  /** A second API process over the same database and clock, as behind a load balancer; closed with the fixture. */
  openAnotherInstance(): Promise<{ app: ApiApp; store: Store }>;
  /**
   * Signs a person in as the dashboard does and returns their full session's cookie: the first time, with their
   * password and then enrolling an authenticator (MFA is required of every person); later, with the password and
   * the authenticator's code (moving the clock to the next 30 s step when this one's code was used already).
   */
  signIn(
    person: { email: string; password: string },
    options?: { ip?: string; app?: ApiApp },
  ): Promise<{ cookie: string; secret: string }>;
  /** Moves the fixture's clock. */
  advance(ms: number): void;
  now(): Date;
  close(): Promise<void>;
}

/** A fresh database and an API over it, with a clock the test moves. */
export async function openApiFixture(
  options: {
    limits?: Partial<ApiLimits>;
    newDatabase?: () => Promise<ContractDatabase>;
    logger?: unknown;
  } = {},
): Promise<ApiFixture> {
  const ref = await loadReference();
  const database = await (options.newDatabase ?? newSqliteDatabase)();
  let now = new Date("2026-05-01T12:00:00.000Z").getTime();
  const clock = () => new Date(now);
  const instances: { app: ApiApp; store: Store }[] = [];
  const openInstance = async () => {
    const store = await openStore(database.url, { clock });
    const app = createApi({
      store,
      ...ref,
      clock,
      version: "test",
      limits: { keyCacheMs: 0, ...options.limits },
      ...(options.logger ? { logger: options.logger as never } : {}),
    });
    instances.push({ app, store });
    await app.ready();
    return { app, store };
  };
  const { app, store } = await openInstance();
  // Each person's authenticator secret and the last time step whose code was sent, by email.
  const authenticators = new Map<string, { secret: string; lastStep: number }>();
  const signIn: ApiFixture["signIn"] = async (person, options = {}) => {
    const target = options.app ?? app;
    const remoteAddress = options.ip ?? "198.51.100.4";
    const send = async (url: string, payload: unknown, cookie?: string) => {
      const response = await target.inject({
        method: "POST",
        url,
        headers: { ...testCsrfHeader, ...(cookie ? { cookie } : {}) },
        payload: payload as Record<string, unknown>,
        remoteAddress,
      });
      if (response.statusCode !== 200)
        throw new Error(`POST ${url}: ${response.statusCode} ${response.body}`);
      return { body: response.json() as { mfaEnrolmentRequired: boolean }, cookie: cookieOf(response) };
    };
    const email = person.email.trim().toLowerCase();
    const known = authenticators.get(email);
    if (known) {
      const step = () => Math.floor(now / 30_000);
      if (step() <= known.lastStep) now = (known.lastStep + 1) * 30_000;
      known.lastStep = step();
      const { cookie } = await send("/v1/session", { ...person, totp: totpCode(known.secret, clock()) });
      return { cookie, secret: known.secret };
    }
    const enrolling = await send("/v1/session", person);
    if (!enrolling.body.mfaEnrolmentRequired)
      throw new Error(`${email} has an authenticator this fixture did not enrol`);
    const start = await target.inject({
      method: "POST",
      url: "/v1/session/mfa",
      headers: { ...testCsrfHeader, cookie: enrolling.cookie },
      remoteAddress,
    });
    const { secret } = start.json() as { secret: string };
    const confirmed = await send(
      "/v1/session/mfa/confirm",
      { secret, code: totpCode(secret, clock()) },
      enrolling.cookie,
    );
    authenticators.set(email, { secret, lastStep: Math.floor(now / 30_000) });
    return { cookie: confirmed.cookie, secret };
  };
  return {
    app,
    store,
    database,
    signIn,
    openAnotherInstance: openInstance,
    advance: (ms) => void (now += ms),
    now: clock,
    async close() {
      for (const instance of instances.splice(0)) {
        await instance.app.close();
        await instance.store.close();
      }
      await database.drop();
    },
  };
}

/** An organisation with a user and a key for each role asked for; returns the secrets by role. */
export async function seedOrganisation(
  store: Store,
  slug: string,
  roles: readonly ApiRole[],
): Promise<{ organisationId: number; keys: Record<string, string>; userIds: Record<string, number> }> {
  const organisation = await store.organisations.create({ slug, name: slug }, "system:test");
  const keys: Record<string, string> = {};
  const userIds: Record<string, number> = {};
  for (const role of roles) {
    const user = await store.users.create(
      { organisationId: organisation.id, email: `${role}@${slug}.example`, displayName: role, role },
      "system:test",
    );
    userIds[role] = user.id;
    const created = await store.apiKeys.create(
      { organisationId: organisation.id, userId: user.id, name: role, scopes: keyScopes(role, null) },
      "system:test",
    );
    keys[role] = created.secret;
  }
  return { organisationId: organisation.id, keys, userIds };
}

export const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

/** The header the dashboard sends with every request (the API's CSRF defence, session-routes.ts). */
export const testCsrfHeader = { "x-requested-with": "wildtrawl" } as const;

/** "__Host-wildtrawl_session=TOKEN" from a response that set the session cookie. */
export function cookieOf(response: { headers: Record<string, unknown> }): string {
  const header = String(response.headers["set-cookie"]);
  const match = /^__Host-wildtrawl_session=([A-Za-z0-9_-]{43});/.exec(header);
  if (!match) throw new Error(`no session cookie in ${header}`);
  return `__Host-wildtrawl_session=${match[1]}`;
}
