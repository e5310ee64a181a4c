import type { AddressInfo } from "node:net";
import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer } from "smtp-server";
import { defaultTakedownTemplateDir } from "../../config.ts";
import type { NoticeTemplate } from "../../core/takedown/notice-template.ts";
import { openStore } from "../../storage/open-store.ts";
import type { Organisation, Source } from "../../storage/records.ts";
import type { ContractDatabase } from "../../storage/store.contract.ts";
import type { Store } from "../../storage/store.ts";
import { newSqliteDatabase } from "../../storage/testing/test-databases.ts";
import { loadNoticeTemplates } from "../takedowns.ts";

/**
 * A small takedown world for tests: a store whose clock the test moves, an organisation with a reviewer, a source on
 * the platform "Example Market", and listings an analyst has judged.
 */
export interface TakedownWorld {
  readonly store: Store;
  readonly database: ContractDatabase;
  readonly org: Organisation;
  readonly source: Source;
  readonly reviewerId: number;
  readonly templates: ReadonlyMap<string, NoticeTemplate>;
  now(): Date;
  setNow(at: Date | string): void;
  /** A listing (platform id `key`) with an Appendix I elephant detection, judged with `verdict`. */
  listing(
    key: string,
    verdict: "illegal_offer" | "legal_offer" | "not_wildlife" | "unsure" | null,
    overrides?: { url?: string; title?: string; sourceId?: number },
  ): Promise<number>;
  close(): Promise<void>;
}

export async function openTakedownWorld(
  options: { databaseUrl?: ContractDatabase } = {},
): Promise<TakedownWorld> {
  const database = options.databaseUrl ?? (await newSqliteDatabase());
  let now = new Date("2026-03-01T09:00:00.000Z");
  const store = await openStore(database.url, { clock: () => now });
  const actor = "system:test";
  const org = await store.organisations.create({ slug: "unit", name: "Wildlife Unit" }, actor);
  const reviewer = await store.users.create(
    { organisationId: org.id, email: "reviewer@unit.example", displayName: "Reviewer", role: "reviewer" },
    actor,
  );
  const source = await store.sources.upsert({
    organisationId: org.id,
    slug: "market",
    name: "Market",
    platform: "Example Market",
  });
  const templates = await loadNoticeTemplates(defaultTakedownTemplateDir);
  return {
    store,
    database,
    org,
    source,
    reviewerId: reviewer.id,
    templates,
    now: () => now,
    setNow: (at) => void (now = new Date(at)),
    async listing(key, verdict, overrides = {}) {
      const [ingested] = await store.listings.ingest([
        {
          sourceId: overrides.sourceId ?? source.id,
          listingKey: `id:${key}`,
          observedAt: now,
          url: overrides.url ?? `https://market.example/item/${key}`,
          title: overrides.title ?? `Ivory bangle ${key}`,
          text: "Genuine old ivory bangle, ship worldwide",
          seller: "tusk_trader",
          detection: {
            taxa: [{ taxonId: 4521, scientificName: "Loxodonta africana", appendix: "I" }],
            score: 0.93,
            verdict: "offer",
            reasons: ["ivory"],
            detectorVersion: "test-1",
          },
        },
      ]);
      const listingId = ingested!.listingId;
      if (verdict !== null)
        await store.reviews.record(
          { organisationId: org.id, listingId, reviewerId: reviewer.id, verdict },
          `user:${reviewer.id}`,
        );
      return listingId;
    },
    async close() {
      await store.close();
      await database.drop();
    },
  };
}

/** An SMTP server on 127.0.0.1 that keeps every message it accepts, parsed; `refuse` makes it reject the next ones. */
export interface SmtpSink {
  readonly url: string;
  readonly messages: ParsedMail[];
  /** The envelope recipients of each accepted message. */
  readonly recipients: string[][];
  refuse(refusing: boolean): void;
  close(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const messages: ParsedMail[] = [];
  const recipients: string[][] = [];
  let refusing = false;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, session, callback) {
      if (refusing) {
        stream.resume();
        stream.on("end", () => {
          const error = new Error("mailbox unavailable") as Error & { responseCode: number };
          error.responseCode = 550;
          callback(error);
        });
        return;
      }
      simpleParser(stream)
        .then((mail) => {
          messages.push(mail);
          recipients.push(session.envelope.rcptTo.map((r) => r.address));
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    recipients,
    refuse: (value) => void (refusing = value),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
