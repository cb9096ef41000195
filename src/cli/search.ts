/** `loupe search`: argument parsing only; the work is done in commands/search.ts. */
import { Command, Option } from 'commander';
import { PLANNERS } from '../analysis/support-plan.js';

export function registerSearch(program: Command): void {
  program
    .command('search')
    .description('query a Loupe database: syscall usage, support plans, compatibility scores, plots, SQLite export')
    .requiredOption('--db <path>', 'database folder (the original spelled it -db)')
    .option('-a, --applications <list>', 'comma-separated applications, or "*" for all', '*')
    .option('-w, --workloads <kind>', 'bench (or benchmark), suite, "*", or a workload folder name', '*')
    .option('--show-usage', 'required, stub-only, fake-only and both syscalls (the default query)')
    .option('--guide-support <os-file>', 'support plan for an OS given as a list of supported syscall names')
    .addOption(new Option('--planner <name>', 'support planner: the original greedy, or unlock (more apps sooner)').choices([...PLANNERS]).default('greedy'))
    .option('--compat-score <os-file...>', 'how far each OS is from running the applications')
    .option('--cumulative-plot', 'plot: share of applications using each syscall, ranked')
    .option('--heatmap-plot', 'plots: one heatmap per analysis, syscalls on a 24-wide grid')
    .option('--paper-histogram-plot', "plot: the original paper's per-application histogram")
    .option('--plan-curves-plot', 'plot: applications running vs syscalls implemented, both planners, every OS list')
    .option('--static-source', 'also report static source analysis results')
    .option('--show-coverage', 'workload coverage stored by generate --coverage: lines, functions, branches, syscall call sites reached')
    .option('--output-sys-names', 'print syscall names instead of numbers')
    .option('--export-sqlite <file>', 'write the whole database to a SQLite file')
    .option('--show-perf', 'performance and resource impact of each working stub and fake (runs stored with generate --perf-analysis)')
    .option('--json', 'print JSON instead of text')
    .option('--out <dir>', 'folder for plots (default: current folder)')
    .addHelpText('after', `
Examples:
  loupe search -db ../loupedb -a nginx,redis --output-sys-names
  loupe search -db ../loupedb --guide-support ../loupedb/Unikraft.syscalls --planner unlock
  loupe search -db ../loupedb --compat-score ../loupedb/*.syscalls
  loupe search -db ../loupedb --export-sqlite loupe.sqlite

See docs/search.md for how workloads and applications combine, the planners and the SQLite schema.`)
    .action(async (options) => {
      const { search } = await import('../commands/search.js');
      await search(options);
    });
}
