// One backfill chunk (stage × symbol × day): fetch from the history source, validate, quarantine the bad,
// bulk-load the good, then mark the checkpoint. Safe to run again: a done chunk is skipped; a chunk
// interrupted half-way reloads idempotently and replaces its own quarantine rows.
import type { TBar, TJobPayload } from '@ai-trader/contracts';
import { batched, loadBars } from '@ai-trader/db';
import { aggregateBars, validateSeries, type TBarProblem } from '@ai-trader/domain';
import type { Deps } from '../ports.ts';

export type ChunkOutcome = 'skipped' | 'succeeded';

/** Errors that no retry can fix (bad key, unknown ticker…) are marked so the chunk fails at once. */
export const isPermanent = (e: unknown) => ['auth', 'not_found', 'bad_request', 'quota_exhausted'].includes((e as { kind?: string }).kind ?? '');

export async function runBackfillChunk(deps: Deps, p: TJobPayload<'backfill.chunk'>, attempt: { isLast: boolean }): Promise<ChunkOutcome> {
  const key = { runId_stage_symbol_day: { runId: p.runId, stage: p.stage, symbol: p.symbol, day: p.day } };
  const chunk = await deps.prisma.backfillChunk.findUnique({ where: key, include: { run: true } });
  if (!chunk) return 'skipped'; // the run was deleted
  if (chunk.status === 'succeeded') return 'skipped';
  const log = deps.logger.child({ category: 'backfill', backfillRun: p.runId });
  const what = `${p.stage} ${p.symbol} ${p.day}`;
  await deps.prisma.$transaction([
    deps.prisma.backfillChunk.update({ where: key, data: { status: 'running', attempts: { increment: 1 } } }),
    deps.prisma.backfillRun.updateMany({ where: { id: p.runId, status: 'queued' }, data: { status: 'running' } }),
  ]);
  try {
    const stored = p.stage === 'news' ? await loadNews(deps, p) : await loadDay(deps, p, chunk.run.timeframe as TBar['timeframe']);
    await deps.prisma.backfillChunk.update({ where: key, data: { status: 'succeeded', rowsStored: stored.stored, rowsRejected: stored.rejected, lastError: null } });
    log.info({ stage: p.stage, symbol: p.symbol, day: p.day, ...stored }, `backfill chunk ${what}: ${stored.stored} stored${stored.rejected ? `, ${stored.rejected} quarantined` : ''}`);
    await deps.events.publish('backfill');
    return 'succeeded';
  } catch (e) {
    const message = (e as Error).message.split('\n')[0]!.slice(0, 500);
    const final = attempt.isLast || isPermanent(e);
    await deps.prisma.backfillChunk.update({ where: key, data: { status: final ? 'failed' : 'queued', lastError: message } });
    log[final ? 'error' : 'warn']({ stage: p.stage, symbol: p.symbol, day: p.day, attempt: chunk.attempts + 1 }, `backfill chunk ${what} failed${final ? '' : ', will retry'}: ${message}`);
    await deps.events.publish('backfill');
    throw Object.assign(e as Error, { permanent: isPermanent(e) });
  }
}

async function loadDay(deps: Deps, p: TJobPayload<'backfill.chunk'>, timeframe: TBar['timeframe']) {
  const bars: TBar[] = [];
  for await (const page of deps.history.dayBars(p.symbol, p.day, timeframe)) bars.push(...page);
  const v = validateSeries(bars, { timeframe, session: 'extended', symbol: p.symbol });
  const dayStart = new Date(`${p.day}T00:00:00Z`), dayEnd = new Date(dayStart.getTime() + 2 * 86_400_000);
  await deps.prisma.$transaction([
    deps.prisma.barQuarantine.deleteMany({ where: { runId: p.runId, symbol: p.symbol, timeframe, ts: { gte: dayStart, lt: dayEnd }, source: `backfill:${deps.history.name}` } }),
    deps.prisma.barQuarantine.createMany({
      data: v.rejected.map((r) => ({
        symbol: p.symbol, timeframe, ts: new Date(r.bar.ts), kind: r.problems[0]!.kind, detail: r.problems.map((x: TBarProblem) => x.detail).join('; '),
        source: `backfill:${deps.history.name}`, raw: r.bar, runId: p.runId,
      })),
    }),
  ]);
  const res = await loadBars(deps.pool, timeframe, batched(v.good, 20_000));
  // Hourly and daily bars are derived from the day's intraday bars, so a minute or 5-minute backfill also
  // fills 1h (whole session) and 1d (regular session, stamped with the trading date).
  if ((timeframe === '1m' || timeframe === '5m') && v.good.length) {
    const hours = aggregateBars(v.good, '1h', { session: 'extended' }).bars;
    const daily = aggregateBars(v.good, '1d', { session: 'regular' }).bars;
    if (hours.length) await loadBars(deps.pool, '1h', [hours]);
    if (daily.length) await loadBars(deps.pool, '1d', [daily]);
  }
  return { stored: res.inserted + res.duplicates, rejected: v.rejected.length };
}

async function loadNews(deps: Deps, p: TJobPayload<'backfill.chunk'>) {
  let stored = 0;
  for await (const page of deps.history.dayNews(p.symbol, p.day)) {
    const r = await deps.prisma.news.createMany({
      data: page.map((n) => ({
        id: n.id, publishedAt: new Date(n.publishedUtc), tickers: n.tickers, title: n.title, author: n.author, publisher: n.publisher,
        url: n.url, description: n.description, keywords: n.keywords, source: deps.history.name,
      })),
      skipDuplicates: true,
    });
    stored += r.count;
  }
  return { stored, rejected: 0 };
}

/** The parent job: all children have finished (or failed for good); the run takes their outcome. */
export async function finishBackfillRun(deps: Deps, p: TJobPayload<'backfill.run'>): Promise<string> {
  const chunks = await deps.prisma.backfillChunk.groupBy({ by: ['status'], where: { runId: p.runId }, _count: true });
  const count = (s: string) => chunks.find((c) => c.status === s)?._count ?? 0;
  const failed = count('failed'), open = count('queued') + count('running');
  if (open > 0) return 'still-running'; // an older attempt's parent; the newer one will finish the run
  const status = failed ? 'failed' : 'succeeded';
  await deps.prisma.backfillRun.update({
    where: { id: p.runId },
    data: { status, finishedAt: deps.clock.now(), error: failed ? `${failed} chunk(s) failed; each shows its error per symbol` : null },
  });
  deps.logger[failed ? 'warn' : 'info']({ category: 'backfill', backfillRun: p.runId, failed }, `backfill run ${p.runId} ${status}${failed ? `: ${failed} chunk(s) failed` : ''}`);
  await deps.events.publish('backfill');
  return status;
}
