/**
 * lua5.4 built from its Debian source package with coverage flags, for the coverage tests:
 * `apt-get source lua5.4` (scripts/setup.sh adds the deb-src entry), then Debian's own build
 * (`debian/rules build`) with `--coverage` appended to dpkg-buildflags' CFLAGS and LDFLAGS,
 * under `bear` so that the tree has a compile_commands.json for the static source analysis.
 * Built once per machine into the cache (about 2 minutes of CPU; the tree's absolute paths are
 * in its .gcno files, so it is built where it stays): $XDG_CACHE_HOME/loupe/coverage/lua5.4-VERSION.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const MARKER = '.loupe-built';

function run(argv: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): void {
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd, env, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) {
    throw new Error(`${argv.join(' ')} failed in ${cwd} (run scripts/setup.sh: it installs lcov, bear, lua5.4's build dependencies and the deb-src entry):\n${(r.stderr || r.error?.message || '').slice(-2000)}`);
  }
}

/** The build tree and its instrumented binary (src/lua5.4). */
export function instrumentedLua(): { tree: string; binary: string } {
  const version = spawnSync('dpkg-query', ['-W', '-f=${Version}', 'lua5.4'], { encoding: 'utf8' }).stdout.trim();
  if (version === '') throw new Error('lua5.4 is not installed: apt-get install lua5.4 (scripts/setup.sh does)');
  const cache = join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'loupe', 'coverage', `lua5.4-${version}`);
  const tree = (): string | undefined => {
    const dir = existsSync(cache) ? readdirSync(cache).find((d) => d.startsWith('lua5.4-') && existsSync(join(cache, d, 'debian'))) : undefined;
    return dir === undefined ? undefined : join(cache, dir);
  };
  let built = tree();
  if (built === undefined || !existsSync(join(built, MARKER))) {
    rmSync(cache, { recursive: true, force: true });
    mkdirSync(cache, { recursive: true });
    run(['apt-get', 'source', '-qq', `lua5.4=${version}`], cache);
    built = tree();
    if (built === undefined) throw new Error(`apt-get source lua5.4=${version} unpacked nothing into ${cache}`);
    run(['bear', '--', 'debian/rules', 'build'], built, {
      ...process.env, DEB_CFLAGS_APPEND: '--coverage', DEB_LDFLAGS_APPEND: '--coverage', DEB_BUILD_OPTIONS: 'nocheck',
    });
    writeFileSync(join(built, MARKER), `${new Date().toISOString()}\n`);
  }
  return { tree: built, binary: join(built, 'src', 'lua5.4') };
}
