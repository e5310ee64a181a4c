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
  return {
    app,
    store,
    database,
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
