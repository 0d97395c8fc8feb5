// The recovery runbooks as code. `recover system`: health in detail, our caches flushed, stuck and idle Postgres
// connections ended, the bootstrapped rows, partitions and provider credentials re-established, every component
// validated. Refused while trading is ACTIVE; every step reports what it did; the run is audited.
import { ensurePartitionsAhead } from '@ai-trader/db';
import { flushLatestBarCache } from '../infra/latest-bars.ts';
import { keys } from '../infra/redis.ts';
import type { Deps } from '../ports.ts';
import { bootstrapBooks } from './bootstrap-books.ts';
import { PARTITION_DAYS_AHEAD } from './daily-data-maintenance.ts';
import { detailedHealth } from './system-status.ts';
import { getTradingState } from './trading-state.ts';
import { validateSystem, type ComponentCheck, type SystemValidation } from './validate-system.ts';

export interface RecoveryActor { id: string; email: string }

export interface RecoveryStep {
  n: number;
  total: number;
  name: string;
  status: 'done' | 'failed';
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
    throw new RecoveryRefusedError(`${what} refused: trading is ACTIVE; stop it first (ai-trader shutdown --force to halt, or stop entries), then run it again`);
}

export interface ConnectionReset {
  pid: number;
  application: string;
  state: string;
  idleSeconds: number;
  terminated: boolean;
}

/**
 * Ends other sessions of this database that are stuck in a transaction (holding locks) or idle for long: the pools
 * of our processes notice on the next use and open a new connection. Active queries are never touched.
 */
export async function resetConnections(deps: Pick<Deps, 'pool'>, o: { idleSeconds: number; idleInTransactionSeconds: number }): Promise<ConnectionReset[]> {
  const { rows } = await deps.pool.query<{ pid: number; application: string; state: string; idle: number; terminated: boolean }>(
    `SELECT pid, coalesce(nullif(application_name, ''), '(unnamed)') AS application, state,
            extract(epoch FROM now() - state_change)::int AS idle, pg_terminate_backend(pid) AS terminated
       FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
        AND ((state = 'idle' AND state_change < now() - make_interval(secs => $1))
          OR (state IN ('idle in transaction', 'idle in transaction (aborted)') AND state_change < now() - make_interval(secs => $2)))
      ORDER BY pid`,
    [o.idleSeconds, o.idleInTransactionSeconds],
  );
  return rows.map((r) => ({ pid: r.pid, application: r.application, state: r.state, idleSeconds: r.idle, terminated: r.terminated }));
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
  input: { actor: RecoveryActor; reason: string; idleSeconds: number; idleInTransactionSeconds: number; onStep?: OnRecoveryStep },
): Promise<RecoveryResult> {
  await refuseWhileActive(deps, 'recover system');
  const steps = new RecoverySteps(5, input.onStep);

  await steps.run('status --detailed', async (lines) => {
    const h = await detailedHealth(deps);
    lines.push(`health ${h.status}`);
    for (const c of h.components) lines.push(`${c.name}: ${c.status}: ${c.detail}`);
  });

  await steps.run('flush caches', async (lines) => {
    const removed = await flushLatestBarCache(deps);
    lines.push(removed.length ? `latest-bar cache: removed ${removed.join(', ')} (refilled from Postgres on the next reads)` : 'latest-bar cache: already empty');
    lines.push('kept: queues and their jobs, heartbeats, feed freshness and cursor, the log stream (state, not caches)');
  });

  await steps.run('reset connections', async (lines) => {
    const ended = await resetConnections(deps, input);
    const done = ended.filter((r) => r.terminated);
    lines.push(done.length
      ? `ended ${done.length} Postgres session(s) idle over ${input.idleSeconds} s or in a transaction over ${input.idleInTransactionSeconds} s; their pools reconnect on the next query`
      : `no Postgres session idle over ${input.idleSeconds} s or in a transaction over ${input.idleInTransactionSeconds} s`);
    for (const r of ended) lines.push(`pid ${r.pid} ${r.application}: ${r.state} for ${r.idleSeconds} s${r.terminated ? '' : ' (could not end it: not permitted)'}`);
    return ended.every((r) => r.terminated);
  });

  await steps.run('reinitialise', async (lines) => {
    await bootstrapBooks(deps);
    lines.push('books: trading_state, portfolio_account and the broker\'s rows present');
    const created = Object.values(await ensurePartitionsAhead(deps.pool, deps.clock.now(), PARTITION_DAYS_AHEAD)).flat();
    lines.push(created.length ? `partitions: created ${created.join(', ')}` : `partitions: all present for the next ${PARTITION_DAYS_AHEAD} days`);
    // Running processes re-read their provider keys (and streams reconnect) on this announcement.
    const channel = keys(deps.config.REDIS_PREFIX).apiKeysChanged;
    for (const provider of ['alpaca', 'polygon'] as const) await deps.redis.publish(channel, JSON.stringify({ provider, at: deps.clock.now().toISOString() }));
    lines.push('credentials: running processes told to re-read their provider keys');
  });

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
