import { createInterface } from "node:readline";
import type { Command } from "commander";
import { UsageError, WildtrawlError } from "../core/errors.ts";
import { detect, type Advert, type Detection, type ScorePart } from "../core/detect/detect.ts";
import type { DetectionModel } from "../core/detect/model.ts";
import type { Lexicon } from "../core/lexicon/lexicon.ts";
import { loadLexicon } from "../reference/load-lexicon.ts";
import { readDetectionModel, writeDetectionModel } from "../reference/load-model.ts";
import { loadSpeciesIndex } from "../reference/reference-file.ts";
import { evaluateDetection, type EvaluationReport, type Rates } from "../services/detection-evaluation.ts";
import { trainDetectionModel } from "../services/detection-training.ts";
import {
  isHeldOut,
  labelledAdvertsFromReviews,
  readLabelledAdverts,
  type LabelledAdvert,
} from "../services/labelled-adverts.ts";
import { openStore } from "../storage/open-store.ts";
import type { CliContext } from "./cli-context.ts";

/** `wildtrawl detect`, `wildtrawl eval` and `wildtrawl model train`: detection from the command line. */
export function registerDetectionCommands(program: Command, context: CliContext): void {
  const write = (text: string): void => void context.stdout.write(`${text}\n`);
  let lexiconLoaded: Promise<Lexicon> | undefined;
  const lexicon = () =>
    (lexiconLoaded ??= loadSpeciesIndex(context.config.referenceDataPath).then((species) =>
      loadLexicon(species, context.config.lexiconDir),
    ));
  const model = () => readDetectionModel(context.config.detectionModelPath);

  program
    .command("detect")
    .description("find CITES taxa and sale offers in an advert, with reasons")
    .argument("[text...]", "the advert text (or use --jsonl)")
    .option("--title <title>", "the advert's title")
    .option("--price <price>", "the advert's price field")
    .option("--lang <tag>", "the advert's language (BCP-47)")
    .option("--listing", "the text is a marketplace listing, not a post")
    .option("--json", "print the whole detection as JSON")
    .option(
      "--jsonl",
      "read one JSON advert a line from standard input ({id, text, title?, price?, seller?, site?, lang?}) and write one result a line",
    )
    .action(
      async (
        words: string[],
        options: {
          title?: string;
          price?: string;
          lang?: string;
          listing?: boolean;
          json?: boolean;
          jsonl?: boolean;
        },
      ) => {
        const [loadedLexicon, loadedModel] = await Promise.all([lexicon(), model()]);
        if (options.jsonl) return detectLines(loadedLexicon, loadedModel, context);
        const text = words.join(" ");
        if (!text && !options.title)
          throw new UsageError(
            "argument_missing",
            "give the advert text, or --jsonl to read adverts from standard input",
          );
        const detection = detect(
          {
            text,
            ...(options.title ? { title: options.title } : {}),
            ...(options.price ? { price: options.price } : {}),
            ...(options.lang ? { language: options.lang } : {}),
            ...(options.listing ? { context: "listing" as const } : {}),
          },
          loadedLexicon,
          { model: loadedModel },
        );
        if (options.json) return write(JSON.stringify(detection, null, 2));
        write(formatDetection(detection));
      },
    );

  program
    .command("eval")
    .description(
      "measure detection on labelled adverts (JSON Lines in the format of ../shared/eval/dev.jsonl)",
    )
    .argument("<files...>", "labelled adverts")
    .option("--listings-from <source...>", "lines whose source contains this are marketplace listings")
    .option("--exclude-source <source...>", "leave out lines whose source contains this")
    .option(
      "--split <part>",
      "all, train (the three quarters trained on) or holdout (ids divisible by 4)",
      "all",
    )
    .option("--errors <n>", "how many of the worst errors to print", (value) => Number(value), 10)
    .option("--json", "print the figures as one JSON object")
    .action(
      async (
        files: string[],
        options: {
          listingsFrom?: string[];
          excludeSource?: string[];
          split: string;
          errors: number;
          json?: boolean;
        },
      ) => {
        if (!["all", "train", "holdout"].includes(options.split)) {
          throw new UsageError(
            "argument_invalid",
            `--split: expected all, train or holdout, got "${options.split}"`,
          );
        }
        const [loadedLexicon, loadedModel] = await Promise.all([lexicon(), model()]);
        const reports: Record<string, EvaluationReport> = {};
        for (const file of files) {
          const set = await readLabelledAdverts(file, {
            listingsFrom: options.listingsFrom ?? [],
            excludeSources: options.excludeSource ?? [],
          });
          const adverts = set.adverts.filter((advert: LabelledAdvert) =>
            options.split === "all"
              ? true
              : options.split === "holdout"
                ? isHeldOut(advert)
                : !isHeldOut(advert),
          );
          reports[file] = evaluateDetection(adverts, loadedLexicon, loadedModel);
        }
        if (options.json) return write(JSON.stringify(reports, null, 2));
        for (const [file, report] of Object.entries(reports))
          write(formatEvaluation(file, options.split, report, options.errors));
      },
    );

  program
    .command("model")
    .description("the detection model")
    .command("train")
    .description(
      "fit the detection weights to labelled adverts (the held-out quarter, ids divisible by 4, is never used)",
    )
    .argument("[files...]", "labelled adverts (JSON Lines)")
    .option("--listings-from <source...>", "lines whose source contains this are marketplace listings")
    .option(
      "--exclude-source <source...>",
      "leave out lines whose source contains this (data whose terms forbid fitting)",
    )
    .option("--reviews", "also fit to the database's review verdicts (unsure ones are left out)")
    .option("--out <file>", "where to write the weights", context.config.detectionModelPath)
    .action(
      async (
        files: string[],
        options: { listingsFrom?: string[]; excludeSource?: string[]; reviews?: boolean; out: string },
      ) => {
        if (files.length === 0 && !options.reviews)
          throw new UsageError(
            "argument_missing",
            "give labelled adverts (JSON Lines files), --reviews, or both",
          );
        const sets = [];
        if (options.reviews) {
          const store = await openStore(context.config.databaseUrl);
          try {
            const reviewed = labelledAdvertsFromReviews(await store.reviews.reviewedListings());
            context.stderr.write(`${reviewed.adverts.length} reviewed listings from the database\n`);
            sets.push(reviewed);
          } finally {
            await store.close();
          }
        }
        for (const file of files) {
          sets.push(
            await readLabelledAdverts(file, {
              listingsFrom: options.listingsFrom ?? [],
              excludeSources: options.excludeSource ?? [],
            }),
          );
        }
        const result = trainDetectionModel(sets, await lexicon());
        await writeDetectionModel(options.out, result.model);
        write(
          `Wrote ${options.out}: fit on ${result.trainedOn} adverts (${result.heldOut} held out), log-loss ${result.model.training?.logLoss}`,
        );
      },
    );
}

async function detectLines(lexicon: Lexicon, model: DetectionModel, context: CliContext): Promise<void> {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber++;
    if (line.trim() === "") continue;
    let result: object;
    try {
      const advert = parseAdvertLine(line, lineNumber);
      const detection = detect(advert.advert, lexicon, { model });
      result = {
        id: advert.id,
        verdict: detection.verdict,
        score: detection.score,
        offersWildlife: detection.offersWildlife,
        taxa: detection.taxa
          .filter((taxon) => taxon.listed)
          .map((taxon) => ({
            name: taxon.name,
            appendix: taxon.appendices.join("/"),
            via: taxon.listedThrough,
          })),
        reasons: detection.reasons,
      };
    } catch (error) {
      if (!(error instanceof WildtrawlError)) throw error;
      result = { line: lineNumber, error: { code: error.code, message: error.message } };
    }
    context.stdout.write(`${JSON.stringify(result)}\n`);
  }
}

function parseAdvertLine(line: string, lineNumber: number): { id: unknown; advert: Advert } {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(line) as Record<string, unknown>;
  } catch (error) {
    throw new UsageError("advert_invalid", `line ${lineNumber}: not JSON (${(error as Error).message})`);
  }
  const text = (field: string) => (typeof value[field] === "string" ? (value[field] as string) : undefined);
  if (!text("text") && !text("title"))
    throw new UsageError("advert_invalid", `line ${lineNumber}: needs "text" or "title"`);
  const advert: Advert = {
    ...(text("text") ? { text: text("text") } : {}),
    ...(text("title") ? { title: text("title") } : {}),
    ...(text("price") ? { price: text("price") } : {}),
    ...(text("seller") ? { seller: text("seller") } : {}),
    ...(text("site") ? { site: text("site") } : {}),
    ...(text("lang") ? { language: text("lang") } : {}),
    ...(value.context === "listing" || value.context === "post" ? { context: value.context } : {}),
  };
  return { id: value.id, advert };
}

function formatDetection(detection: Detection): string {
  const lines = [...detection.reasons];
  if (detection.review.length > 0) lines.push(...detection.review.map((item) => `review: ${item}`));
  lines.push("score:");
  const pointsOf = (parts: readonly ScorePart[]) =>
    parts.map((part) => `  ${part.points >= 0 ? "+" : ""}${part.points.toFixed(2)}  ${part.label}`);
  lines.push(...pointsOf(detection.scoreParts));
  if (detection.wildlifeScoreParts)
    lines.push("wildlife-offer score:", ...pointsOf(detection.wildlifeScoreParts));
  return lines.join("\n");
}

function formatEvaluation(file: string, split: string, report: EvaluationReport, errors: number): string {
  const pct = (value: number) => `${(value * 100).toFixed(1)}%`;
  const rate = (rates: Rates) =>
    `precision ${pct(rates.precision)}, recall ${pct(rates.recall)}, F1 ${pct(rates.f1)} (tp ${rates.truePositives} fp ${rates.falsePositives} fn ${rates.falseNegatives} tn ${rates.trueNegatives})`;
  const lines = [
    `${file}${split === "all" ? "" : ` [${split}]`}: ${report.adverts} labelled adverts (${report.leftOutUnsure} unsure left out)`,
    `  CITES-relevant offer: ${rate(report.citesOffer)}`,
    `  any wildlife offer:   ${rate(report.anyOffer)}`,
    `  taxa: precision ${pct(report.taxa.precision)} of ${report.taxa.predicted} named, recall ${pct(report.taxa.recall)} of ${report.taxa.labelled} adverts with taxa`,
    `  Brier score ${report.brier.toFixed(3)}; calibration ${report.calibration.map((bin) => `${bin.from.toFixed(1)}–${bin.to.toFixed(1)}: ${bin.adverts} at ${pct(bin.offerShare)}`).join(", ")}`,
    "  by language (CITES-relevant offer):",
    ...report.byLanguage.map(
      (row) =>
        `    ${row.lang.padEnd(4)} ${String(row.adverts).padStart(4)}  P ${pct(row.citesOffer.precision).padStart(6)}  R ${pct(row.citesOffer.recall).padStart(6)}  F1 ${pct(row.citesOffer.f1).padStart(6)}`,
    ),
  ];
  if (errors > 0 && report.errors.length > 0) {
    lines.push(`  worst ${Math.min(errors, report.errors.length)} of ${report.errors.length} errors:`);
    for (const error of report.errors.slice(0, errors)) {
      lines.push(
        `    ${error.expected ? "missed" : "false "} ${error.id} [${error.verdict} ${error.score}] ${error.text.slice(0, 100).replace(/\s+/g, " ")}`,
      );
    }
  }
  return lines.join("\n");
}
