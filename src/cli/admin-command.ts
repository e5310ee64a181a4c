import { InvalidArgumentError, type Command } from "commander";
import { apiRoles, type ApiRole } from "../services/access.ts";
import { createAccessService } from "../services/access.ts";
import { createAdministrationService } from "../services/administration.ts";
import { openStore } from "../storage/open-store.ts";
import type { CliContext } from "./cli-context.ts";

function role(value: string): ApiRole {
  if (!(apiRoles as readonly string[]).includes(value))
    throw new InvalidArgumentError(`expected one of ${apiRoles.join(", ")}`);
  return value as ApiRole;
}

function instant(value: string): Date {
  const at = new Date(value);
  if (Number.isNaN(at.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(value))
    throw new InvalidArgumentError("expected an ISO 8601 date or time, e.g. 2027-01-31");
  return at;
}

/** `wildtrawl admin init` and `wildtrawl admin key create`: the first organisation, and API keys, from a shell. */
export function registerAdminCommands(program: Command, context: CliContext): void {
  const write = (text: string): void => void context.stdout.write(`${text}\n`);
  const withAdministration = async <T>(
    work: (administration: ReturnType<typeof createAdministrationService>) => Promise<T>,
  ): Promise<T> => {
    const store = await openStore(context.config.databaseUrl);
    try {
      const access = createAccessService({ store, clock: context.now });
      return await work(createAdministrationService({ store, access, clock: context.now }));
    } finally {
      await store.close();
    }
  };

  const admin = program.command("admin").description("organisations, administrators and API keys");

  admin
    .command("init")
    .description("create the first organisation, its admin user and an admin API key (printed once)")
    .requiredOption("--org <slug>", "the organisation's short name (a-z, 0-9, -)")
    .option("--name <name>", "the organisation's full name (default: the slug)")
    .requiredOption("--email <email>", "the admin's email (their login name)")
    .option("--display-name <name>", "the admin's name (default: the email)")
    .action(async (options: { org: string; name?: string; email: string; displayName?: string }) => {
      const result = await withAdministration((administration) =>
        administration.initialise({
          organisationSlug: options.org,
          organisationName: options.name ?? options.org,
          adminEmail: options.email,
          adminName: options.displayName ?? options.email,
        }),
      );
      write(`Created organisation ${result.organisation.slug} (id ${result.organisation.id})`);
      write(`Created admin user ${result.user.email} (id ${result.user.id})`);
      write(
        `Admin API key ${result.key.prefix}… (id ${result.key.id}). It is shown this once; store it now:`,
      );
      write(result.secret);
    });

  const key = admin.command("key").description("API keys");
  key
    .command("create")
    .description("issue an API key for an organisation; the key is printed once and only its hash is kept")
    .requiredOption("--org <slug>", "the organisation")
    .requiredOption("--role <role>", `one of ${apiRoles.join(", ")}`, role)
    .option("--name <name>", "what the key is for, e.g. 'marketplace screening'")
    .option("--expires <date>", "when the key stops working (ISO 8601)", instant)
    .action(async (options: { org: string; role: ApiRole; name?: string; expires?: Date }) => {
      const created = await withAdministration((administration) =>
        administration.createKeyForOrganisation(options.org, {
          name: options.name ?? `${options.role} key`,
          role: options.role,
          expiresAt: options.expires ?? null,
        }),
      );
      context.stderr.write(
        `API key ${created.key.prefix}… (id ${created.key.id}, role ${options.role}${created.key.expiresAt ? `, expires ${created.key.expiresAt}` : ""}). Shown this once:\n`,
      );
      write(created.secret);
    });
}
