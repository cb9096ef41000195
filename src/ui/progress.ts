import cliProgress from 'cli-progress';

/**
 * Progress of long work on stderr: a bar with phase, done/left and ETA on a terminal, and
 * nothing at all when stderr is not a TTY (logs stay clean) or when asked to be quiet.
 */
export interface Progress {
  phase(name: string, total: number): void;
  tick(): void;
  stop(): void;
}

const SILENT: Progress = { phase: () => {}, tick: () => {}, stop: () => {} };

export function createProgress(enabled: boolean, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!enabled || !stream.isTTY) return SILENT;
  const bar = new cliProgress.SingleBar(
    { stream, format: ' {phase} [{bar}] {value}/{total} | ETA {eta_formatted}', hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    phase(name, total) {
      if (started) bar.stop();
      bar.start(total, 0, { phase: name.padEnd(12) });
      started = true;
    },
    tick() {
      if (started) bar.increment();
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}
