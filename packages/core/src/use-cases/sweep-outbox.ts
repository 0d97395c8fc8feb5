// The outbox's safety net: an approved intent is submitted by its execution.submit job, queued when risk commits.
// If that job is lost (Redis lost it, it was failed for good after its worker died again and again), the intent
// would wait forever. The sweep (monitor.outbox, every 30 s on the execution role) finds intents still PENDING
// after OUTBOX_SWEEP_AFTER_SECONDS and makes sure their job will run; submission is idempotent, so a job that
// was merely slow does no harm.
import type { Deps } from '../ports.ts';

export async function sweepOutbox(deps: Pick<Deps, 'prisma' | 'jobs' | 'logger' | 'clock' | 'config'>): Promise<{ pending: number; requeued: number }> {
  const before = new Date(deps.clock.now().getTime() - deps.config.OUTBOX_SWEEP_AFTER_SECONDS * 1000);
  const stale = await deps.prisma.orderIntent.findMany({ where: { status: 'PENDING', createdAt: { lt: before } }, select: { id: true }, orderBy: { createdAt: 'asc' }, take: 500 });
  let requeued = 0;
  for (const i of stale) if ((await deps.jobs.ensure('execution.submit', { intentId: i.id })) !== 'present') requeued++;
  if (requeued) deps.logger.warn({ category: 'orders', pending: stale.length, requeued }, `outbox sweep: ${requeued} approved intent(s) had no live submission job and were queued again`);
  return { pending: stale.length, requeued };
}

/**
 * The per-symbol hold's own repair: a submission that has waited longer than OUTBOX_HOLD_RECHECK_SECONDS for an older
 * intent of its symbol makes sure that older intent's job will run (the oldest one still PENDING: the one holding the
 * symbol). After a store outage a lost or failed-for-good job would otherwise hold every newer order of the symbol
 * until the sweep (up to OUTBOX_SWEEP_AFTER_SECONDS + 30 s); a job that is merely slow is left alone ('present').
 * Returns what it did, or null when nothing older is PENDING.
 */
export async function ensureHoldingSubmission(deps: Pick<Deps, 'prisma' | 'jobs' | 'logger'>, intentId: string): Promise<{ intentId: string; result: 'queued' | 'retried' | 'present' } | null> {
  const rows = await deps.prisma.$queryRaw<{ id: string }[]>`
    SELECT e.id FROM order_intents e JOIN order_intents i ON i.id = ${intentId}::uuid
     WHERE e.status = 'PENDING' AND e.symbol = i.symbol AND e."createdAt" < i."createdAt"
     ORDER BY e."createdAt" LIMIT 1`;
  const older = rows[0];
  if (!older) return null;
  const result = await deps.jobs.ensure('execution.submit', { intentId: older.id });
  if (result !== 'present') {
    deps.logger.warn({ category: 'orders', intentId: older.id, heldIntentId: intentId, result },
      `submission of intent ${older.id} had no live job and held the newer orders of its symbol: ${result} again`);
  }
  return { intentId: older.id, result };
}
