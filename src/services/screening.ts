import { UsageError } from "../core/errors.ts";
import { detect, type Advert, type Detection } from "../core/detect/detect.ts";
import type { DetectionModel } from "../core/detect/model.ts";
import type { Lexicon } from "../core/lexicon/lexicon.ts";
import { productTypes, type ProductType } from "../core/lexicon/vocabulary.ts";
import type { Appendix } from "../core/species/reference-data.ts";
import type { JsonObject } from "../storage/records.ts";
import type { Store } from "../storage/store.ts";
import type { AccessService, Principal } from "./access.ts";
import type { ScreeningPool } from "./screening-pool.ts";

/** Scores at or above which a listing is held for review or blocked. */
export interface Thresholds {
  readonly review: number;
  readonly block: number;
}

/** How an organisation (a platform) turns a detection into allow / review / block. */
export interface ScreeningPolicy {
  readonly appendices: Readonly<Record<Appendix, Thresholds>>;
  /** Stricter thresholds for products that are seldom legal (the lower of these and the appendix's wins). */
  readonly products: Readonly<Partial<Record<ProductType, Thresholds>>>;
  /** Keep counts of verdicts and taxa (never the listing's text) in the audit log. */
  readonly keepStatistics: boolean;
  /**
   * What an offer of wildlife that is not CITES-listed gets (mammoth ivory, a budgerigar): for a platform that bans
   * all wildlife or all ivory. Absent in policies set before it existed, which allow them.
   */
  readonly unlistedWildlife?: ScreeningVerdict;
}

export const defaultScreeningPolicy: ScreeningPolicy = Object.freeze({
  appendices: {
    I: { review: 0.3, block: 0.75 },
    II: { review: 0.45, block: 0.85 },
    III: { review: 0.6, block: 0.95 },
  },
  products: {
    ivory: { review: 0.25, block: 0.7 },
    horn: { review: 0.25, block: 0.7 },
    scales: { review: 0.25, block: 0.7 },
    live: { review: 0.35, block: 0.8 },
  },
  keepStatistics: false,
  unlistedWildlife: "allow",
});

export const screeningVerdicts = ["allow", "review", "block"] as const;
export type ScreeningVerdict = (typeof screeningVerdicts)[number];

/** What a listing submitted for screening may say about itself; `text` or `title` must be non-empty. */
export interface ScreeningListing extends Advert {
  /** The platform's own reference, echoed in the answer. */
  readonly id?: string;
}

export interface ScreenedTaxon {
  readonly id: string;
  readonly name: string;
  readonly rank: string;
  readonly appendices: readonly Appendix[];
  readonly listedThrough?: string;
}

export interface ScreeningResult {
  readonly id?: string;
  readonly verdict: ScreeningVerdict;
  readonly score: number;
  /** Offers wildlife, CITES-listed or not (see `Detection.offersWildlife`). */
  readonly offersWildlife: boolean;
  readonly taxa: readonly ScreenedTaxon[];
  readonly products: readonly ProductType[];
  readonly reasons: readonly string[];
  readonly detectorVersion: string;
}

/** Why a listing could not be screened, in place of its answer. */
export interface ScreeningItemError {
  readonly id?: string;
  readonly error: { readonly code: string; readonly message: string };
}

/** One listing's answer, or why it could not be screened. */
export type ScreenedItem = ScreeningResult | ScreeningItemError;

export interface ScreeningService {
  screen(principal: Principal, listing: ScreeningListing): Promise<ScreeningResult>;
  /** Each listing's answer in the order given, as JSON in UTF-8 (`BatchAnswer`), and how many got each verdict. */
  screenBatch(
    principal: Principal,
    listings: readonly ScreeningListing[],
  ): Promise<{ answers: readonly BatchAnswer[]; counts: Record<ScreeningVerdict, number> }>;
  getPolicy(principal: Principal): Promise<ScreeningPolicy>;
  setPolicy(principal: Principal, policy: ScreeningPolicy): Promise<ScreeningPolicy>;
}

const appendixOrder: readonly Appendix[] = ["I", "II", "III"];

/** The answer for one detection under a policy. Pure: the same detection and policy give the same verdict. */
export function decide(detection: Detection, policy: ScreeningPolicy): Omit<ScreeningResult, "id"> {
  const listed = detection.taxa.filter((taxon) => taxon.listed && taxon.appendices.length > 0);
  const taxa = listed.map((taxon) => ({
    id: taxon.id,
    name: taxon.name,
    rank: taxon.rank,
    appendices: taxon.appendices,
    ...(taxon.listedThrough ? { listedThrough: taxon.listedThrough } : {}),
  }));
  const base = {
    score: detection.score,
    offersWildlife: detection.offersWildlife,
    taxa,
    products: detection.products,
    detectorVersion: detection.detectorVersion,
  };
  // A claim of legality or of a substitute material is for a person to weigh: never blocked unseen.
  const claimed = detection.matches.some(
    (match) => (match.kind === "claim" || match.kind === "substitute") && match.suppressedBy === undefined,
  );
  if (listed.length === 0 || detection.verdict === "none") {
    const unlisted = unlistedWildlifeVerdict(detection, policy, claimed);
    return {
      ...base,
      verdict: unlisted?.verdict ?? "allow",
      reasons: [...(unlisted?.reasons ?? ["no CITES-listed taxon found"]), ...detection.reasons],
    };
  }
  let review = 1;
  let block = 1;
  let strictest: Appendix = "III";
  for (const taxon of listed) {
    for (const appendix of taxon.appendices) {
      const thresholds = policy.appendices[appendix];
      review = Math.min(review, thresholds.review);
      block = Math.min(block, thresholds.block);
      if (appendixOrder.indexOf(appendix) < appendixOrder.indexOf(strictest)) strictest = appendix;
    }
  }
  const stricterFor: string[] = [];
  for (const product of detection.products) {
    const thresholds = policy.products[product];
    if (!thresholds) continue;
    if (thresholds.review < review || thresholds.block < block) stricterFor.push(product);
    review = Math.min(review, thresholds.review);
    block = Math.min(block, thresholds.block);
  }
  const why = `Appendix ${strictest}${stricterFor.length ? ` and ${stricterFor.join(", ")}` : ""}`;
  const reasons: string[] = [];
  let verdict: ScreeningVerdict;
  if (detection.verdict === "offer" && detection.score >= block && !claimed) {
    verdict = "block";
    reasons.push(`score ${detection.score} ≥ ${block}, the block threshold for ${why}`);
  } else if (detection.score >= review) {
    verdict = "review";
    reasons.push(
      detection.verdict === "offer" && detection.score >= block
        ? `score ${detection.score} ≥ ${block}, but a claim of legality or substitute must be checked by a person`
        : `score ${detection.score} ≥ ${review}, the review threshold for ${why}`,
    );
  } else {
    verdict = "allow";
    reasons.push(`score ${detection.score} < ${review}, the review threshold for ${why}`);
    const unlisted = unlistedWildlifeVerdict(detection, policy, claimed);
    if (unlisted) {
      verdict = unlisted.verdict;
      reasons.push(...unlisted.reasons);
    }
  }
  return { ...base, verdict, reasons: [...reasons, ...detection.reasons, ...detection.review] };
}

/** The policy's verdict for an offer of wildlife that the CITES score lets through, when the policy holds such. */
function unlistedWildlifeVerdict(
  detection: Detection,
  policy: ScreeningPolicy,
  claimed: boolean,
): { verdict: ScreeningVerdict; reasons: string[] } | undefined {
  const chosen = policy.unlistedWildlife ?? "allow";
  if (!detection.offersWildlife || chosen === "allow") return undefined;
  const verdict = chosen === "block" && claimed ? "review" : chosen;
  const offer = `offers wildlife that is no CITES offer (wildlife-offer score ${detection.wildlifeScore})`;
  return {
    verdict,
    reasons: [
      verdict === chosen
        ? `${offer}: the policy's verdict for such offers is ${chosen}`
        : `${offer}: the policy blocks such offers, but a claim of legality or substitute must be checked by a person`,
    ],
  };
}

export function checkPolicy(policy: ScreeningPolicy): ScreeningPolicy {
  const problems: string[] = [];
  const check = (what: string, t: Thresholds) => {
    if (!(t.review >= 0 && t.review <= 1 && t.block >= 0 && t.block <= 1))
      problems.push(`${what}: thresholds are scores from 0 to 1`);
    else if (t.review > t.block) problems.push(`${what}: review (${t.review}) is above block (${t.block})`);
  };
  for (const appendix of appendixOrder) check(`Appendix ${appendix}`, policy.appendices[appendix]);
  if (policy.unlistedWildlife !== undefined && !screeningVerdicts.includes(policy.unlistedWildlife))
    problems.push(
      `unlistedWildlife is "${String(policy.unlistedWildlife)}", expected allow, review or block`,
    );
  for (const [product, thresholds] of Object.entries(policy.products)) {
    if (!(productTypes as readonly string[]).includes(product))
      problems.push(`unknown product type "${product}"`);
    else if (thresholds) check(product, thresholds);
  }
  if (problems.length > 0) throw new UsageError("policy_invalid", problems.join("; "));
  return policy;
}

/**
 * Each listing's answer under the policy, in order; a listing that cannot be screened gets its error. Pure, so
 * that worker threads (screening-pool.ts) give the same answers as the API's own thread.
 */
export function screenListings(
  listings: readonly ScreeningListing[],
  policy: ScreeningPolicy,
  lexicon: Lexicon,
  model: DetectionModel,
): ScreenedItem[] {
  return listings.map((listing): ScreenedItem => {
    const { id, ...advert } = listing;
    if (!advert.text?.trim() && !advert.title?.trim()) {
      const error = { code: "listing_empty", message: "a listing needs a non-empty text or title" };
      return id === undefined ? { error } : { id, error };
    }
    const result = decide(detect(advert, lexicon, { model }), policy);
    return id === undefined ? result : { id, ...result };
  });
}

/**
 * One listing's answer in a batch as JSON text, with the little the caller needs besides. It is written in the
 * thread that screened the listing (a worker of screening-pool.ts), so that the API's thread, which every request
 * waits on, only joins the answers of a batch of 1,000 (about 1 MB) rather than copying and serializing them.
 */
export interface BatchAnswer {
  /** Undefined for a listing that could not be screened: its JSON then holds the error. */
  readonly verdict: ScreeningVerdict | undefined;
  /** The listed taxa's names, for the statistics a policy may keep. */
  readonly taxonNames: readonly string[];
  /** The answer as a JSON object in UTF-8, its fields in the order of the API's schema; the caller adds `index`. */
  readonly json: Uint8Array;
}

/** `screenListings`, each answer as a `BatchAnswer`. */
export function screenBatchAnswers(
  listings: readonly ScreeningListing[],
  policy: ScreeningPolicy,
  lexicon: Lexicon,
  model: DetectionModel,
): BatchAnswer[] {
  return screenListings(listings, policy, lexicon, model).map(toBatchAnswer);
}

// (Bytes of their own, not a slice of a shared pool as `Buffer.from` gives: a worker's message copies them whole.)
const utf8 = new TextEncoder();

function toBatchAnswer(item: ScreenedItem): BatchAnswer {
  const id = item.id === undefined ? {} : { id: item.id };
  if ("error" in item)
    return {
      verdict: undefined,
      taxonNames: [],
      json: utf8.encode(JSON.stringify({ ...id, error: item.error })),
    };
  const { verdict, score, offersWildlife, taxa, products, reasons, detectorVersion } = item;
  return {
    verdict,
    taxonNames: taxa.map((taxon) => taxon.name),
    json: utf8.encode(
      JSON.stringify({ ...id, verdict, score, offersWildlife, taxa, products, reasons, detectorVersion }),
    ),
  };
}

const policySubject = "screening_policy";

export function createScreeningService(deps: {
  store: Store;
  access: AccessService;
  lexicon: Lexicon;
  model: DetectionModel;
  clock: () => Date;
  /** How long a policy read from the store is trusted (a change in this process is seen at once). */
  policyCacheMs?: number;
  /** Worker threads to detect in; without one, listings are screened in this thread. */
  pool?: ScreeningPool;
}): ScreeningService {
  const { store, access, lexicon, model, clock } = deps;
  // A batch goes to the worker threads; one listing is screened here: waking a thread and back costs more CPU than
  // detecting a short advert on the bench machine (390 µs a request here, 457 µs through the pool).
  const screenMany = (listings: readonly ScreeningListing[], policy: ScreeningPolicy) =>
    deps.pool ? deps.pool.screen(listings, policy) : screenBatchAnswers(listings, policy, lexicon, model);
  const policyCacheMs = deps.policyCacheMs ?? 10_000;
  const policies = new Map<number, { policy: ScreeningPolicy; until: number }>();

  // The store has no settings table yet: the current policy is the latest "screening_policy.updated" entry of the
  // organisation's audit log, which every change writes anyway.
  const readPolicy = async (organisationId: number): Promise<ScreeningPolicy> => {
    const now = clock().getTime();
    const cached = policies.get(organisationId);
    if (cached && cached.until > now) return cached.policy;
    let latest: JsonObject | undefined;
    let afterId = 0;
    for (;;) {
      const page = await store.audit.list({
        afterId,
        limit: 1000,
        subjectType: policySubject,
        subjectId: String(organisationId),
      });
      for (const entry of page) if (entry.action === "screening_policy.updated") latest = entry.details;
      if (page.length < 1000) break;
      afterId = page[page.length - 1]!.id;
    }
    const policy = latest ? (latest as unknown as ScreeningPolicy) : defaultScreeningPolicy;
    policies.set(organisationId, { policy, until: now + policyCacheMs });
    return policy;
  };

  const keepStatistics = async (
    principal: Principal,
    results: ReadonlyArray<{ readonly verdict: ScreeningVerdict; readonly taxonNames: readonly string[] }>,
  ) => {
    const counts = { allow: 0, review: 0, block: 0 };
    const taxa: Record<string, number> = {};
    for (const result of results) {
      counts[result.verdict]++;
      for (const name of result.taxonNames) taxa[name] = (taxa[name] ?? 0) + 1;
    }
    await store.audit.append({
      organisationId: principal.organisationId,
      actor: principal.actor,
      action: "screening.statistics",
      details: { listings: results.length, ...counts, taxa },
    });
  };

  return {
    async screen(principal, listing) {
      const policy = await readPolicy(principal.organisationId);
      const [result] = screenListings([listing], policy, lexicon, model);
      if ("error" in result!) throw new UsageError(result.error.code, result.error.message);
      if (policy.keepStatistics)
        await keepStatistics(principal, [
          { verdict: result!.verdict, taxonNames: result!.taxa.map((t) => t.name) },
        ]);
      return result!;
    },

    async screenBatch(principal, listings) {
      const policy = await readPolicy(principal.organisationId);
      const answers = await screenMany(listings, policy);
      const screened = answers.filter(
        (answer): answer is BatchAnswer & { verdict: ScreeningVerdict } => answer.verdict !== undefined,
      );
      const counts = { allow: 0, review: 0, block: 0 };
      for (const { verdict } of screened) counts[verdict]++;
      if (policy.keepStatistics) await keepStatistics(principal, screened);
      return { answers, counts };
    },

    getPolicy: (principal) => readPolicy(principal.organisationId),

    async setPolicy(principal, policy) {
      checkPolicy(policy);
      await access.audit({
        organisationId: principal.organisationId,
        actor: principal.actor,
        action: "screening_policy.updated",
        subjectType: policySubject,
        subjectId: principal.organisationId,
        details: policy as unknown as JsonObject,
      });
      policies.set(principal.organisationId, { policy, until: clock().getTime() + policyCacheMs });
      return policy;
    },
  };
}
