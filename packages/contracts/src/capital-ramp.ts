// The capital ramp: ops/capital-ramp.yaml (a schedule of steps, each a cap on gross exposure and on one order's
// notional as % of equity), the state kept in the settings table, and what the console and the CLI show.
import { z } from 'zod';
import { ZReason } from './api.ts';

const pct = (what: string) =>
  z.number({ error: `${what} must be a number (percent of equity)` }).positive(`${what} must be above 0`).max(1000, `${what} must be at most 1000 (%)`);

export const ZRampStep = z.strictObject({
  name: z.string().trim().min(1, 'name must not be empty').max(40),
  gross_exposure_pct_of_equity: pct('gross_exposure_pct_of_equity'),
  order_notional_pct_of_equity: pct('order_notional_pct_of_equity'),
  min_trading_days: z.number().int('min_trading_days must be a whole number').min(1).max(260),
});
export type TRampStep = z.infer<typeof ZRampStep>;

/** The file. Off by default: no ramp caps until an operator turns it on. */
export const ZCapitalRampFile = z
  .strictObject({
    enabled: z.boolean().default(false),
    max_step_factor: z.number().min(1, 'max_step_factor must be at least 1').max(10, 'max_step_factor must be at most 10').default(2),
    steps: z.array(ZRampStep).min(1, 'steps: give at least one step'),
  })
  .superRefine((f, ctx) => {
    const seen = new Set<string>();
    f.steps.forEach((s, i) => {
      if (seen.has(s.name)) ctx.addIssue({ code: 'custom', path: ['steps', i, 'name'], message: `step name "${s.name}" is used twice` });
      seen.add(s.name);
      if (s.order_notional_pct_of_equity > s.gross_exposure_pct_of_equity)
        ctx.addIssue({ code: 'custom', path: ['steps', i, 'order_notional_pct_of_equity'], message: `one order (${s.order_notional_pct_of_equity} %) cannot be more than the gross exposure cap (${s.gross_exposure_pct_of_equity} %)` });
      const prev = f.steps[i - 1];
      if (!prev) return;
      for (const key of ['gross_exposure_pct_of_equity', 'order_notional_pct_of_equity'] as const) {
        const factor = s[key] / prev[key];
        if (factor > f.max_step_factor + 1e-9)
          ctx.addIssue({
            code: 'custom', path: ['steps', i, key],
            message: `step "${s.name}" raises ${key} from ${prev[key]} to ${s[key]} (×${+factor.toFixed(2)}), more than max_step_factor ${f.max_step_factor}`,
          });
      }
    });
  });
export type TCapitalRampFile = z.infer<typeof ZCapitalRampFile>;

/** The key of the ramp's state in the settings table. */
export const RAMP_SETTING_KEY = 'capitalRamp';

export const ZRampVerdictKind = z.enum(['started', 'advanced', 'held', 'stepped-back', 'set', 'disabled']);
export type TRampVerdictKind = z.infer<typeof ZRampVerdictKind>;

/** The newest evaluation's verdict and why, as the console and `ramp status` show it. */
export const ZRampVerdict = z.object({
  at: z.string(), // ISO instant
  kind: ZRampVerdictKind,
  reason: z.string(),
  cleanTradingDays: z.number().int().min(0),
});
export type TRampVerdict = z.infer<typeof ZRampVerdict>;

/**
 * The ramp's state (settings row `capitalRamp`). The caps are money, fixed at the step's start from the equity
 * then: the order path reads them from this one row, and a step's cap does not move with every price tick.
 */
export const ZRampState = z.object({
  enabled: z.boolean(),
  stepIndex: z.number().int().min(0),
  stepName: z.string(),
  stepCount: z.number().int().min(1),
  stepStartedAt: z.string(),
  equityAtStepStart: z.string(),
  grossExposurePct: z.number(),
  orderNotionalPct: z.number(),
  minTradingDays: z.number().int(),
  maxGrossExposure: z.string(),
  maxOrderNotional: z.string(),
  verdict: ZRampVerdict.nullable(),
});
export type TRampState = z.infer<typeof ZRampState>;

export const ZRampHistoryRow = z.object({ at: z.date(), action: z.string(), actorEmail: z.string(), reason: z.string().nullable() });

export const ZRampStatus = z.object({
  file: z.string(),
  /** The file's problem (line and reason) when it cannot be read: the stored state still applies. */
  fileError: z.string().nullable(),
  enabled: z.boolean(),
  maxStepFactor: z.number().nullable(),
  steps: z.array(ZRampStep),
  state: ZRampState.nullable(),
  /** Gross exposure now (positions at their last price plus working entries), against the step's cap. */
  grossExposure: z.string().nullable(),
  history: z.array(ZRampHistoryRow),
});
export type TRampStatus = z.infer<typeof ZRampStatus>;

export const ZRampSetStepInput = z.object({ step: z.union([z.number().int().min(1), z.string().trim().min(1).max(40)]), reason: ZReason });
export type TRampSetStepInput = z.infer<typeof ZRampSetStepInput>;

export const ZRampEvaluationView = z.object({ verdict: ZRampVerdict, state: ZRampState.nullable(), changed: z.boolean() });
export type TRampEvaluationView = z.infer<typeof ZRampEvaluationView>;
