// The progress of an emergency action, step by step, as it happens: kept in Redis (the last action) and announced
// as an 'emergency' live event, so every console shows the steps while they run; the caller (CLI) gets each step too.
import { randomUUID } from 'node:crypto';
import { ZEmergencyProgress, type TActor, type TEmergencyAction, type TEmergencyProgress, type TEmergencyStep } from '@ai-trader/contracts';
import type { Deps } from '../ports.ts';

type ProgressDeps = Pick<Deps, 'redis' | 'config' | 'events' | 'logger' | 'clock'>;

const progressKey = (deps: Pick<Deps, 'config'>) => `${deps.config.REDIS_PREFIX}:emergency:progress`;
const lockKey = (deps: Pick<Deps, 'config'>) => `${deps.config.REDIS_PREFIX}:emergency:lock`;

export type OnStep = (s: TEmergencyStep) => void;

export interface Progress {
  readonly runId: string;
  readonly steps: TEmergencyStep[];
  /** Milliseconds since the action was called. */
  elapsed(): number;
  step(step: TEmergencyStep['step'], ok: boolean, detail: string): TEmergencyStep;
  finish(ok: boolean, outcome: string): Promise<void>;
}

/**
 * Starts recording. Writes to Redis are chained in the background (an action never waits for them between its
 * steps); `finish` waits for them all. A Redis failure is logged, never fails the action.
 */
export function startProgress(deps: ProgressDeps, input: { action: TEmergencyAction; actor: TActor; reason: string; onStep?: OnStep; startedAt?: number }): Progress {
  const t0 = input.startedAt ?? performance.now();
  const record: TEmergencyProgress = {
    runId: randomUUID(), action: input.action, actor: input.actor.email, reason: input.reason, startedAt: deps.clock.now().toISOString(),
    finishedAt: null, steps: [], ok: null, outcome: null,
  };
  let chain: Promise<void> = Promise.resolve();
  const save = () => {
    const text = JSON.stringify(record);
    chain = chain
      .then(async () => {
        await deps.redis.set(progressKey(deps), text);
        await deps.events.publish('emergency');
      })
      .catch((e: unknown) => deps.logger.warn({ err: (e as Error).message, runId: record.runId }, 'could not store the progress of an emergency action'));
  };
  save();
  return {
    runId: record.runId,
    steps: record.steps,
    elapsed: () => performance.now() - t0,
    step(step, ok, detail) {
      const s: TEmergencyStep = { step, at: deps.clock.now().toISOString(), ms: Math.round(performance.now() - t0), ok, detail };
      record.steps.push(s);
      save();
      try {
        input.onStep?.(s);
      } catch {
        // a printer that fails must not stop an emergency action
      }
      (ok ? deps.logger.info : deps.logger.error).call(deps.logger, { category: 'emergency', action: input.action, runId: record.runId, step, ms: s.ms }, `${input.action}: ${step} — ${detail}`);
      return s;
    },
    async finish(ok, outcome) {
      Object.assign(record, { finishedAt: deps.clock.now().toISOString(), ok, outcome });
      save();
      await chain;
    },
  };
}

/** The last emergency action (running or finished), or null before the first. */
export async function lastEmergency(deps: Pick<Deps, 'redis' | 'config'>): Promise<TEmergencyProgress | null> {
  const raw = await deps.redis.get(progressKey(deps));
  if (!raw) return null;
  const r = ZEmergencyProgress.safeParse(JSON.parse(raw));
  return r.success ? r.data : null;
}

/**
 * One liquidation at a time (a double click, two admins, the CLI and the console at once): a Redis lock with a time
 * limit, so a process that dies holding it does not block the next one for long. Returns the release, or null
 * with who holds it.
 */
export async function takeEmergencyLock(deps: Pick<Deps, 'redis' | 'config'>, holder: string, ttlMs: number): Promise<{ release(): Promise<void> } | { heldBy: string }> {
  const key = lockKey(deps);
  const got = await deps.redis.set(key, holder, 'PX', ttlMs, 'NX');
  if (got !== 'OK') return { heldBy: (await deps.redis.get(key)) ?? 'another action (just finished)' };
  return {
    async release() {
      // Only our own lock: compare and delete in one step.
      await deps.redis.eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end", 1, key, holder);
    },
  };
}
