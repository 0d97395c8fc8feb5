// The Scanner page: the latest runs with one run's results and alerts, and a scan started from the console,
// which runs the same use-case as `ai-trader scan` (a few queries over daily bars: cheap enough to run in the
// request). One scan at a time: a second is refused while one is running.
import type { TScannerConfigInput, TScannerLayer, TScannerPage, TScannerPageInput, TScannerRunDetail, TScannerRunView, TScanNowResult } from '@ai-trader/contracts';
import { etOffsetMinutes } from '@ai-trader/domain';
import type { Deps } from '../ports.ts';
import { getScannerRun, listScannerRuns, runScanner, ScannerRunError } from './scanner.ts';

/** A run still marked running after this long is taken as dead (its process died mid-scan), not as busy. */
const RUNNING_FOR_AT_MOST_MS = 10 * 60_000;

export class ScannerBusyError extends Error {
  constructor(readonly run: { id: string; layer: string; startedAt: string }) {
    super(`a ${run.layer} scan is already running (run ${run.id.slice(0, 8)}, started ${run.startedAt}); wait for it to finish`);
    this.name = 'ScannerBusyError';
  }
}

export async function getScannerPage(deps: Pick<Deps, 'prisma'>, input: Partial<TScannerPageInput>): Promise<TScannerPage> {
  const runs = await listScannerRuns(deps, { layer: input.layer, limit: input.limit ?? 20 });
  const id = input.runId ?? runs.find((r) => r.status === 'succeeded')?.id ?? runs[0]?.id;
  return { runs, selected: id ? await getScannerRun(deps, id) : null };
}

/** A New York date means "after that day's session" (20:00 New York), as for `ai-trader scan --as-of`. */
export function scanAsOf(day: string): Date {
  const wall = Date.parse(`${day}T20:00:00Z`);
  if (Number.isNaN(wall)) throw new RangeError(`as of ${day}: not a date like 2025-08-28`);
  return new Date(wall - etOffsetMinutes(wall) * 60_000);
}

const summary = ({ config: _c, results: _r, alerts: _a, ...run }: TScannerRunDetail): TScannerRunView => run;

export async function runScanNow(
  deps: Pick<Deps, 'prisma' | 'pool' | 'logger' | 'events' | 'clock'>,
  input: { layer: TScannerLayer; config: TScannerConfigInput; configSource: string; asOf?: string | undefined },
): Promise<TScanNowResult> {
  const busy = await deps.prisma.scannerRun.findFirst({
    where: { status: 'running', startedAt: { gte: new Date(deps.clock.now().getTime() - RUNNING_FOR_AT_MOST_MS) } },
    orderBy: { startedAt: 'desc' },
  });
  if (busy) throw new ScannerBusyError({ id: busy.id, layer: busy.layer, startedAt: busy.startedAt.toISOString() });
  const asOf = input.asOf ? scanAsOf(input.asOf) : undefined;
  try {
    const r = await runScanner(deps, { layer: input.layer, config: input.config, asOf });
    return { run: summary(r.run), layer0: r.layer0 ? summary(r.layer0) : null, configSource: input.configSource };
  } catch (e) {
    // The run is stored as failed with its error: the page shows it like any other run.
    if (!(e instanceof ScannerRunError)) throw e;
    const failed = await getScannerRun(deps, e.runId);
    if (!failed) throw e;
    return { run: summary(failed), layer0: null, configSource: input.configSource };
  }
}
