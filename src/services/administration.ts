import { NotFoundError, UsageError } from "../core/errors.ts";
import type { AuditEntry, Organisation, User } from "../storage/records.ts";
import { ConflictError } from "../storage/storage-errors.ts";
import type { Store } from "../storage/store.ts";
import {
  apiRoles,
  describeKey,
  keyScopes,
  type AccessService,
  type ApiRole,
  type Principal,
} from "./access.ts";

export interface NewKeyRequest {
  readonly name: string;
  readonly role: ApiRole;
  readonly expiresAt?: Date | null;
  readonly userId?: number | null;
}

export interface AdministrationService {
  /** Creates the first organisation, its admin user and an admin key (whose secret is returned once). */
  initialise(request: {
    organisationSlug: string;
    organisationName: string;
    adminEmail: string;
    adminName: string;
  }): Promise<{
    organisation: Organisation;
    user: User;
    key: ReturnType<typeof describeKey>;
    secret: string;
  }>;
  /** A key for an organisation named by slug, from the command line (the operator acts as "system:cli"). */
  createKeyForOrganisation(
    organisationSlug: string,
    request: NewKeyRequest,
  ): Promise<{ key: ReturnType<typeof describeKey>; secret: string }>;
  createKey(
    principal: Principal,
    request: NewKeyRequest,
  ): Promise<{ key: ReturnType<typeof describeKey>; secret: string }>;
  listKeys(principal: Principal): Promise<ReturnType<typeof describeKey>[]>;
  revokeKey(principal: Principal, keyId: number): Promise<ReturnType<typeof describeKey>>;
  createUser(
    principal: Principal,
    request: { email: string; displayName: string; role: ApiRole },
  ): Promise<User>;
  getUser(principal: Principal, userId: number): Promise<User>;
  /** Disables the user and revokes every key issued to them. */
  disableUser(principal: Principal, userId: number): Promise<User>;
  /** The organisation's audit entries after `afterId`, oldest first. */
  listAudit(
    principal: Principal,
    options: { afterId?: number; limit?: number },
  ): Promise<{ items: AuditEntry[]; nextAfterId: number | null }>;
}

const cliActor = "system:cli";

export function createAdministrationService(deps: {
  store: Store;
  access: AccessService;
  clock: () => Date;
}): AdministrationService {
  const { store, access, clock } = deps;

  const checkRole = (role: string): ApiRole => {
    if (!(apiRoles as readonly string[]).includes(role))
      throw new UsageError("role_invalid", `role "${role}": expected one of ${apiRoles.join(", ")}`);
    return role as ApiRole;
  };

  const issueKey = async (organisationId: number, request: NewKeyRequest, actor: string) => {
    const role = checkRole(request.role);
    if (request.expiresAt && request.expiresAt.getTime() <= clock().getTime())
      throw new UsageError("expiry_in_past", "a key's expiry must be in the future");
    if (request.userId !== undefined && request.userId !== null) {
      const user = await store.users.get(request.userId);
      if (user === null || user.organisationId !== organisationId)
        throw new NotFoundError("user_not_found", `no user ${request.userId}`);
    }
    const created = await store.apiKeys.create(
      {
        organisationId,
        userId: request.userId ?? null,
        name: request.name,
        scopes: keyScopes(role, request.expiresAt ?? null),
      },
      actor,
    );
    return { key: describeKey(created.apiKey), secret: created.secret };
  };

  const ownUser = async (principal: Principal, userId: number): Promise<User> => {
    const user = await store.users.get(userId);
    // Another organisation's user answers exactly as a missing one: its existence does not leak.
    if (user === null || user.organisationId !== principal.organisationId)
      throw new NotFoundError("user_not_found", `no user ${userId}`);
    return user;
  };

  return {
    async initialise(request) {
      if ((await store.organisations.list()).length > 0)
        throw new ConflictError(
          "already_initialised",
          "an organisation already exists: use 'wildtrawl admin key create' to issue keys",
        );
      const organisation = await store.organisations.create(
        { slug: request.organisationSlug, name: request.organisationName },
        cliActor,
      );
      const user = await store.users.create(
        {
          organisationId: organisation.id,
          email: request.adminEmail,
          displayName: request.adminName,
          role: "admin",
        },
        cliActor,
      );
      const { key, secret } = await issueKey(
        organisation.id,
        { name: `${user.email} (initial admin key)`, role: "admin", userId: user.id },
        cliActor,
      );
      return { organisation, user, key, secret };
    },

    async createKeyForOrganisation(organisationSlug, request) {
      const organisation = await store.organisations.getBySlug(organisationSlug);
      if (organisation === null)
        throw new NotFoundError("organisation_not_found", `no organisation "${organisationSlug}"`);
      return issueKey(organisation.id, request, cliActor);
    },

    createKey: (principal, request) => issueKey(principal.organisationId, request, principal.actor),

    async listKeys(principal) {
      return (await store.apiKeys.listForOrganisation(principal.organisationId)).map(describeKey);
    },

    async revokeKey(principal, keyId) {
      const owned = (await store.apiKeys.listForOrganisation(principal.organisationId)).some(
        (key) => key.id === keyId,
      );
      if (!owned) throw new NotFoundError("api_key_not_found", `no API key ${keyId}`);
      const revoked = await store.apiKeys.revoke(keyId, principal.actor);
      access.forget(keyId);
      return describeKey(revoked);
    },

    async createUser(principal, request) {
      return store.users.create(
        {
          organisationId: principal.organisationId,
          email: request.email,
          displayName: request.displayName,
          role: checkRole(request.role),
        },
        principal.actor,
      );
    },

    getUser: ownUser,

    async disableUser(principal, userId) {
      await ownUser(principal, userId);
      const user = await store.users.disable(userId, principal.actor);
      for (const key of await store.apiKeys.listForOrganisation(principal.organisationId)) {
        if (key.userId === userId && key.revokedAt === null) {
          await store.apiKeys.revoke(key.id, principal.actor);
          access.forget(key.id);
        }
      }
      return user;
    },

    async listAudit(principal, options) {
      // The store's audit list has no organisation filter yet: scan a bounded number of pages and keep ours.
      const limit = Math.max(1, Math.min(500, options.limit ?? 100));
      const items: AuditEntry[] = [];
      let afterId = options.afterId ?? 0;
      for (let page = 0; page < 20 && items.length < limit; page++) {
        const entries = await store.audit.list({ afterId, limit: 1000 });
        for (const entry of entries) {
          afterId = entry.id;
          if (entry.organisationId === principal.organisationId) {
            items.push(entry);
            if (items.length === limit) break;
          }
        }
        if (entries.length < 1000) {
          if (items.length < limit) return { items, nextAfterId: null };
          break;
        }
      }
      return { items, nextAfterId: afterId };
    },
  };
}
