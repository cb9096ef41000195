import { ExitCode, LoupeError } from '../core/errors.js';
import { openDatabase, validateRunLocation, type RunLocation } from '../db/writer.js';
import {
  binaryDockerfiles, buildDebianPackage, chooseDebianBinaries, removeImages, requireDebianPrerequisites, type DebianRequest, type PreparedPackage,
} from '../generate/debian.js';
import { treeOf } from '../generate/debian-package.js';
import { GenerateProgress } from '../generate/progress.js';
import { GenerateSession } from '../generate/session.js';
import { analyse, formatOutcome, prepareDocker, runImageName, storeAnalysis, type GenerateOutcome } from '../generate/steps.js';
import { checkArchitecture } from '../explore/preflight.js';
import { posix } from 'node:path';

/** The workload every `loupe debian` run is stored under: the package's own test suite. */
export const DEBIAN_WORKLOAD = { kind: 'suite', name: 'debian' } as const;

export interface DebianCommandRequest extends DebianRequest {
  db: string;
  replicas: number;
  allowDirty: boolean;
  init: boolean;
  commit: boolean;
  keepImage: boolean;
  onlyBuild: boolean;
  json: boolean;
  quiet: boolean;
  /** The command line as typed, stored in cmd.txt. */
  commandLine: string;
}

interface DebianOutcome {
  package: string;
  source: string;
  version: string;
  testStep?: string;
  found?: string[];
  executed?: string[];
  analysed?: string[];
  runs: (GenerateOutcome & { binary: string; seconds: number })[];
  seconds: Record<string, number>;
  imagesKept: boolean;
}

export async function debianCommand(req: DebianCommandRequest): Promise<void> {
  const location: Omit<RunLocation, 'run'> = { app: req.package, workload: DEBIAN_WORKLOAD };
  validateRunLocation({ ...location, run: 'imported' });
  if (req.version !== undefined && !/^[A-Za-z0-9.+~:-]+$/.test(req.version)) {
    throw new LoupeError(`--version ${JSON.stringify(req.version)} is not a Debian version`, ExitCode.usage, 'e.g. --version 1.12-1');
  }
  const table = checkArchitecture();
  const progress = new GenerateProgress(process.stderr, req.quiet || req.json, 'debian');
  const db = req.onlyBuild ? undefined : await openDatabase(req.db, { init: req.init, allowDirty: req.allowDirty });
  await requireDebianPrerequisites();
  const session = new GenerateSession();
  const images: string[] = [];
  try {
    const built = await buildDebianPackage(req, session, progress);
    if (db === undefined) {
      process.stdout.write(`Built ${built.pkg.source} ${built.pkg.version} in image ${built.buildImage} (--only-build: no analysis; the image is kept)\n`);
      return;
    }
    images.push(built.buildImage);
    const prepared = await chooseDebianBinaries(req, built, session, progress);
    if (!req.json) process.stdout.write(describeChoice(prepared));
    const outcome: DebianOutcome = {
      package: req.package, source: prepared.pkg.source, version: prepared.pkg.version, testStep: prepared.step.kind,
      found: prepared.choice.found, executed: prepared.choice.executed, analysed: prepared.choice.chosen,
      runs: [], seconds: { ...prepared.seconds }, imagesKept: req.keepImage,
    };
    const extraLogs = [
      { title: `Build of ${prepared.pkg.source} ${prepared.pkg.version} (dpkg-buildpackage, DEB_BUILD_OPTIONS=nocheck)`, text: prepared.buildLog },
      { title: `Test suite of ${prepared.pkg.source}, unperturbed, under strace (${prepared.step.kind})`, text: prepared.suiteLog },
    ];
    for (const written of binaryDockerfiles(req, prepared, session)) {
      const start = performance.now();
      images.push(runImageName(req.package, written.runName));
      const env = await session.cancellable(() => prepareDocker(req.package, written.dockerfile, session, progress));
      const runLocation = { ...location, run: env.runName };
      const settings = { replicas: req.replicas, table, session, progress };
      progress.phase(`analysing ${written.binary} under the test suite (${req.replicas} replica(s), every experiment re-runs the suite)`);
      const analysis = await analyse(db, runLocation, env, settings);
      const stored = await storeAnalysis(db, runLocation, env, analysis, {
        ...settings, commit: req.commit, cmdTxt: `${req.commandLine}\n`, commandLine: req.commandLine, extraLogs,
      });
      const seconds = Math.round((performance.now() - start) / 100) / 10;
      outcome.runs.push({ ...stored, binary: written.binary, seconds });
      if (!req.json) process.stdout.write(`${written.binary}:\n${formatOutcome(stored, process.cwd())}`);
    }
    if (req.json) process.stdout.write(`${JSON.stringify(outcome, null, 2)}\n`);
    else {
      const s = outcome.seconds;
      process.stdout.write(`Times: resolve ${s.resolve} s, build ${s.build} s, discovery ${s.discovery} s, ` +
        `analysis ${outcome.runs.map((r) => `${r.seconds} s`).join(' + ')}\n`);
    }
  } finally {
    if (!req.keepImage) await removeImages(images);
    await session.close();
  }
}

/** Which executables the build produced, which the suite ran, which are analysed. */
function describeChoice(p: PreparedPackage): string {
  const rel = (list: readonly string[]): string => (list.length === 0 ? 'none' : list.map((f) => posix.relative(treeOf(p.pkg.source), f)).join(', '));
  return [
    `${p.pkg.source} ${p.pkg.version}: test step ${p.step.kind}`,
    `  built executables (${p.choice.found.length}): ${rel(p.choice.found)}`,
    `  executed by the test suite (${p.choice.executed.length}): ${rel(p.choice.executed)}`,
    `  analysed: ${rel(p.choice.chosen)}`,
  ].join('\n') + '\n';
}
