/**
 * Progress bars while images are fetched: one per blob being stored, on stderr, only when stderr is
 * a terminal (otherwise nothing, so logs and pipes stay clean). Drawn by cli-progress, which is
 * loaded only then: a pod started by a supervisor has no terminal and should not pay for it.
 */
import type cliProgress from 'cli-progress';
import type { BlobProgress } from '../../stage0/import-image.js';
import { formatBytes } from './format-bytes.js';

export interface FetchProgress {
  update: (progress: BlobProgress) => void;
  stop: () => void;
}

const QUIET: FetchProgress = { update: () => {}, stop: () => {} };

export async function startFetchProgress(stream: NodeJS.WriteStream = process.stderr): Promise<FetchProgress> {
  if (!stream.isTTY) return QUIET;
  const { default: cliProgress } = await import('cli-progress');
  const multibar = new cliProgress.MultiBar(
    {
      stream,
      format: '{role} {digest} [{bar}] {done}/{size}',
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      barsize: 30,
    },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, cliProgress.SingleBar>();
  return {
    update: ({ digest, role, stored, total }) => {
      const payload = { role: role.padEnd(6), digest: digest.slice(7, 19), done: formatBytes(stored), size: formatBytes(total) };
      let bar = bars.get(digest);
      if (bar === undefined) {
        bar = multibar.create(Math.max(total, 1), stored, payload);
        bars.set(digest, bar);
      }
      bar.update(stored, payload);
    },
    stop: () => multibar.stop(),
  };
}
