// The capital ramp on the Risk page: its step, caps and the last verdict (why it did or did not advance), an
// operator's set-step (admin, audited) and an evaluation now (trader+: the same one the scheduled job runs).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ZRampEvaluationView, ZRampSetStepInput, ZRampState, ZRampStatus, type TCapitalRampFile, type TConfig } from '@ai-trader/contracts';
import { ConfigFileError, parseCapitalRamp } from '@ai-trader/adapters';
import { evaluateRamp, RampInputError, rampStatus, readinessChecks, setRampStep } from '@ai-trader/core';
import { TRPCError } from '@trpc/server';
import { adminProcedure, router, traderProcedure, viewerProcedure } from '../trpc.ts';

const RAMP_FILE = path.join('ops', 'capital-ramp.yaml');

/** CAPITAL_RAMP_FILE, else ops/capital-ramp.yaml found upwards from the console's working directory (read at run time,
 *  like ops/job-definitions.yaml). The file's problem comes back as text, with its line. */
export function readCapitalRampFile(config: Pick<TConfig, 'CAPITAL_RAMP_FILE'>, from = process.cwd()): { file: string; ramp: TCapitalRampFile | null; error: string | null } {
  let file = config.CAPITAL_RAMP_FILE;
  for (let dir = path.resolve(/*turbopackIgnore: true*/ from); !file; dir = path.dirname(dir)) {
    const candidate = path.join(/*turbopackIgnore: true*/ dir, RAMP_FILE);
    if (existsSync(candidate)) file = candidate;
    else if (path.dirname(dir) === dir) return { file: RAMP_FILE, ramp: null, error: `${RAMP_FILE}: no such file` };
  }
  const shown = config.CAPITAL_RAMP_FILE ? file : RAMP_FILE;
  try {
    if (!existsSync(file)) return { file: shown, ramp: null, error: `${shown}: no such file` };
    return { file: shown, ramp: parseCapitalRamp(readFileSync(file, 'utf8'), shown), error: null };
  } catch (e) {
    if (e instanceof ConfigFileError) return { file: shown, ramp: null, error: e.message };
    throw e;
  }
}

function usableRamp(config: Pick<TConfig, 'CAPITAL_RAMP_FILE'>): TCapitalRampFile {
  const r = readCapitalRampFile(config);
  if (!r.ramp) throw new TRPCError({ code: 'PRECONDITION_FAILED', message: r.error ?? 'no ramp file' });
  return r.ramp;
}

export const rampRouter = router({
  status: viewerProcedure.output(ZRampStatus).query(({ ctx }) => {
    const r = readCapitalRampFile(ctx.deps.config);
    return rampStatus(ctx.deps, { file: r.file, ramp: r.ramp, fileError: r.error });
  }),
  /** The evaluation now (as the ramp_evaluation job): advance, hold or step back, with its reason. */
  evaluate: traderProcedure.output(ZRampEvaluationView).mutation(async ({ ctx }) => {
    const r = await evaluateRamp(ctx.deps, { ramp: usableRamp(ctx.deps.config), readiness: readinessChecks, actor: ctx.actor });
    return { verdict: r.verdict, state: r.state, changed: r.changed };
  }),
  setStep: adminProcedure.input(ZRampSetStepInput).output(ZRampState).mutation(async ({ ctx, input }) => {
    try {
      return await setRampStep(ctx.deps, { ramp: usableRamp(ctx.deps.config), step: input.step, actor: ctx.actor, reason: input.reason });
    } catch (e) {
      if (e instanceof RampInputError) throw new TRPCError({ code: 'BAD_REQUEST', message: e.message });
      throw e;
    }
  }),
});
