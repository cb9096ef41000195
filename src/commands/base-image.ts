import { BASE_IMAGE_NAME, buildBaseImage } from '../docker/base-image.js';
import { requireDockerEngine } from '../docker/engine.js';
import { freshLogFile } from '../generate/replicas.js';
import { ProcessGroups } from '../sandbox/process.js';

export interface BaseImageRequest {
  from: string;
  tag?: string;
  minimal: boolean;
  verbose: boolean;
}

export async function baseImageCommand(req: BaseImageRequest): Promise<void> {
  await requireDockerEngine();
  const tag = req.tag ?? BASE_IMAGE_NAME;
  const logFile = freshLogFile('base-image.log');
  const groups = new ProcessGroups();
  const stop = (): void => { void groups.killAll(); };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.stderr.write(`loupe base-image: building ${tag} from ${req.from} (log: ${logFile})\n`);
  try {
    await buildBaseImage({
      from: req.from, tag, minimal: req.minimal, logFile, groups,
      ...(req.verbose ? { onLine: (line: string) => process.stderr.write(`${line}\n`) } : {}),
    });
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await groups.killAll();
  }
  process.stdout.write(`Built ${tag} from ${req.from} (node ${process.version}${req.minimal ? ', minimal' : ''})\n`);
}
