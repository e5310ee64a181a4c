import path from "node:path";
import type { Command } from "commander";
import { InvalidInputError, type InputProblem } from "../core/errors.ts";
import { loadSource } from "../trawl/sources/load-source.ts";
import type { CliContext } from "./cli-context.ts";

/** `wildtrawl sources check`: the trawler's site declarations, validated before a trawl relies on them. */
export function registerSourcesCommands(program: Command, context: CliContext): void {
  const sources = program
    .command("sources")
    .description("the sites the trawler visits, declared in YAML or JSON");
  const write = (text: string): void => void context.stdout.write(`${text}\n`);

  sources
    .command("check")
    .description("validate source declarations: OK, or every problem with its line and field")
    .argument("<files...>", "source files, .yaml, .yml or .json")
    .action(async (files: string[]) => {
      const problems: InputProblem[] = [];
      for (const file of files) {
        try {
          const source = await loadSource(path.resolve(file));
          const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;
          write(
            `OK  ${file}  ${source.id}: ${source.platform.name} (${source.platform.country}), ` +
              `${plural(source.seeds.length, "seed")}, ${plural(source.search.length, "search template")}, ` +
              `${source.context} pages in ${source.languages.join(", ")}`,
          );
        } catch (error) {
          if (!(error instanceof InvalidInputError)) throw error;
          // Name the file as it was given, not as resolved.
          problems.push(...error.problems.map((problem) => ({ ...problem, file })));
        }
      }
      if (problems.length > 0) throw new InvalidInputError("source_invalid", problems);
    });
}
