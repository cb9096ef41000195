import { ExitCode, LoupeError } from '../core/errors.js';

/**
 * What generate needs to know about an application's Dockerfile before building it: that it is
 * a Dockerfile at all, that its container runs the analysis, and which files of
 * `dockerfile_data/` it copies (those are stored with the run, so that it can be rebuilt).
 */
/** The folder beside a Dockerfile whose files it may COPY, as the original's layout has it. */
export const DOCKERFILE_DATA_DIR = 'dockerfile_data';

export interface DockerfileFacts {
  /** Files and folders under dockerfile_data/ that COPY or ADD read, relative to dockerfile_data/. */
  dataFiles: string[];
  /** It starts FROM loupe-base:latest (which must then exist). */
  fromLoupeBase: boolean;
  /**
   * The `--jobs` its CMD gives explore, if any. It wins over the share of the machine generate
   * passes (loupe-base's explore.py puts LOUPE_EXPLORE_JOBS before the CMD's own options).
   */
  cmdJobs?: number;
  warnings: string[];
}

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

/** Instructions with continuation lines joined, comments and blank lines dropped. */
function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (pending === undefined && (line === '' || line.startsWith('#'))) return;
    if (pending !== undefined && line.startsWith('#')) return;
    const continued = line.endsWith('\\');
    const body = continued ? line.slice(0, -1) : line;
    pending = pending === undefined ? { text: body, line: i + 1 } : { text: `${pending.text} ${body}`, line: pending.line };
    if (!continued) {
      const m = /^(\S+)\s*(.*)$/.exec(pending.text.trim());
      if (m) out.push({ keyword: m[1]!.toUpperCase(), args: m[2]!, line: pending.line });
      pending = undefined;
    }
  });
  if (pending !== undefined) {
    const m = /^(\S+)\s*(.*)$/.exec(pending.text.trim());
    if (m) out.push({ keyword: m[1]!.toUpperCase(), args: m[2]!, line: pending.line });
  }
  return out;
}

/** Source paths of a COPY/ADD instruction (shell or JSON form), after options such as --chown. */
function copySources(args: string): { sources: string[]; fromStage: boolean } {
  const options: string[] = [];
  let rest = args.trim();
  for (let m = /^(--\S+)\s*/.exec(rest); m !== null; m = /^(--\S+)\s*/.exec(rest)) {
    options.push(m[1]!);
    rest = rest.slice(m[0].length);
  }
  return { sources: instructionWords(rest).slice(0, -1), fromStage: options.some((o) => o.startsWith('--from=')) };
}

/** The words of an instruction's arguments: its JSON (exec) form, else (shell form, or JSON that does not parse) split at whitespace. */
function instructionWords(args: string): string[] {
  const text = args.trim();
  try {
    return text.startsWith('[') ? (JSON.parse(text) as string[]) : text.split(/\s+/);
  } catch {
    return text.split(/\s+/);
  }
}

function malformed(file: string, why: string, hint?: string): LoupeError {
  return new LoupeError(`${file}: ${why}`, ExitCode.badInput, hint);
}

export function inspectDockerfile(text: string, file: string): DockerfileFacts {
  const all = instructions(text);
  const firstReal = all.find((i) => i.keyword !== 'ARG');
  if (firstReal === undefined || firstReal.keyword !== 'FROM') {
    throw malformed(file, 'not a Dockerfile: its first instruction must be FROM', 'a Loupe Dockerfile starts with `FROM loupe-base:latest`');
  }
  const warnings: string[] = [];
  const fromLoupeBase = all.some((i) => i.keyword === 'FROM' && /^loupe-base(:latest)?(\s|$)/.test(i.args));
  if (!fromLoupeBase) {
    warnings.push(`${file} does not start from loupe-base:latest; its container must then run an explore.py that prints dyn.csv on stdout`);
  }
  const cmd = [...all].reverse().find((i) => i.keyword === 'CMD' || i.keyword === 'ENTRYPOINT');
  if (cmd === undefined) {
    throw malformed(file, 'has no CMD: the container must run the analysis',
      'end it with e.g. `CMD /root/explore.py --output-csv -t /root/test.sh -b /usr/bin/app -- ARGS`');
  }
  if (!/explore\.py|loupe\s+explore/.test(cmd.args)) {
    throw malformed(file, `its ${cmd.keyword} (line ${cmd.line}) does not run /root/explore.py`,
      'the container must run the analysis: `CMD /root/explore.py --output-csv -t TEST -b BINARY -- ARGS`');
  }
  if (!cmd.args.includes('--final-check')) {
    warnings.push(`${file}: explore.py runs without --final-check, which is recommended`);
  }
  const dataFiles: string[] = [];
  for (const ins of all.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD')) {
    const { sources, fromStage } = copySources(ins.args);
    if (fromStage) continue;
    for (const source of sources) {
      if (/^[a-z]+:\/\//.test(source)) continue; // ADD from a URL
      const normalised = source.replace(/^\.\//, '');
      const prefix = `${DOCKERFILE_DATA_DIR}/`;
      if (normalised === DOCKERFILE_DATA_DIR || normalised === prefix) {
        dataFiles.push('.');
        continue;
      }
      if (!normalised.startsWith(prefix) || normalised.split('/').includes('..')) {
        throw malformed(file, `line ${ins.line} copies ${source}, which is not under ${prefix}`,
          `put every file the image needs under ${prefix} next to the Dockerfile: only those are stored with the run`);
      }
      dataFiles.push(normalised.slice(prefix.length).replace(/\/$/, ''));
    }
  }
  const cmdJobs = exploreJobsOption(cmd.args);
  return { dataFiles: [...new Set(dataFiles)], fromLoupeBase, ...(cmdJobs === undefined ? {} : { cmdJobs }), warnings };
}

/**
 * The value of explore's `-j`/`--jobs` option in a CMD (shell or JSON form): the last one before
 * `--` (after it come the program's own arguments), as commander reads it. Undefined when the CMD
 * sets none or its value is not a whole number.
 */
export function exploreJobsOption(cmdArgs: string): number | undefined {
  const words = instructionWords(cmdArgs);
  const end = words.indexOf('--');
  let jobs: string | undefined;
  words.slice(0, end === -1 ? words.length : end).forEach((word, i, all) => {
    if (word === '--jobs' || word === '-j') jobs = all[i + 1];
    else if (word.startsWith('--jobs=')) jobs = word.slice('--jobs='.length);
  });
  return jobs !== undefined && /^[1-9][0-9]*$/.test(jobs) ? Number(jobs) : undefined;
}
