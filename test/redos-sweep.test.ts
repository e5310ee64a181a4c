/**
 * Reliability row H3: every regular expression written in the project's own TypeScript is checked for
 * catastrophic backtracking with recheck. A regex built from a dynamic string cannot be read off the source: in
 * production code each must be listed in `builtAtRunTime`, which checks the built RegExp itself or says what checks
 * it; in tests they only assert on the test's own output and are counted.
 */
import { it } from "node:test";
import assert from "node:assert/strict";
import { globSync, readFileSync } from "node:fs";
import ts from "typescript";
import { check, type Diagnostics } from "recheck";

const root = new URL("..", import.meta.url).pathname;
const sourceGlobs = ["src/**/*.ts", "web/src/**/*.ts", "web/src/**/*.tsx"];

type FoundRegex = { location: string; file: string; pattern: string; flags: string };
type SkippedRegex = { location: string; file: string; why: string };

/**
 * Regexes recheck calls vulnerable but that only ever see input short enough for the blow-up not to matter.
 * Keyed by file and pattern, so moving a line does not break the entry; each names what caps the input.
 */
const ownOutput =
  "a test's assertion on output the test itself produced from its fixtures, never hostile input";
const boundedInputAllowList: { file: string; pattern: string; reason: string; bound: string }[] = [
  {
    file: "src/cli/admin-command.test.ts",
    pattern: String.raw`Created the evidence signing key in (.+): (SHA256:[0-9a-f]{64})`,
    reason: ownOutput,
    bound: "`wildtrawl admin init` stdout, a few hundred characters",
  },
  {
    file: "src/cli/admin-command.test.ts",
    pattern: String.raw`-----BEGIN PUBLIC KEY-----[\s\S]+-----END PUBLIC KEY-----`,
    reason: ownOutput,
    bound: "`wildtrawl admin signing-key` stdout: one public key, under 1 kB",
  },
  {
    file: "src/cli/evidence-command.test.ts",
    pattern: String.raw`warning: .*PARTIAL`,
    reason: ownOutput,
    bound: "`wildtrawl evidence verify` stdout for a one-capture package",
  },
  {
    file: "src/cli/review-command.test.ts",
    pattern: String.raw`--as <email> or --org <slug>.*\[organisation_missing\]`,
    reason: ownOutput,
    bound: "one usage-error line on stderr",
  },
  {
    file: "src/cli/takedown-command.test.ts",
    pattern: String.raw`not drafted: .*legal_offer.* \[listing_not_illegal_offer\]`,
    reason: ownOutput,
    bound: "`wildtrawl takedown draft` stdout for two listings",
  },
  {
    file: "src/cli/takedown-command.test.ts",
    pattern: String.raw`acknowledged → removed {2}by cli:.* \(happened 2026-03-03T06:00:00\.000Z\): platform said so`,
    reason: ownOutput,
    bound: "`wildtrawl takedown show` stdout for one notice",
  },
  {
    file: "src/core/detect/detect.test.ts",
    pattern: String.raw`against: .*Faux`,
    reason: ownOutput,
    bound: "the explanation detect() gives for a 30-character advert",
  },
  {
    file: "src/services/authentication.test.ts",
    pattern: String.raw`\\u000a.*\\u001b`,
    reason: ownOutput,
    bound: "one e-mail address the test wrote into the audit log",
  },
  {
    file: "web/src/screens/statistics-csv.ts",
    pattern: String.raw`^-+|-+$`,
    reason: "csvFileName() only names a download after a few fixed words",
    bound:
      'its callers in web/src/screens/statistics.tsx pass "offers"/"removals"/"precision"/"totals" and the ' +
      "response's `by` and `interval`, which src/api/statistics-schemas.ts limits to literal enum values",
  },
];

/**
 * Production files that build regexes at run time, and how each is checked: `regexes` gives the built RegExp
 * objects (exported for this test), checked as literals are; otherwise `checkedBy` says what checks them.
 */
const builtAtRunTime: {
  file: string;
  builtFrom: string;
  regexes?: () => Promise<readonly RegExp[]>;
  checkedBy?: string;
}[] = [
  {
    file: "src/core/detect/signals.ts",
    builtFrom: "the fixed currency, number, multiplier and dating alternatives above the patterns",
    regexes: async () => {
      const { pricePatterns, datingPatterns } = await import("../src/core/detect/signals.ts");
      return [...pricePatterns, ...datingPatterns];
    },
  },
  {
    file: "src/core/text/normalize.ts",
    builtFrom: "the keys of latinLetterFolds, one character class",
    regexes: async () => [(await import("../src/core/text/normalize.ts")).latinLetterPattern],
  },
  {
    file: "src/trawl/extract/html-document.ts",
    builtFrom: "the fixed names of raw-text elements",
    regexes: async () => [...(await import("../src/trawl/extract/html-document.ts")).rawTextEnd.values()],
  },
  {
    file: "src/trawl/extract/parse-date.ts",
    builtFrom: "the fixed time units of 14 languages",
    regexes: async () => (await import("../src/trawl/extract/parse-date.ts")).relativePatterns,
  },
  {
    file: "src/trawl/extract/parse-price.ts",
    builtFrom: "the fixed currency tokens, escaped",
    regexes: async () => [(await import("../src/trawl/extract/parse-price.ts")).currencyPattern],
  },
  {
    file: "src/trawl/extract/extraction-rules.ts",
    builtFrom: "patterns an operator writes in a source file",
    checkedBy:
      "validate-source.ts, which refuses a pattern recheck finds exponential or worse than quadratic when the " +
      "source is loaded (src/trawl/sources/load-source.test.ts)",
  },
  {
    file: "src/trawl/sources/validate-source.ts",
    builtFrom: "the operator's pattern, compiled only to report a syntax error",
    checkedBy: "recheck, in the same function, right after",
  },
];

function sourceFiles(): string[] {
  return sourceGlobs
    .flatMap((pattern) => globSync(pattern, { cwd: root, exclude: (name) => name.includes("node_modules") }))
    .sort();
}

/** The text of a pattern or flags argument when it is written out literally, else undefined. */
function literalText(node: ts.Expression | undefined): string | undefined {
  if (node === undefined) return undefined;
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  // String.raw`…` keeps the backslashes exactly as written, which is what the RegExp receives.
  if (
    ts.isTaggedTemplateExpression(node) &&
    node.tag.getText() === "String.raw" &&
    ts.isNoSubstitutionTemplateLiteral(node.template)
  ) {
    return node.template.rawText;
  }
  return undefined;
}

function regexesIn(file: string): { found: FoundRegex[]; skipped: SkippedRegex[] } {
  const text = readFileSync(`${root}/${file}`, "utf8");
  const kind = file.endsWith(".tsx") ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
  const found: FoundRegex[] = [];
  const skipped: SkippedRegex[] = [];
  const locate = (node: ts.Node) =>
    `${file}:${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}`;
  const visit = (node: ts.Node): void => {
    if (node.kind === ts.SyntaxKind.RegularExpressionLiteral) {
      const literal = node.getText(source);
      const closingSlash = literal.lastIndexOf("/");
      found.push({
        location: locate(node),
        file,
        pattern: literal.slice(1, closingSlash),
        flags: literal.slice(closingSlash + 1),
      });
    } else if (
      (ts.isNewExpression(node) || ts.isCallExpression(node)) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === "RegExp"
    ) {
      const [patternArgument, flagsArgument] = node.arguments ?? [];
      const pattern = literalText(patternArgument);
      const flags = flagsArgument === undefined ? "" : literalText(flagsArgument);
      if (pattern === undefined || flags === undefined) {
        skipped.push({
          location: locate(node),
          file,
          why: node.getText(source).replace(/\s+/g, " ").slice(0, 100),
        });
      } else {
        found.push({ location: locate(node), file, pattern, flags });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { found, skipped };
}

function describeVulnerable(regex: FoundRegex, diagnostics: Diagnostics): string {
  if (diagnostics.status !== "vulnerable") return `${regex.location} /${regex.pattern}/${regex.flags}`;
  const attack = JSON.stringify(diagnostics.attack.pattern);
  return (
    `${regex.location} /${regex.pattern}/${regex.flags}: ${diagnostics.complexity.type} ` +
    `(${diagnostics.complexity.summary}), attack ${attack}`
  );
}

it("no regex in src/ or web/src/ backtracks catastrophically", { timeout: 120_000 }, async (t) => {
  const found: FoundRegex[] = [];
  const skipped: SkippedRegex[] = [];
  for (const file of sourceFiles()) {
    const inFile = regexesIn(file);
    found.push(...inFile.found);
    skipped.push(...inFile.skipped);
  }
  // Identical pattern and flags need checking once, however many places use them.
  const uniqueKeys = [...new Set(found.map((regex) => `${regex.flags}/${regex.pattern}`))];
  const verdicts = new Map<string, Diagnostics>();
  for (const key of uniqueKeys) {
    const slash = key.indexOf("/");
    verdicts.set(key, await check(key.slice(slash + 1), key.slice(0, slash), { timeout: 10_000 }));
  }

  const literalCount = found.length;
  const unexplained = skipped
    .filter((entry) => !entry.file.endsWith(".test.ts"))
    .filter((entry) => !builtAtRunTime.some((built) => built.file === entry.file))
    .map((entry) => `${entry.location} ${entry.why}`);
  for (const built of builtAtRunTime) {
    for (const regex of (await built.regexes?.()) ?? []) {
      const location = `${built.file} (built from ${built.builtFrom})`;
      found.push({ location, file: built.file, pattern: regex.source, flags: regex.flags });
      const key = `${regex.flags}/${regex.source}`;
      if (!verdicts.has(key)) verdicts.set(key, await check(regex.source, regex.flags, { timeout: 10_000 }));
    }
  }

  const vulnerable: string[] = [];
  const undecided: string[] = [];
  let allowed = 0;
  for (const regex of found) {
    const diagnostics = verdicts.get(`${regex.flags}/${regex.pattern}`)!;
    if (diagnostics.status === "unknown") {
      undecided.push(
        `${regex.location} /${regex.pattern}/${regex.flags}: ${JSON.stringify(diagnostics.error)}`,
      );
    } else if (diagnostics.status === "vulnerable") {
      const isAllowed = boundedInputAllowList.some(
        (entry) => entry.file === regex.file && entry.pattern === regex.pattern,
      );
      if (isAllowed) allowed += 1;
      else vulnerable.push(describeVulnerable(regex, diagnostics));
    }
  }

  t.diagnostic(`regexes found: ${literalCount + skipped.length} (${uniqueKeys.length} distinct literals)`);
  t.diagnostic(`checked: ${found.length}; built from dynamic strings: ${skipped.length}`);
  t.diagnostic(`allowed as bounded-input: ${allowed}; vulnerable: ${vulnerable.length}`);
  for (const entry of undecided) t.diagnostic(`undecided: ${entry}`);
  t.diagnostic(`built at run time in production code and checked as built: ${found.length - literalCount}`);
  for (const entry of skipped.filter((e) => e.file.endsWith(".test.ts")))
    t.diagnostic(`in a test, on its own output: ${entry.location} ${entry.why}`);
  assert.deepEqual(vulnerable, [], `vulnerable regexes:\n${vulnerable.join("\n")}`);
  assert.deepEqual(undecided, [], `recheck could not decide:\n${undecided.join("\n")}`);
  assert.deepEqual(
    unexplained,
    [],
    "regexes built at run time in production code, neither checked nor explained in builtAtRunTime",
  );
});
