// Starting, resuming and reading backfill runs. A run is a parent job over one child per stage × symbol ×
// trading day; the chunk rows in Postgres are the checkpoints, so a resume re-queues exactly the chunks
// that have not succeeded.
import type { TBackfillStage, TTimeframe } from '@ai-trader/contracts';
import { isTradingDay } from '@ai-trader/domain';
import type { Deps } from '../ports.ts';

export interface BackfillRequest {
  symbols: string[];
  stages: TBackfillStage[];
  timeframe: TTimeframe;
  from: string; // YYYY-MM-DD, New York
  to: string;
  requestedBy: string;
}

export class BackfillInputError extends Error {}

/** NYSE trading days from..to inclusive. */
export function tradingDays(from: string, to: string): string[] {
  if (from > to) throw new BackfillInputError(`from ${from} is after to ${to}`);
  const out: string[] = [];
  for (let d = new Date(`${from}T12:00:00Z`); d.toISOString().slice(0, 10) <= to; d.setUTCDate(d.getUTCDate() + 1)) {
    const day = d.toISOString().slice(0, 10);
    try {
      if (isTradingDay(day)) out.push(day);
    } catch (e) {
      throw new BackfillInputError((e as Error).message);
    }
  }
  return out;
}

/** The `days` trading days ending at `to` (inclusive). */
export function lastTradingDays(to: string, days: number): { from: string; to: string } {
  if (!Number.isInteger(days) || days < 1 || days > 3650) throw new BackfillInputError(`--days ${days}: must be a whole number from 1 to 3650`);
  let found = 0;
  const d = new Date(`${to}T12:00:00Z`);
  let from = to;
  while (found < days) {
    const day = d.toISOString().slice(0, 10);
    try {
      if (isTradingDay(day)) {
        found++;
        from = day;
      }
    } catch (e) {
      throw new BackfillInputError((e as Error).message);
    }
    d.setUTCDate(d.getUTCDate() - 1);
  }
  return { from, to };
}

async function enqueue(deps: Pick<Deps, 'jobs' | 'prisma'>, runId: string, attempt: number) {
  const chunks = await deps.prisma.backfillChunk.findMany({ where: { runId, status: { not: 'succeeded' } }, orderBy: [{ day: 'asc' }, { symbol: 'asc' }] });
  await deps.jobs.addFlow(
    { name: 'backfill.run', payload: { runId, attempt } },
    chunks.map((c) => ({ name: 'backfill.chunk' as const, payload: { runId, stage: c.stage as TBackfillStage, symbol: c.symbol, day: c.day, attempt } })),
  );
  return chunks.length;
}

export async function startBackfill(deps: Pick<Deps, 'jobs' | 'prisma' | 'events' | 'logger'>, r: BackfillRequest): Promise<{ runId: string; chunks: number }> {
  if (!r.symbols.length) throw new BackfillInputError('no symbols to backfill');
  const days = tradingDays(r.from, r.to);
  if (!days.length) throw new BackfillInputError(`no NYSE trading day between ${r.from} and ${r.to}`);
  const run = await deps.prisma.backfillRun.create({
    data: {
      stage: r.stages.length > 1 ? 'all' : r.stages[0]!, timeframe: r.timeframe, symbols: r.symbols, fromDate: r.from, toDate: r.to, requestedBy: r.requestedBy,
      chunks: { create: r.stages.flatMap((stage) => r.symbols.flatMap((symbol) => days.map((day) => ({ stage, symbol, day })))) },
    },
  });
  const chunks = await enqueue(deps, run.id, 0);
  deps.logger.info({ category: 'backfill', backfillRun: run.id, symbols: r.symbols.length, from: r.from, to: r.to, requestedBy: r.requestedBy }, `backfill run started by ${r.requestedBy}: ${chunks} chunk(s)`);
  await deps.events.publish('backfill');
  return { runId: run.id, chunks };
}

export async function resumeBackfill(deps: Pick<Deps, 'jobs' | 'prisma' | 'events' | 'clock' | 'logger'>, runId: string): Promise<{ runId: string; chunks: number }> {
  const run = await deps.prisma.backfillRun.findUnique({ where: { id: runId } });
  if (!run) throw new BackfillInputError(`no backfill run ${runId}`);
  await deps.prisma.$transaction([
    deps.prisma.backfillRun.update({ where: { id: runId }, data: { status: 'queued', error: null, finishedAt: null } }),
    deps.prisma.backfillChunk.updateMany({ where: { runId, status: { in: ['failed', 'running', 'canceled'] } }, data: { status: 'queued' } }),
  ]);
  // A new attempt number gives the jobs new ids; jobs of the old attempt that still run find their
  // chunk done and do nothing.
  const chunks = await enqueue(deps, runId, deps.clock.now().getTime());
  deps.logger.info({ category: 'backfill', backfillRun: runId }, `backfill run resumed: ${chunks} chunk(s) queued again`);
  await deps.events.publish('backfill');
  return { runId, chunks };
}

export interface BackfillProgress {
  id: string;
  status: string;
  stage: string;
  timeframe: string;
  from: string;
  to: string;
  requestedBy: string;
  createdAt: string;
  finishedAt: string | null;
  error: string | null;
  total: number;
  done: number;
  failed: number;
  rowsStored: number;
  rowsRejected: number;
  bySymbol: { symbol: string; total: number; done: number; failed: number; rowsStored: number; lastError: string | null }[];
}

export async function backfillStatus(deps: Pick<Deps, 'prisma'>, runId?: string, limit = 20): Promise<BackfillProgress[]> {
  const runs = await deps.prisma.backfillRun.findMany({ where: runId ? { id: runId } : {}, orderBy: { createdAt: 'desc' }, take: runId ? 1 : limit, include: { chunks: true } });
  if (runId && !runs.length) throw new BackfillInputError(`no backfill run ${runId}`);
  return runs.map((run) => {
    const bySymbol = new Map<string, BackfillProgress['bySymbol'][number]>();
    for (const c of run.chunks) {
      const s = bySymbol.get(c.symbol) ?? bySymbol.set(c.symbol, { symbol: c.symbol, total: 0, done: 0, failed: 0, rowsStored: 0, lastError: null }).get(c.symbol)!;
      s.total++;
      if (c.status === 'succeeded') s.done++;
      if (c.status === 'failed') {
        s.failed++;
        s.lastError = `${c.day}: ${c.lastError ?? 'failed'}`;
      }
      s.rowsStored += c.rowsStored;
    }
    const sum = (f: (c: (typeof run.chunks)[number]) => number) => run.chunks.reduce((a, c) => a + f(c), 0);
    return {
      id: run.id, status: run.status, stage: run.stage, timeframe: run.timeframe, from: run.fromDate, to: run.toDate, requestedBy: run.requestedBy,
      createdAt: run.createdAt.toISOString(), finishedAt: run.finishedAt?.toISOString() ?? null, error: run.error,
      total: run.chunks.length, done: sum((c) => (c.status === 'succeeded' ? 1 : 0)), failed: sum((c) => (c.status === 'failed' ? 1 : 0)),
      rowsStored: sum((c) => c.rowsStored), rowsRejected: sum((c) => c.rowsRejected),
      bySymbol: [...bySymbol.values()].sort((a, b) => a.symbol.localeCompare(b.symbol)),
    };
  });
}
