// The memory ceiling of a worker process: its RSS sampled every WORKER_MEMORY_CHECK_MS; past the ceiling the process
// closes its workers (active jobs finish) and exits with MEMORY_CEILING_EXIT_CODE, which its supervisor
// (`npm start`, `ai-trader trade`, `ai-trader scheduler start`) answers by starting it again.
import { MEMORY_CEILING_EXIT_CODE, type TJobDefinitions, type TJobName } from '@ai-trader/contracts';
import type { Deps } from '@ai-trader/core';

type Logger = Deps['logger'];

export { MEMORY_CEILING_EXIT_CODE };

/** The lowest of WORKER_MEMORY_LIMIT_MB and the memory_mb of the scheduled jobs whose queues this process works. */
export function memoryCeilingMb(limitMb: number | undefined, definitions: TJobDefinitions | undefined, queues: Iterable<TJobName>): number | null {
  const mine = new Set(queues);
  const asked = Object.values(definitions ?? {}).filter((d) => d.memory_mb !== undefined && mine.has(d.queue)).map((d) => d.memory_mb!);
  const all = [...asked, ...(limitMb !== undefined ? [limitMb] : [])];
  return all.length ? Math.min(...all) : null;
}

export interface MemoryWatch {
  /** Resolves (once) when the RSS is past the ceiling; never without one. */
  exceeded: Promise<{ rssMb: number; limitMb: number }>;
  stop(): void;
}

export function watchMemory(limitMb: number | null, everyMs: number, logger: Logger): MemoryWatch {
  if (limitMb === null) return { exceeded: new Promise(() => undefined), stop: () => undefined };
  let timer: NodeJS.Timeout | undefined;
  const exceeded = new Promise<{ rssMb: number; limitMb: number }>((resolve) => {
    timer = setInterval(() => {
      const rssMb = Math.round(process.memoryUsage.rss() / 1_048_576);
      if (rssMb <= limitMb) return;
      clearInterval(timer);
      logger.error({ rssMb, limitMb }, `memory ceiling passed: ${rssMb} MB > ${limitMb} MB; closing the workers to be restarted (exit ${MEMORY_CEILING_EXIT_CODE})`);
      resolve({ rssMb, limitMb });
    }, everyMs);
    timer.unref();
  });
  return { exceeded, stop: () => clearInterval(timer) };
}
