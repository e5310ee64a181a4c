import path from "node:path";
import { InvalidArgumentError, type Command } from "commander";
import { UsageError } from "../core/errors.ts";
import { apiRoles, type ApiRole } from "../services/access.ts";
import { createAccessService } from "../services/access.ts";
import { createAdministrationService } from "../services/administration.ts";
import { createAuthenticationService, type AuthenticationService } from "../services/authentication.ts";
import { ensureSigningKey } from "../evidence/signing-keys.ts";
import { keysDirOf } from "../services/evidence.ts";
import { createSharingService, type SharingService } from "../services/sharing.ts";
import { openStore } from "../storage/open-store.ts";
import { handlingCodes, tlpMarkings, type HandlingCode, type TlpMarking } from "../storage/records.ts";
import { oneOf } from "./argument-parsers.ts";
import type { CliContext } from "./cli-context.ts";
import { organisationFor } from "./cli-organisation.ts";

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

/**
 * The password piped to `--password-stdin`: one line, its line ending removed and nothing else (spaces count).
 * Never an argument: arguments are visible to every user of the machine and kept in shell history.
 */
async function readPassword(stdin: NodeJS.ReadableStream): Promise<string> {
  let text = "";
  for await (const chunk of stdin) {
    text += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    if (text.length > 64 * 1024)
      throw new UsageError("password_invalid", "standard input: expected one line");
  }
  const password = text.replace(/\r?\n$/, "");
  if (password.includes("\n") || password === "")
    throw new UsageError("password_invalid", "standard input: expected the password on one line");
  return password;
}

const cliActor = "system:cli";

/**
 * `wildtrawl admin init`, `admin key create` and `admin user …`: the first organisation, API keys and the people who
 * sign in, from a shell. `stdin` is where `--password-stdin` reads (tests pass their own).
 */
export function registerAdminCommands(
  program: Command,
  context: CliContext,
  options: { stdin?: NodeJS.ReadableStream } = {},
): void {
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

  const withAuthentication = async <T>(
    work: (authentication: AuthenticationService) => Promise<T>,
  ): Promise<T> => {
    const store = await openStore(context.config.databaseUrl);
    try {
      const access = createAccessService({ store, clock: context.now });
      return await work(createAuthenticationService({ store, access, clock: context.now }));
    } finally {
      await store.close();
    }
  };
  const password = () => readPassword(options.stdin ?? process.stdin);

  const admin = program
    .command("admin")
    .description("organisations, administrators, people, API keys and the evidence signing key");
  /** The evidence signing key (RELIABILITY E4): made on first use; its fingerprint is what the agency publishes. */
  const writeSigningKey = async (withPem: boolean) => {
    const keysDir = keysDirOf(path.resolve(context.config.dataDir));
    const key = await ensureSigningKey(keysDir);
    write(
      `${key.created ? "Created the evidence signing key" : "Evidence signing key"} in ${keysDir}: ${key.fingerprint}` +
        " (publish this fingerprint; every package carries the public key)",
    );
    if (withPem) write(key.publicKeyPem.trimEnd());
  };

  admin
    .command("signing-key")
    .description(
      "create the Ed25519 key that signs evidence packages if there is none, and print its public half",
    )
    .action(() => writeSigningKey(true));

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
      await writeSigningKey(false);
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

  const user = admin.command("user").description("the people who sign in to the dashboard");
  user
    .command("add")
    .description("add a person to an organisation; with --password-stdin they can sign in at once")
    .requiredOption("--org <slug>", "the organisation")
    .requiredOption("--email <email>", "their email (their login name)")
    .requiredOption("--name <name>", "their name as shown")
    .requiredOption("--role <role>", `one of ${apiRoles.join(", ")}`, role)
    .option("--password-stdin", "read their first password from standard input (one line)")
    .action(
      async (options: {
        org: string;
        email: string;
        name: string;
        role: ApiRole;
        passwordStdin?: boolean;
      }) => {
        const initial = options.passwordStdin ? await password() : undefined;
        const added = await withAuthentication((authentication) =>
          authentication.addUser(
            {
              organisationSlug: options.org,
              email: options.email,
              displayName: options.name,
              role: options.role,
              ...(initial === undefined ? {} : { password: initial }),
            },
            cliActor,
          ),
        );
        write(`Added ${added.email} (id ${added.id}, ${added.role}) to ${options.org}`);
        if (initial === undefined)
          write(
            `No password yet: set one with 'wildtrawl admin user password --email ${added.email} --password-stdin'`,
          );
        // Every person needs an authenticator (RELIABILITY A7); the dashboard walks them through it.
        write("At their first sign-in they set up an authenticator app (two-step verification)");
      },
    );

  user
    .command("password")
    .description("set a person's password (from standard input); their sessions end")
    .requiredOption("--email <email>", "whose password")
    .option("--password-stdin", "read the password from standard input (one line); the only way to give it")
    .action(async (options: { email: string; passwordStdin?: boolean }) => {
      if (!options.passwordStdin)
        throw new UsageError(
          "password_stdin_required",
          "give the password on standard input with --password-stdin, never as an argument",
        );
      const newPassword = await password();
      const updated = await withAuthentication((authentication) =>
        authentication.setPassword(options.email, newPassword, cliActor),
      );
      write(`Password set for ${updated.email}; their sessions have ended`);
    });

  user
    .command("disable")
    .description("disable a person: their sessions end at once and their API keys are revoked")
    .requiredOption("--email <email>", "who")
    .action(async (options: { email: string }) => {
      const disabled = await withAuthentication((authentication) =>
        authentication.disableUser(options.email, cliActor),
      );
      write(`Disabled ${disabled.email} (id ${disabled.id})`);
    });

  user
    .command("reset-mfa")
    .description(
      "remove a person's authenticator (a lost phone): their sessions end; they enrol at next sign-in",
    )
    .requiredOption("--email <email>", "whose authenticator")
    .action(async (options: { email: string }) => {
      const reset = await withAuthentication((authentication) =>
        authentication.resetMfaByEmail(options.email, cliActor),
      );
      write(
        `Authenticator removed for ${reset.email}; their sessions have ended. They set up a new one at sign-in`,
      );
    });

  user
    .command("list")
    .description("the people of an organisation")
    .requiredOption("--org <slug>", "the organisation")
    .option("--json", "one JSON object a line")
    .action(async (options: { org: string; json?: boolean }) => {
      const people = await withAuthentication((authentication) => authentication.listUsers(options.org));
      for (const { user: person, passwordSet, mfaEnrolled } of people) {
        const state = person.disabledAt ? "disabled" : passwordSet ? "active" : "no password";
        if (options.json)
          write(
            JSON.stringify({
              id: person.id,
              email: person.email,
              displayName: person.displayName,
              role: person.role,
              state,
              mfaEnrolled,
            }),
          );
        else
          write(`${person.id}\t${person.email}\t${person.role}\t${state}\tmfa ${mfaEnrolled ? "on" : "off"}`);
      }
    });

  const withSharing = async <T>(
    work: (sharing: SharingService, store: Awaited<ReturnType<typeof openStore>>) => Promise<T>,
  ): Promise<T> => {
    const store = await openStore(context.config.databaseUrl);
    try {
      return await work(createSharingService(store), store);
    } finally {
      await store.close();
    }
  };

  user
    .command("clearance")
    .description(
      "show, or with --marking and --handling set, the most restrictive marking a person holds (docs/sharing.md)",
    )
    .requiredOption("--email <email>", "whose")
    .option("--marking <tlp>", `TLP 2.0: ${tlpMarkings.join(", ")}`, oneOf(tlpMarkings))
    .option("--handling <code>", `handling code: ${handlingCodes.join(", ")}`, oneOf(handlingCodes))
    .action(async (options: { email: string; marking?: TlpMarking; handling?: HandlingCode }) => {
      if ((options.marking === undefined) !== (options.handling === undefined))
        throw new UsageError("clearance_incomplete", "give both --marking and --handling, or neither");
      const held = await withSharing(async (sharing) => {
        const person = await sharing.userByEmail(options.email);
        const caller = { organisationId: person.organisationId, actor: cliActor };
        if (options.marking !== undefined && options.handling !== undefined)
          await sharing.setClearance(caller, person.id, {
            marking: options.marking,
            handling: options.handling,
          });
        return sharing.clearance(caller, person.id);
      });
      write(
        `${options.email} holds TLP:${held.marking} and ${held.handling}` +
          (held.setBy === null ? " (their role's)" : ` (set by ${held.setBy})`),
      );
    });

  const group = admin
    .command("sharing-group")
    .description("named sets of organisations that cases are shared with");
  const repeated = (value: string, previous: string[] = []) => [...previous, value];
  group
    .command("create")
    .description("create a sharing group of organisations; the owning one is always a member")
    .requiredOption("--org <slug>", "the organisation that owns it")
    .requiredOption("--slug <slug>", "the group's short name (a-z, 0-9, -)")
    .option("--name <name>", "the group's full name (default: the slug)")
    .option("--member <slug>", "a member organisation (repeat for more)", repeated)
    .action(async (options: { org: string; slug: string; name?: string; member?: string[] }) => {
      const created = await withSharing(async (sharing, store) => {
        const owner = await organisationFor(store, options.org, "which organisation owns the group");
        return sharing.createGroup(
          { organisationId: owner.id, actor: cliActor },
          { slug: options.slug, name: options.name ?? options.slug, members: options.member ?? [] },
        );
      });
      write(
        `Created sharing group ${created.slug} (id ${created.id}) of ${created.memberIds.length} organisation(s)`,
      );
    });
  group
    .command("members")
    .description(
      "add or remove member organisations; a removed one stops reading what the group reaches at once",
    )
    .requiredOption("--org <slug>", "the organisation that owns the group")
    .requiredOption("--slug <slug>", "the group")
    .option("--add <slug>", "an organisation to add (repeat for more)", repeated)
    .option("--remove <slug>", "an organisation to remove (repeat for more)", repeated)
    .action(async (options: { org: string; slug: string; add?: string[]; remove?: string[] }) => {
      const changed = await withSharing(async (sharing, store) => {
        const owner = await organisationFor(store, options.org, "which organisation owns the group");
        return sharing.changeMembers({ organisationId: owner.id, actor: cliActor }, options.slug, {
          add: options.add ?? [],
          remove: options.remove ?? [],
        });
      });
      write(`Sharing group ${changed.slug}: ${changed.memberIds.length} organisation(s)`);
    });
}
