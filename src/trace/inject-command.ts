/**
 * The strace prefix that makes files absent: every file-name call (open, stat, access,
 * readlink... strace's %file class) naming one of `paths` fails with ENOENT. seccomp cannot
 * read path arguments, and a mount namespace cannot remove a single file from /proc, so
 * these experiments (and only these) use ptrace. strace matches the path text the program
 * passes, so /proc/self/... names the same file in every process.
 */
export function absentFilesArgv(paths: readonly string[], outputFile: string): string[] {
  return ['strace', '-f', '-qq', '-o', outputFile, ...paths.flatMap((p) => ['-P', p]), '-e', 'trace=%file', '-e', 'inject=%file:error=ENOENT', '--'];
}
