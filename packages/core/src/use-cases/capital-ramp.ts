// The capital ramp's changes: the evaluation (advance after a clean step with readiness green, step back after any
// incident, else hold — the verdict kept for the console and the CLI), an operator's set-step, and the status view.
// The state is one settings row (capitalRamp) that check-risk reads with its facts; every step change is audited.
import {
  RAMP_SETTING_KEY, type TActor, type TCapitalRampFile, type TRampState, type TRampStatus, type TRampStep, type TRampVerdict, type TRampVerdictKind,
} from '@ai-trader/contracts';
import { dec, decideRamp, decStr, rampCaps, tradingDaysWithin } from '@ai-trader/domain';
import type Decimal from 'decimal.js';
import type { Deps } from '../ports.ts';
import { rampBook, rampIncidents, readRampState, type ReadinessSource } from './capital-ramp-facts.ts';

export const RAMP_ACTOR: TActor = { id: 'system:ramp', email: 'system:ramp', role: 'admin' };

/** A set-step the ramp cannot take (unknown step, the ramp off): the caller's mistake, said plainly. */
export class RampInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RampInputError';
  }
}

type Tx = Parameters<Parameters<Deps['prisma']['$transaction']>[0]>[0];

function stepState(ramp: TCapitalRampFile, index: number, equity: Decimal, at: Date, verdict: TRampVerdict): TRampState {
  const step = ramp.steps[index]!;
  const caps = rampCaps(step, equity);
  return {
    enabled: true, stepIndex: index, stepName: step.name, stepCount: ramp.steps.length, stepStartedAt: at.toISOString(), equityAtStepStart: decStr(equity),
    grossExposurePct: step.gross_exposure_pct_of_equity, orderNotionalPct: step.order_notional_pct_of_equity, minTradingDays: step.min_trading_days,
    maxGrossExposure: caps.maxGrossExposure.toFixed(2), maxOrderNotional: caps.maxOrderNotional.toFixed(2), verdict,
  };
}

const label = (s: Pick<TRampState, 'stepIndex' | 'stepName' | 'maxGrossExposure' | 'maxOrderNotional'>) =>
  `step ${s.stepIndex + 1} "${s.stepName}" (gross ≤ ${s.maxGrossExposure}, order ≤ ${s.maxOrderNotional})`;

/** Writes the state; with `audit`, the change as an audit row (before/after) in the same transaction. */
async function save(tx: Tx, next: TRampState, before: TRampState | null, at: Date, audit?: { action: string; actor: TActor; reason: string }): Promise<void> {
  const value = next as unknown as object;
  await tx.setting.upsert({ where: { key: RAMP_SETTING_KEY }, create: { key: RAMP_SETTING_KEY, value, updatedById: audit?.actor.id ?? RAMP_ACTOR.id, updatedByEmail: audit?.actor.email ?? RAMP_ACTOR.email }, update: { value } });
  if (audit)
    await tx.auditLog.create({
      data: { at, actorId: audit.actor.id, actorEmail: audit.actor.email, action: audit.action, reason: audit.reason.slice(0, 500), before: (before ?? undefined) as object | undefined, after: value },
    });
}

/** One change at a time: the evaluation and an operator's set-step never interleave. */
const lock = (tx: Tx) => tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('capital-ramp'))`;

/** Where the stored step is in the file now: by name (the file may have been edited), else the same place, clamped. */
function currentIndex(ramp: TCapitalRampFile, s: TRampState): number {
  const byName = ramp.steps.findIndex((x) => x.name === s.stepName);
  return byName >= 0 ? byName : Math.min(s.stepIndex, ramp.steps.length - 1);
}

export interface RampEvaluation {
  verdict: TRampVerdict;
  state: TRampState | null;
  changed: boolean;
}

/**
 * The evaluation (the ramp.evaluate job after the close, `ai-trader ramp advance-check`): starts the ramp at its first
 * step when it is on and has not started, stops its caps when the file turns it off, else advances, holds or steps
 * back (decideRamp). Running it twice in a row changes nothing the second time (a new step has no clean day yet).
 */
export async function evaluateRamp(deps: Deps, input: { ramp: TCapitalRampFile; readiness: ReadinessSource; actor?: TActor }): Promise<RampEvaluation> {
  const { ramp } = input;
  const actor = input.actor ?? RAMP_ACTOR;
  const now = deps.clock.now();
  // Read outside the transaction: the book and readiness may be slow, and nothing here depends on the lock.
  const [book, before] = await Promise.all([rampBook(deps), readRampState(deps.prisma)]);
  const incidents = before?.enabled ? await rampIncidents(deps, new Date(before.stepStartedAt), now) : [];
  const readiness = before?.enabled && !incidents.length ? await input.readiness(deps, { since: new Date(before.stepStartedAt), now }) : { green: false, detail: 'not asked' };
  const result = await deps.prisma.$transaction(async (tx) => {
    await lock(tx);
    const s = await readRampState(tx);
    if (s?.stepStartedAt !== before?.stepStartedAt || s?.enabled !== before?.enabled) throw new Error('the capital ramp changed while it was being evaluated; run the evaluation again');
    const verdict = (kind: TRampVerdictKind, reason: string, days = 0): TRampVerdict => ({ at: now.toISOString(), kind, reason, cleanTradingDays: days });
    if (!ramp.enabled) {
      if (!s?.enabled) return { verdict: verdict('disabled', 'the ramp is off (enabled: false): no ramp caps'), state: s, changed: false };
      const next = { ...s, enabled: false, verdict: verdict('disabled', 'turned off in the ramp file (enabled: false): no ramp caps from now') };
      await save(tx, next, s, now, { action: 'ramp.set', actor, reason: next.verdict.reason });
      return { verdict: next.verdict, state: next, changed: true };
    }
    if (!s?.enabled) {
      const v = verdict('started', `ramp on: starts at step 1 "${ramp.steps[0]!.name}" with equity ${book.equity.toFixed(2)}`);
      const next = stepState(ramp, 0, book.equity, now, v);
      await save(tx, next, s, now, { action: 'ramp.set', actor, reason: `${v.reason}: ${label(next)}` });
      return { verdict: v, state: next, changed: true };
    }
    const index = currentIndex(ramp, s);
    const d = decideRamp({ stepIndex: index, stepCount: ramp.steps.length, step: ramp.steps[index]!, stepStartedAt: new Date(s.stepStartedAt), now, incidents, readiness });
    if (d.kind === 'held') {
      const v = verdict('held', d.reason, d.cleanTradingDays);
      // The step's percentages edited in the file: its caps follow, from the equity at the step's start.
      const same = stepState(ramp, index, dec(s.equityAtStepStart), new Date(s.stepStartedAt), v);
      const recapped = same.maxGrossExposure !== s.maxGrossExposure || same.maxOrderNotional !== s.maxOrderNotional || same.stepIndex !== s.stepIndex;
      await save(tx, same, s, now, recapped ? { action: 'ramp.set', actor, reason: `the ramp file changed step "${same.stepName}": ${label(s)} → ${label(same)}` } : undefined);
      return { verdict: v, state: same, changed: recapped };
    }
    const v = verdict(d.kind, d.reason, d.cleanTradingDays);
    const next = stepState(ramp, d.toIndex, book.equity, now, v);
    const action = d.kind === 'advanced' ? 'ramp.advance' : 'ramp.step-back';
    await save(tx, next, s, now, { action, actor, reason: `${d.kind} ${label(s)} → ${label(next)}: ${d.reason}` });
    return { verdict: v, state: next, changed: true };
  });
  if (result.changed) await deps.events.publish('audit');
  const log = result.verdict.kind === 'stepped-back' ? deps.logger.warn.bind(deps.logger) : deps.logger.info.bind(deps.logger);
  log({ category: 'risk', ramp: result.verdict.kind, step: result.state?.stepName ?? null }, `Capital ramp ${result.verdict.kind}: ${result.verdict.reason}`);
  return result;
}

/** An operator puts the ramp on a step (1-based number or name): caps from the equity now, the step's clock restarts. Audited ramp.set. */
export async function setRampStep(deps: Deps, input: { ramp: TCapitalRampFile; step: number | string; actor: TActor; reason: string }): Promise<TRampState> {
  const { ramp } = input;
  if (!ramp.enabled) throw new RampInputError('the capital ramp is off (enabled: false in its file): turn it on before choosing a step');
  const index = typeof input.step === 'number' ? input.step - 1 : ramp.steps.findIndex((s) => s.name === input.step);
  if (index < 0 || index >= ramp.steps.length)
    throw new RampInputError(`no step ${JSON.stringify(input.step)}: the steps are ${ramp.steps.map((s, i) => `${i + 1} "${s.name}"`).join(', ')}`);
  const now = deps.clock.now();
  const { equity } = await rampBook(deps);
  const next = await deps.prisma.$transaction(async (tx) => {
    await lock(tx);
    const before = await readRampState(tx);
    const v: TRampVerdict = { at: now.toISOString(), kind: 'set', reason: `set by ${input.actor.email}: ${input.reason}`, cleanTradingDays: 0 };
    const state = stepState(ramp, index, equity, now, v);
    await save(tx, state, before, now, { action: 'ramp.set', actor: input.actor, reason: `${before?.enabled ? label(before) : 'off'} → ${label(state)}: ${input.reason}` });
    return state;
  });
  await deps.events.publish('audit');
  deps.logger.info({ category: 'risk', ramp: 'set', step: next.stepName, actor: input.actor.email }, `Capital ramp set to ${label(next)} by ${input.actor.email}: ${input.reason}`);
  return next;
}

/** The status the console and `ramp status` show: the file (or its problem), the state and its verdict, the usage, the history. */
export async function rampStatus(deps: Deps, input: { file: string; ramp: TCapitalRampFile | null; fileError: string | null }): Promise<TRampStatus> {
  const [state, book, history] = await Promise.all([
    readRampState(deps.prisma),
    rampBook(deps).catch(() => null), // no account yet: the status still answers
    deps.prisma.auditLog.findMany({ where: { action: { startsWith: 'ramp.' } }, orderBy: { id: 'desc' }, take: 10, select: { at: true, action: true, actorEmail: true, reason: true } }),
  ]);
  const steps: TRampStep[] = input.ramp?.steps ?? [];
  return {
    file: input.file, fileError: input.fileError, enabled: state?.enabled ?? false, maxStepFactor: input.ramp?.max_step_factor ?? null, steps, state,
    grossExposure: book ? book.grossExposure.toFixed(2) : null, history,
  };
}

/** Trading days the current step has lasted so far (whole sessions), for a status line. */
export function rampDaysInStep(s: TRampState, now: Date): number {
  return tradingDaysWithin(new Date(s.stepStartedAt), now);
}

