import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { ExitCode, LoupeError } from '../core/errors.js';
import { isRunDirName, isSafeName, workloadDirName, type WorkloadId } from './layout.js';
import { counted } from '../core/text.js';

/**
 * Writing runs into a Loupe database (a git repository), atomically.
 *
 * A run folder is assembled in a staging folder inside the repository's git directory (same
 * filesystem, invisible to `git status`), then renamed into place. Replacing an existing run
 * renames the old folder aside first and removes it only once the new one is in place (and
 * committed, with --commit); any error before that puts the old folder back. The swap is a few
 * synchronous renames, so a Ctrl-C handler cannot run in the middle of it: the database is
 * either as it was or holds the complete new run.
 */

export interface DatabaseWriter {
  /** Absolute path of the database folder (the work tree, or a folder inside one). */
  root: string;
  /** Absolute path of the repository's git directory, where staging folders live. */
  gitDir: string;
  git: SimpleGit;
}

export interface OpenOptions {
  /** Create the database (`git init`) if it does not exist. */
  init: boolean;
  /** Accept uncommitted changes in the database. */
  allowDirty: boolean;
  /** Asked when the database does not exist and `init` is false; undefined means "no". */
  confirmCreate?: (path: string) => Promise<boolean>;
}

/**
 * simple-git by default treats a non-zero exit as success when git printed nothing on stderr
 * (a refusing commit hook, for instance); every non-zero exit is a failure here.
 */
function strictGit(baseDir: string): SimpleGit {
  return simpleGit({
    baseDir,
    errors: (error, result) => {
      if (error || result.exitCode === 0) return error;
      return Buffer.concat([...result.stdOut, ...result.stdErr, Buffer.from(`git exited with status ${result.exitCode}`)]);
    },
  });
}

export async function openDatabase(path: string, options: OpenOptions): Promise<DatabaseWriter> {
  const root = resolve(path);
  if (!existsSync(root) || isEmptyDirectory(root)) {
    const create = options.init || ((await options.confirmCreate?.(root)) ?? false);
    if (!create) {
      const state = existsSync(root) ? 'is an empty folder' : 'does not exist';
      throw new LoupeError(`database ${root} ${state}`, ExitCode.badInput, 'pass --init to create it (an empty git repository)');
    }
    mkdirSync(root, { recursive: true });
    await strictGit(root).init();
  }
  if (!statSync(root).isDirectory()) throw new LoupeError(`database ${root} is not a folder`, ExitCode.badInput);
  const git = strictGit(root);
  if (!(await git.checkIsRepo())) {
    throw new LoupeError(
      `database ${root} is not a git repository`,
      ExitCode.badInput,
      // `git init` alone left every file untracked, and the next run was refused as dirty.
      `a Loupe database is a git repository with its files committed: in ${root}, run \`git init && git add -A && git commit -qm 'Loupe database'\` ` +
        '(a clone of https://github.com/unikraft/loupedb is one already), or give a path that does not exist yet with --init',
    );
  }
  const gitDirOutput = (await git.revparse(['--absolute-git-dir'])).trim();
  const db: DatabaseWriter = { root, gitDir: gitDirOutput, git };
  const dirty = await uncommittedChanges(db);
  if (dirty.length > 0 && !options.allowDirty) {
    throw new LoupeError(
      `database ${root} is dirty (${counted(dirty.length, 'uncommitted change')}, e.g. ${dirty[0]})`,
      ExitCode.badInput,
      'commit or discard the changes first, or pass --allow-dirty-db',
    );
  }
  removeAbandonedStaging(db);
  return db;
}

function isEmptyDirectory(path: string): boolean {
  return statSync(path).isDirectory() && readdirSync(path).length === 0;
}

/** `git status --porcelain` lines for the database folder (tracked changes and untracked files). */
export async function uncommittedChanges(db: DatabaseWriter): Promise<string[]> {
  const out = await db.git.raw(['status', '--porcelain', '--untracked-files=all', '--', '.']);
  return out.split('\n').filter((l) => l.trim() !== '');
}

export interface RunLocation {
  app: string;
  workload: WorkloadId;
  /** md5 hex digest naming the run. */
  run: string;
}

/** Throws a usage error unless every name is safe to use as one path component. */
export function validateRunLocation(location: RunLocation): void {
  if (!isSafeName(location.app)) {
    throw new LoupeError(`invalid application name ${JSON.stringify(location.app)}`, ExitCode.usage,
      'use letters, digits, and . _ + - (not starting with . or -)');
  }
  if (location.workload.name !== '' && !isSafeName(location.workload.name)) {
    throw new LoupeError(`invalid workload name ${JSON.stringify(location.workload.name)}`, ExitCode.usage,
      'use letters, digits, and . _ + - (not starting with . or -)');
  }
  if (location.workload.kind === 'benchmark' && location.workload.name === '') {
    throw new LoupeError('a benchmark needs a name (-w NAME)', ExitCode.usage);
  }
  if (!isRunDirName(location.run)) throw new Error(`invalid run folder name ${location.run}`);
}

export function runFolder(db: DatabaseWriter, location: RunLocation): string {
  return join(db.root, location.app, workloadDirName(location.workload), location.run);
}

/** A file whose permissions matter (test scripts must stay executable). */
export interface FileWithMode {
  bytes: Uint8Array;
  mode: number;
}
export type RunFileContent = string | Uint8Array | FileWithMode;

/** Files of a run folder: relative path (with `/`) -> content. */
export type RunFiles = ReadonlyMap<string, RunFileContent>;

/** A file's bytes and permission bits, to store it as it is. */
export function readFileWithMode(path: string): FileWithMode {
  return { bytes: readFileSync(path), mode: statSync(path).mode & 0o777 };
}

export interface StoreResult {
  folder: string;
  replaced: boolean;
  /** Commit hash when --commit was asked. */
  commit?: string;
}

const STAGING_DIR = 'loupe-staging';

function stagingRoot(db: DatabaseWriter): string {
  return join(db.gitDir, STAGING_DIR);
}

/** Staging folders are named after the process that made them; remove those of dead processes. */
function removeAbandonedStaging(db: DatabaseWriter): void {
  const root = stagingRoot(db);
  if (!existsSync(root)) return;
  for (const entry of readdirSync(root)) {
    const pid = Number(entry.split('-')[0]);
    if (Number.isInteger(pid) && pid > 0 && !processAlive(pid)) rmSync(join(root, entry), { recursive: true, force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function writeRunFiles(folder: string, files: RunFiles): void {
  for (const [rel, content] of files) {
    if (isAbsolute(rel) || rel.split('/').some((part) => part === '..' || part === '')) {
      throw new Error(`run file path escapes its folder: ${rel}`);
    }
    const target = join(folder, rel);
    mkdirSync(dirname(target), { recursive: true });
    if (typeof content === 'string' || content instanceof Uint8Array) {
      writeFileSync(target, content);
    } else {
      writeFileSync(target, content.bytes);
      chmodSync(target, content.mode);
    }
  }
}

/**
 * Stores a complete run folder, replacing any previous folder of the same run, and commits it
 * when `commitMessage` is given. On any error the database is left as it was.
 */
export async function storeRun(db: DatabaseWriter, location: RunLocation, files: RunFiles, commitMessage?: string): Promise<StoreResult> {
  validateRunLocation(location);
  const target = runFolder(db, location);
  mkdirSync(stagingRoot(db), { recursive: true });
  const staging = mkdtempSync(join(stagingRoot(db), `${process.pid}-`));
  const fresh = join(staging, 'new');
  const previous = join(staging, 'old');
  const savedIndex = join(staging, 'index');
  const createdParents: string[] = [];
  let swapped = false;
  const replaced = existsSync(target);
  try {
    writeRunFiles(fresh, files);
    // The critical section: synchronous, so no signal handler runs in between.
    for (let dir = dirname(target); !existsSync(dir); dir = dirname(dir)) createdParents.unshift(dir);
    for (const dir of createdParents) mkdirSync(dir);
    if (replaced) renameSync(target, previous);
    renameSync(fresh, target);
    swapped = true;
    const commit = commitMessage === undefined ? undefined : await commitRun(db, target, commitMessage, savedIndex);
    rmSync(staging, { recursive: true, force: true });
    return { folder: target, replaced, ...(commit === undefined ? {} : { commit }) };
  } catch (err) {
    if (swapped && commitMessage !== undefined) restoreIndex(db, savedIndex);
    if (swapped) rmSync(target, { recursive: true, force: true });
    if (replaced && existsSync(previous)) renameSync(previous, target);
    for (const dir of [...createdParents].reverse()) rmSync(dir, { recursive: true, force: true });
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }
}

function gitIndex(db: DatabaseWriter): string {
  return join(db.gitDir, 'index');
}

/** Puts back the index saved before `git add` (or removes it if there was none, as in a new repository). */
function restoreIndex(db: DatabaseWriter, savedIndex: string): void {
  if (existsSync(savedIndex)) renameSync(savedIndex, gitIndex(db));
  else rmSync(gitIndex(db), { force: true });
}

/**
 * Commits exactly the run folder (other changes of a dirty database stay uncommitted). The index
 * is saved to `savedIndex` first so that a failed commit can be undone byte for byte.
 */
async function commitRun(db: DatabaseWriter, folder: string, message: string, savedIndex: string): Promise<string> {
  const path = relative(db.root, folder);
  if (existsSync(gitIndex(db))) copyFileSync(gitIndex(db), savedIndex);
  try {
    await db.git.raw(['add', '--all', '--', path]);
    const identity = await hasCommitIdentity(db) ? [] : ['-c', 'user.name=loupe', '-c', 'user.email=loupe@localhost'];
    await db.git.raw([...identity, 'commit', '--quiet', '-m', message, '--', path]);
    return (await db.git.revparse(['HEAD'])).trim();
  } catch (err) {
    const why = err instanceof Error ? err.message.trim() : String(err);
    throw new LoupeError(`committing the run failed: ${why}`, ExitCode.badInput,
      'the database was not changed; fix what git complains about, or run without --commit');
  }
}

async function hasCommitIdentity(db: DatabaseWriter): Promise<boolean> {
  try {
    return (await db.git.raw(['config', 'user.email'])).trim() !== '';
  } catch {
    return false;
  }
}
