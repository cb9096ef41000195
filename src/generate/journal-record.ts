import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeAtomically } from '../fs/write-atomically.js';
import { folderJournalEntries } from './replicas.js';
import type { AnalysisImage } from './environments.js';

/**
 * What a journal folder (replicas.ts journalFolder) says about the analysis it belongs to, so
 * that a later analysis of the same run that cannot resume it (its folder is named after another
 * image) can say why, and how to resume it instead. Stored as `analysis.json` beside the
 * replicas' journals.
 */
export interface JournalRecord {
  db: string;
  app: string;
  workload: string;
  kind: 'native' | 'docker';
  runName: string;
  /** Docker: the analysis image (generate/environments.ts AnalysisEnvironment.image). */
  image?: AnalysisImage;
}

/** The record of an analysis in Docker, whose image is known. */
export type DockerJournalRecord = JournalRecord & { image: NonNullable<JournalRecord['image']> };

/** An earlier analysis of the same run, with experiments recorded in its journals. */
export interface InterruptedAnalysis {
  dir: string;
  record: JournalRecord;
  /** Experiments recorded, all replicas together. */
  experiments: number;
}

const RECORD_FILE = 'analysis.json';

/** Writes `record` into the journal folder `dir` (which must exist), whole or not at all. */
export function writeJournalRecord(dir: string, record: JournalRecord): void {
  writeAtomically(join(dir, RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`);
}

/**
 * The journal folders under `root`, other than `currentDir`, of an analysis of the same database,
 * application, workload and run as `current` that recorded experiments; folders without a
 * readable record (made before records existed, or damaged) are passed over.
 */
export function interruptedAnalyses(root: string, current: JournalRecord, currentDir: string): InterruptedAnalysis[] {
  if (!existsSync(root)) return [];
  const found: InterruptedAnalysis[] = [];
  for (const name of readdirSync(root)) {
    const dir = join(root, name);
    if (dir === currentDir) continue;
    let record: JournalRecord;
    try {
      record = JSON.parse(readFileSync(join(dir, RECORD_FILE), 'utf8')) as JournalRecord;
    } catch {
      continue;
    }
    if (record.db !== current.db || record.app !== current.app || record.workload !== current.workload || record.kind !== current.kind || record.runName !== current.runName) continue;
    const experiments = folderJournalEntries(dir);
    if (experiments > 0) found.push({ dir, record, experiments });
  }
  return found;
}

/**
 * Why `earlier`'s experiments are not reused by the analysis `current` (in Docker: a native
 * analysis's journal is named after its run, so the same run always finds it), and what would reuse
 * them: when `loupe-base:latest` was rebuilt since and both images are built on their own
 * loupe-base, tagging the earlier one back (while `earlierBaseExists`) makes the same build give
 * the earlier image again (the builder's cache), and so the same journal. Pure.
 */
export function whyNotResumed(current: DockerJournalRecord, earlier: InterruptedAnalysis, earlierBaseExists: boolean): string {
  const short = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);
  const before = earlier.record.image;
  const head = `an interrupted analysis of this run recorded ${earlier.experiments} experiments (journal ${earlier.dir})` +
    ` in ${before ? `image ${short(before.id)}` : 'another image'}; this analysis runs in image ${short(current.image.id)}, so it starts afresh`;
  const oldBase = before?.baseImageId;
  const newBase = current.image.baseImageId;
  const rebuiltBase = before !== undefined && oldBase !== undefined && newBase !== undefined && oldBase !== newBase
    && before.ancestry.includes(oldBase) && current.image.ancestry.includes(newBase);
  if (!rebuiltBase) return `${head}: the image was built again with other layers (a changed step, or packages that changed since)`;
  const how = earlierBaseExists
    ? `to resume it instead, stop this one (Ctrl-C), run \`docker tag ${short(oldBase)} loupe-base:latest\`, then the same command`
    : 'that loupe-base image is gone, so it cannot be resumed';
  return `${head}: loupe-base:latest was rebuilt since (it was ${short(oldBase)}); ${how}`;
}
