/**
 * The strace command line of a discovery run.
 *
 * -f         follow children and threads into the same file (not -ff: one file keeps the
 *            global order of events, which attribution relies on);
 * --quiet=attach  no attach/detach chatter, but keep `+++ exited with N +++` (-qq would drop
 *            it) and the personality lines (`runs in 32 bit mode`) that -q would drop: they tell
 *            which calls are i386 `int $0x80` calls (see parser.ts);
 * -X verbose constants as `0x5401 /* TCGETS *\/`: exact numbers for sub-feature values, names
 *            for labels;
 * -s 0       no buffer contents (path arguments are still printed whole), keeping the log small
 *            and free of application data.
 */
export function straceArgv(opts: { outputFile: string; binary: string; args: string[] }): string[] {
  return ['strace', '-f', '--quiet=attach', '-X', 'verbose', '-s', '0', '-o', opts.outputFile, '--', opts.binary, ...opts.args];
}
