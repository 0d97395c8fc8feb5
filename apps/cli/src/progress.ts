// A progress bar on stderr for long work (stdout stays clean for --json and pipes); silent when stderr is not a
// terminal. `run` hands the use-case an onProgress callback and stops the bar however the work ends.
import { Presets, SingleBar } from 'cli-progress';

export interface ProgressUpdate {
  done: number;
  total: number;
  item: string;
}

export async function withProgress<T>(label: string, run: (onProgress: (p: ProgressUpdate) => void) => Promise<T>): Promise<T> {
  const bar = new SingleBar({ format: `${label} [{bar}] {value}/{total} {item}`, hideCursor: true, stream: process.stderr, clearOnComplete: false }, Presets.shades_classic);
  let started = false;
  try {
    return await run((p) => {
      if (!started) {
        bar.start(Math.max(p.total, 1), p.done, { item: p.item });
        started = true;
      } else {
        bar.setTotal(Math.max(p.total, 1));
        bar.update(p.done, { item: p.item.slice(0, 60) });
      }
    });
  } finally {
    if (started) bar.stop();
  }
}

/** 1536 → "1.5 kB" */
export function bytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i ? v.toFixed(1) : v} ${units[i]}`;
}
