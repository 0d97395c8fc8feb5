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
