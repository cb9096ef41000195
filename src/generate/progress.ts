import { existsSync, readFileSync } from 'node:fs';
import cliProgress from 'cli-progress';
import { progressOfEvents } from '../explore/events.js';

/**
 * What a long generate is doing: the phase, and per replica the phase of its explore with the
 * experiments done and planned, and the estimated time left. Replicas run `loupe explore --events`,
 * whose stderr carries typed progress events (src/explore/events.ts); that log is followed here. On a terminal this is a
 * live display on stderr; otherwise only one line per phase of generate, so logs stay readable.
 */
export interface ReplicaState {
  phase: string;
  done: number;
  planned?: number;
}

export class GenerateProgress {
  private readonly live: boolean;
  private multibar?: cliProgress.MultiBar;
  private bars: cliProgress.SingleBar[] = [];
  private phases: string[] = [];
  private timer?: NodeJS.Timeout;

  /** `command` names the phases' prefix: reproduce and debian run generate's steps under their own name. */
  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly quiet = false,
    private readonly command: 'generate' | 'reproduce' | 'debian' = 'generate',
  ) {
    this.live = !quiet && stream.isTTY === true;
  }

  /** A new phase of generate ("building the image", "storing the run"). */
  phase(text: string): void {
    if (this.quiet) return;
    const line = `loupe ${this.command}: ${text}\n`;
    if (this.multibar) this.multibar.log(line);
    else this.stream.write(line);
  }

  /** Follows the replicas through their explore logs until `stopReplicas`. */
  followReplicas(logs: readonly string[]): void {
    if (!this.live) return;
    this.multibar = new cliProgress.MultiBar({ stream: this.stream, format: replicaLine, hideCursor: true, clearOnComplete: false });
    this.bars = logs.map((_, i) => this.multibar!.create(1, 0, { replica: i + 1, phase: 'starting' }));
    const poll = (): void => logs.forEach((file, i) => this.update(i, file));
    poll();
    this.timer = setInterval(poll, 500);
  }

  private update(index: number, log: string): void {
    const bar = this.bars[index];
    if (bar === undefined || !existsSync(log)) return;
    const state: ReplicaState = progressOfEvents(readFileSync(log, 'utf8'));
    // A new phase restarts the bar, so that its time estimate is about this phase only.
    if (this.phases[index] !== state.phase) {
      this.phases[index] = state.phase;
      bar.start(Math.max(state.planned ?? 1, 1), 0, {});
    }
    bar.setTotal(Math.max(state.planned ?? 1, state.done, 1));
    bar.update(state.done, { replica: index + 1, phase: state.phase, planned: state.planned });
  }

  stopReplicas(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.multibar?.stop();
    this.multibar = undefined;
    this.bars = [];
    this.phases = [];
  }
}

/** ` replica 1 stub and fake experiments [=====-----] 12/40, about 3 min left` */
const replicaLine: cliProgress.GenericFormatter = (_options, params, payload: { replica: number; phase: string; planned?: number }) => {
  const width = 20;
  const filled = Math.round(width * Math.min(1, params.progress));
  const bar = `${'='.repeat(filled)}${'-'.repeat(width - filled)}`;
  const left = payload.planned === undefined ? '' : Number.isFinite(params.eta) && params.eta > 0 ? `, about ${duration(params.eta)} left` : '';
  const count = payload.planned === undefined ? '' : ` [${bar}] ${params.value}/${payload.planned}`;
  return ` replica ${payload.replica}: ${payload.phase}${count}${left}`;
};

function duration(seconds: number): string {
  const s = Math.round(seconds);
  return s < 90 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}
