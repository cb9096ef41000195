import type { Command } from 'commander';

export function registerBaseImage(program: Command): void {
  program
    .command('base-image')
    .summary('build the loupe-base Docker image that application Dockerfiles start from')
    .description(
      'Builds loupe-base:latest: an image with this loupe, Node, strace and bubblewrap, whose /root/explore.py ' +
      'runs `loupe explore`, so that Dockerfiles written for the original Loupe work unchanged. ' +
      'Without a registry, make the image to start from with scripts/docker-engine.sh first.',
    )
    .option('--from <image>', 'image to start from (e.g. debian:bookworm where a registry is reachable)', 'local/debian:bookworm')
    .option('--tag <name>', 'name of the image built', 'loupe-base:latest')
    .option('--minimal', 'only the analysis tools, without the compilers and tools of the original base image', false)
    .option('-v, --verbose', 'show the build output', false)
    .action(async (flags: { from: string; tag: string; minimal: boolean; verbose: boolean }) => {
      const { baseImageCommand } = await import('../commands/base-image.js');
      await baseImageCommand({ from: flags.from, tag: flags.tag, minimal: flags.minimal, verbose: flags.verbose });
    });
}
