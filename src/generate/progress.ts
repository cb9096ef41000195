import { existsSync, readFileSync } from 'node:fs';
import cliProgress from 'cli-progress';

/**
 * What a long generate is doing: the phase, and per replica the experiments done (lines of its
 * resume journal), the number planned when explore announced it, and the estimated time left.
 * On a terminal this is a live display on stderr; otherwise only one line per phase, so logs stay
 * readable.
 */
export interface ReplicaCount {
  done: number;
  /** From the journal's first line (`{"planned": N, ...}`), when explore writes it. */
  planned?: number;
}

/** Experiments recorded in a journal: every line after the header line. */
export function countJournal(text: string): ReplicaCount {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return { done: 0 };
  let planned: number | undefined;
  try {
    const header = JSON.parse(lines[0]!) as { planned?: unknown };
    if (typeof header.planned === 'number') planned = header.planned;
  } catch {
    // A header that is not JSON is explore's business; the count still holds.
  }
  return { done: lines.length - 1, ...(planned === undefined ? {} : { planned }) };
}

export class GenerateProgress {
  private readonly live: boolean;
  private multibar?: cliProgress.MultiBar;
  private bars: cliProgress.SingleBar[] = [];
  private timer?: NodeJS.Timeout;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr, private readonly quiet = false) {
    this.live = !quiet && stream.isTTY === true;
  }

  /** A new phase ("building the image", "storing the run"). */
  phase(text: string): void {
    if (this.quiet) return;
    if (this.multibar) this.multibar.log(`${text}\n`);
    else this.stream.write(`loupe generate: ${text}\n`);
  }

  /** Follows the replicas through their journals until `stopReplicas`. */
  followReplicas(journals: readonly string[]): void {
    if (!this.live) return;
    this.multibar = new cliProgress.MultiBar({
      stream: this.stream,
      format: replicaLine,
      hideCursor: true,
      clearOnComplete: false,
    }, cliProgress.Presets.shades_classic);
    this.bars = journals.map((_, i) => this.multibar!.create(1, 0, { replica: i + 1 }));
    const poll = (): void => journals.forEach((file, i) => this.update(i, file));
    poll();
    this.timer = setInterval(poll, 500);
  }

  private update(index: number, journal: string): void {
    const bar = this.bars[index];
    if (bar === undefined || !existsSync(journal)) return;
    const { done, planned } = countJournal(readFileSync(journal, 'utf8'));
    const total = Math.max(planned ?? done + 1, done, 1);
    bar.setTotal(total);
    bar.update(done, { planned });
  }

  stopReplicas(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.multibar?.stop();
    this.multibar = undefined;
    this.bars = [];
  }
}

/** ` replica 1 [=====-----] 12/40 experiments, 1 min 30 s elapsed, about 3 min left` */
const replicaLine: cliProgress.GenericFormatter = (_options, params, payload: { replica: number; planned?: number }) => {
  const width = 20;
  const filled = payload.planned === undefined ? 0 : Math.round(width * Math.min(1, params.progress));
  const bar = `${'='.repeat(filled)}${'-'.repeat(width - filled)}`;
  const elapsed = duration((Date.now() - params.startTime) / 1000);
  const planned = payload.planned === undefined ? '?' : String(payload.planned);
  const left = payload.planned === undefined ? 'time left unknown until discovery ends'
    : Number.isFinite(params.eta) && params.eta > 0 ? `about ${duration(params.eta)} left` : 'finishing';
  return ` replica ${payload.replica} [${bar}] ${params.value}/${planned} experiments, ${elapsed} elapsed, ${left}`;
};

function duration(seconds: number): string {
  const s = Math.round(seconds);
  return s < 90 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}
