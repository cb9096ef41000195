import { InvalidArgumentError, Option, type Command } from 'commander';
import { ANALYSIS_OPTIONS, longFlag, type AnalysisOptions, type OptionKind, type OptionSpec } from '../explore/options.js';
import { ExitCode } from '../core/errors.js';

const PARSERS: Record<OptionKind, ((value: string, previous?: unknown) => unknown) | undefined> = {
  flag: undefined,
  path: undefined,
  text: undefined,
  paths: (value: string, previous?: unknown) => [...((previous as string[] | undefined) ?? []), value],
  positiveNumber: positiveNumber,
  positiveInteger: positiveInteger,
  nonNegativeInteger: nonNegativeInteger,
};

/** Parses a number > 0; commander turns the error into a usage error (exit 2). */
export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}

/** Parses a whole number >= 1; commander turns the error into a usage error (exit 2). */
export function positiveInteger(value: string): number {
  const n = positiveNumber(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

/** Parses a whole number >= 0; commander turns the error into a usage error (exit 2). */
export function nonNegativeInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number, 0 or more');
  return n;
}

/** Declares every analysis option (src/explore/options.ts), or those of another table, on a command, with its default and help. */
export function addAnalysisOptions(cmd: Command, specs: readonly OptionSpec[] = ANALYSIS_OPTIONS): Command {
  for (const spec of specs) {
    const option = new Option(spec.flags, spec.description);
    const parse = PARSERS[spec.kind];
    if (parse) option.argParser(parse);
    if (spec.default !== undefined) option.default(spec.default);
    cmd.addOption(option);
    if (spec.earlierFlag) cmd.addOption(new Option(spec.earlierFlag).hideHelp());
  }
  const dependent = specs.filter((spec) => spec.requires !== undefined);
  if (dependent.length > 0) {
    // An option given without the flag it belongs to would be dropped without a word.
    cmd.hook('preAction', (command) => {
      const attribute = (flags: string): string => new Option(flags).attributeName();
      for (const spec of dependent) {
        const needed = specs.find((s) => s.key === spec.requires)!;
        if (command.getOptionValueSource(attribute(spec.flags)) === 'cli' && command.getOptionValue(attribute(needed.flags)) !== true) {
          command.error(`error: ${longFlag(spec)} needs ${longFlag(needed)}`, { exitCode: ExitCode.usage });
        }
      }
    });
  }
  return cmd;
}

/** The analysis options out of commander's parsed values (keys are the table's). */
export function analysisOptionsFrom(opts: Record<string, unknown>): AnalysisOptions {
  return optionsFrom(opts, ANALYSIS_OPTIONS) as unknown as AnalysisOptions;
}

/** The values of a table's options out of commander's parsed values, by the table's keys. */
export function optionsFrom(opts: Record<string, unknown>, specs: readonly OptionSpec[]): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const spec of specs) {
    const value = opts[new Option(spec.flags).attributeName()];
    if (value !== undefined) values[spec.key] = value;
  }
  return values;
}
