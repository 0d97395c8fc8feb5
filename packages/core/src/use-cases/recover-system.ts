// The recovery runbooks as code. `recover system`: health in detail, our caches flushed, stuck and idle Postgres
// connections ended, the bootstrapped rows, partitions and provider credentials re-established, every component
// validated. Refused while trading is ACTIVE; every step reports what it did; the run is audited.
// (`recover --from-backup`: recover-from-backup.ts, on the same steps.)
import { ensurePartitionsAhead } from '@ai-trader/db';
import { keys } from '../infra/redis.ts';
import type { Deps } from '../ports.ts';
import { bootstrapBooks } from './bootstrap-books.ts';
import { CACHE_GROUPS, flushCache } from './cache-admin.ts';
import { PARTITION_DAYS_AHEAD } from './daily-data-maintenance.ts';
import { killIdleConnections } from './database-maintenance.ts';
import { detailedHealth } from './system-status.ts';
import { getTradingState } from './trading-state.ts';
import { validateSystem, type ComponentCheck, type SystemValidation } from './validate-system.ts';

export interface RecoveryActor { id: string; email: string }

export interface RecoveryStep {
  n: number;
  total: number;
  name: string;
  status: 'done' | 'failed' | 'skipped';
  lines: string[];
}

export type OnRecoveryStep = (e: { phase: 'start'; n: number; total: number; name: string } | ({ phase: 'end' } & RecoveryStep) | { phase: 'check'; check: ComponentCheck }) => void;

export interface RecoveryResult {
  ok: boolean;
  steps: RecoveryStep[];
  validation: SystemValidation | null;
}

/** Trading is ACTIVE: recovery would change what running workers rely on while they place orders. */
export class RecoveryRefusedError extends Error {}

/** Runs named steps in order, reporting each as it starts and ends; a step that throws fails and ends the run. */
export class RecoverySteps {
  readonly steps: RecoveryStep[] = [];
  constructor(private readonly total: number, private readonly onStep?: OnRecoveryStep) {}

  /** A step that was not run (an earlier one failed), reported with why. */
  skip(name: string, why: string): void {
    const n = this.steps.length + 1;
    this.onStep?.({ phase: 'start', n, total: this.total, name });
    const step: RecoveryStep = { n, total: this.total, name, status: 'skipped', lines: [why] };
    this.steps.push(step);
    this.onStep?.({ phase: 'end', ...step });
  }

  async run(name: string, fn: (lines: string[]) => Promise<boolean | void>): Promise<boolean> {
    const n = this.steps.length + 1;
    this.onStep?.({ phase: 'start', n, total: this.total, name });
    const lines: string[] = [];
    let ok: boolean;
    try {
      ok = (await fn(lines)) !== false;
    } catch (e) {
      lines.push(`error: ${(e instanceof Error ? e.message : String(e)).trim().split('\n').at(-1)}`);
      ok = false;
    }
    const step: RecoveryStep = { n, total: this.total, name, status: ok ? 'done' : 'failed', lines };
    this.steps.push(step);
    this.onStep?.({ phase: 'end', ...step });
    return ok;
  }
}

export async function refuseWhileActive(deps: Pick<Deps, 'prisma'>, what: string): Promise<void> {
  const s = await getTradingState(deps.prisma);
  if (s.state === 'ACTIVE')
    throw new RecoveryRefusedError(`${what} refused: trading is ACTIVE; stop it first (ai-trader shutdown --reason R stops entries, --force halts), then run it again`);
}

/** Our caches emptied (never queues or state): they may hold what the database no longer says. */
export async function flushCachesStep(deps: Deps, lines: string[]): Promise<void> {
  const r = await flushCache(deps, { confirm: true });
  lines.push(`deleted ${r.deleted} cache key(s) (${CACHE_GROUPS.join(', ')}; refilled from Postgres on the next reads)`);
  lines.push('kept: queues and their jobs, heartbeats, feed freshness and cursor, the log stream (state, not caches)');
}

/** The rows, partitions and credentials every process relies on, made sure of; running processes re-read their keys. */
export async function reinitialiseStep(deps: Deps, lines: string[]): Promise<void> {
  await bootstrapBooks(deps);
  lines.push('books: trading_state, portfolio_account and the broker\'s rows present');
  const created = Object.values(await ensurePartitionsAhead(deps.pool, deps.clock.now(), PARTITION_DAYS_AHEAD)).flat();
  lines.push(created.length ? `partitions: created ${created.join(', ')}` : `partitions: all present for the next ${PARTITION_DAYS_AHEAD} days`);
  // Running processes re-read their provider keys (and streams reconnect) on this announcement.
  const channel = keys(deps.config.REDIS_PREFIX).apiKeysChanged;
  for (const provider of ['alpaca', 'polygon'] as const) await deps.redis.publish(channel, JSON.stringify({ provider, at: deps.clock.now().toISOString() }));
  lines.push('credentials: running processes told to re-read their provider keys');
}

export async function validateAllStep(deps: Deps, steps: RecoverySteps, onStep?: OnRecoveryStep): Promise<SystemValidation | null> {
  let validation: SystemValidation | null = null;
  await steps.run('validate --all', async (lines) => {
    validation = await validateSystem(deps, undefined, (check) => onStep?.({ phase: 'check', check }));
    const n = (s: ComponentCheck['status']) => validation!.checks.filter((c) => c.status === s).length;
    lines.push(`${n('fail')} failed, ${n('warn')} warning(s), ${n('ok')} ok${n('fail') ? `: ${validation!.checks.filter((c) => c.status === 'fail').map((c) => c.component).join(', ')}` : ''}`);
    return validation.ok;
  });
  return validation;
}

export async function recoverSystem(
  deps: Deps,
  input: { actor: RecoveryActor; reason: string; idleMs: number; onStep?: OnRecoveryStep },
): Promise<RecoveryResult> {
  await refuseWhileActive(deps, 'recover system');
  const steps = new RecoverySteps(5, input.onStep);

  await steps.run('status --detailed', async (lines) => {
    const h = await detailedHealth(deps);
    lines.push(`health ${h.status}`);
    for (const c of h.components) lines.push(`${c.name}: ${c.status}: ${c.detail}`);
  });

  await steps.run('flush caches', (lines) => flushCachesStep(deps, lines));

  await steps.run('reset connections', async (lines) => {
    // Sessions idle (or idle in a transaction, holding locks) beyond the limit; this process's pools are left alone.
    const { killed } = await killIdleConnections(deps, { idleMs: input.idleMs });
    const limit = `${Math.round(input.idleMs / 1000)} s`;
    lines.push(killed.length ? `ended ${killed.length} Postgres session(s) idle longer than ${limit}; their pools reconnect on the next query` : `no Postgres session idle longer than ${limit}`);
    for (const r of killed) lines.push(`pid ${r.pid} ${r.application || '(unnamed)'}: ${r.state} for ${r.idleSeconds} s`);
  });

  await steps.run('reinitialise', (lines) => reinitialiseStep(deps, lines));

  const validation = await validateAllStep(deps, steps, input.onStep);
  const ok = steps.steps.every((s) => s.status === 'done');
  await deps.prisma.auditLog.create({
    data: {
      at: deps.clock.now(), actorId: input.actor.id, actorEmail: input.actor.email, action: 'recover.system', reason: input.reason,
      after: { ok, steps: steps.steps.map((s) => ({ name: s.name, status: s.status, lines: s.lines })) },
    },
  });
  await deps.events.publish('audit');
  return { ok, steps: steps.steps, validation };
}
