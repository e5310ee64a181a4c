import type { StoreRepositories } from "../store.ts";
import { SqlApiKeyRepository, SqlOrganisationRepository, SqlUserRepository } from "./access-repositories.ts";
import { SqlAuditRepository } from "./audit-repository.ts";
import { SqlCaseRepository } from "./case-repository.ts";
import { SqlEvidenceRepository } from "./evidence-repository.ts";
import { SqlJobQueue, type JobDialect } from "./job-queue.ts";
import { SqlListingRepository, type ListingDialect } from "./listing-repository.ts";
import { SqlLoginFailureRepository } from "./login-failure-repository.ts";
import { SqlRateLimitRepository } from "./rate-limit-repository.ts";
import { SqlRelistingRepository } from "./relisting-repository.ts";
import { SqlReviewRepository } from "./review-repository.ts";
import { SqlSessionRepository } from "./session-repository.ts";
import { SqlSharingRepository } from "./sharing-repository.ts";
import type { SqlContext } from "./sql-context.ts";
import type { SqlExecutor } from "./sql-executor.ts";
import { SqlPageRepository, SqlSourceRepository } from "./source-repositories.ts";
import { SqlStatisticsRepository } from "./statistics-repository.ts";
import { SqlTakedownRepository } from "./takedown-repository.ts";
import { SqlPlatformRepository } from "./platform-repository.ts";

export interface SqlDialectParts extends SqlContext {
  readonly listings: ListingDialect;
  readonly jobs: JobDialect;
}

/** Every repository bound to one executor: the store's own, or a transaction's. */
export function sqlRepositories(db: SqlExecutor, parts: SqlDialectParts): StoreRepositories {
  return {
    organisations: new SqlOrganisationRepository(db, parts),
    users: new SqlUserRepository(db, parts),
    apiKeys: new SqlApiKeyRepository(db, parts),
    sources: new SqlSourceRepository(db, parts),
    pages: new SqlPageRepository(db),
    listings: new SqlListingRepository(db, parts, parts.listings),
    reviews: new SqlReviewRepository(db, parts),
    evidence: new SqlEvidenceRepository(db, parts),
    takedowns: new SqlTakedownRepository(db, parts),
    platforms: new SqlPlatformRepository(db, parts),
    audit: new SqlAuditRepository(db, parts.lock, parts.clock),
    jobs: new SqlJobQueue(db, parts.jobs),
    statistics: new SqlStatisticsRepository(db),
    sessions: new SqlSessionRepository(db, parts),
    loginFailures: new SqlLoginFailureRepository(db),
    rateLimits: new SqlRateLimitRepository(db),
    relistings: new SqlRelistingRepository(db, parts),
    cases: new SqlCaseRepository(db, parts),
    sharing: new SqlSharingRepository(db, parts),
  };
}
