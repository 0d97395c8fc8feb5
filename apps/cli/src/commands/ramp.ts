// `ai-trader ramp status|advance-check|set-step STEP --reason`: the capital ramp of ops/capital-ramp.yaml. status shows
// the steps, the current one with its caps and usage, and the last verdict (why it did or did not advance);
// advance-check runs the evaluation now (as the ramp_evaluation job does); set-step puts it on a step (audited).
import path from 'node:path';
import { ConfigFileError, DEFAULT_CAPITAL_RAMP_FILE, loadCapitalRamp } from '@ai-trader/adapters';
import { ZReason, type TCapitalRampFile, type TRampStatus, type TRampVerdict } from '@ai-trader/contracts';
import { evaluateRamp, RampInputError, rampStatus, readinessChecks, setRampStep } from '@ai-trader/core';
import type { Command } from 'commander';
import { paint } from '../colour.ts';
import { CliError, type CliContext } from '../context.ts';
import { cliAdmin, emergencyDeps } from './emergency.ts';

const fileOf = (o: { file?: string }, configured: string | undefined) => (o.file ? path.resolve(o.file) : configured ?? DEFAULT_CAPITAL_RAMP_FILE);

/** The ramp file; a bad one is exit 2 with its line and reason. */
function rampFile(file: string): TCapitalRampFile {
  try {
    return loadCapitalRamp(file).ramp;
  } catch (e) {
    if (e instanceof ConfigFileError) throw new CliError(e.message, 2);
    throw e;
  }
}

const KIND_PAINT: Record<TRampVerdict['kind'], (s: string) => string> = {
  started: paint.green, advanced: paint.green, held: paint.yellow, 'stepped-back': paint.red, set: paint.bold, disabled: paint.dim,
};
const verdictLine = (v: TRampVerdict) => `${KIND_PAINT[v.kind](v.kind)}: ${v.reason} ${paint.dim(`(${v.at})`)}`;

function printStatus(s: TRampStatus): void {
  console.log(`${paint.bold('capital ramp')}  ${s.file}`);
  if (s.fileError) console.log(paint.red(`  the file cannot be used (the stored step still applies):\n  ${s.fileError.split('\n').join('\n  ')}`));
  const st = s.state;
  console.log(`  ${st?.enabled ? paint.green('ON') : paint.dim('OFF')}${s.maxStepFactor !== null ? `; max_step_factor ${s.maxStepFactor}` : ''}${st?.enabled ? '' : ': no ramp caps (only the RISK_* limits)'}`);
  s.steps.forEach((x, i) => {
    const here = st?.enabled && st.stepName === x.name;
    const line = `${here ? '▶' : ' '} ${String(i + 1).padStart(2)} ${x.name.padEnd(14)} gross ${String(x.gross_exposure_pct_of_equity).padStart(6)} %  order ${String(x.order_notional_pct_of_equity).padStart(6)} %  ${x.min_trading_days} trading days`;
    console.log(here ? paint.bold(line) : line);
  });
  if (st?.enabled) {
    console.log(`  step ${st.stepIndex + 1} of ${st.stepCount} "${st.stepName}" since ${st.stepStartedAt} (equity then ${st.equityAtStepStart})`);
    console.log(`  caps: gross exposure ≤ ${st.maxGrossExposure} (now ${s.grossExposure ?? '?'}), one order ≤ ${st.maxOrderNotional}`);
  }
  if (st?.verdict) console.log(`  last: ${verdictLine(st.verdict)}`);
  if (s.history.length) {
    console.log('  history:');
    for (const h of s.history) console.log(`    ${h.at.toISOString()} ${h.action.padEnd(14)} ${h.actorEmail}  ${h.reason ?? ''}`);
  }
}

export function registerRamp(program: Command, ctx: () => CliContext) {
  const cmd = program.command('ramp').description('the capital ramp (ops/capital-ramp.yaml): its step and caps, why it did or did not advance; evaluate now; set a step');
  const fileOption = ['--file <file>', 'the ramp file (default: CAPITAL_RAMP_FILE or ops/capital-ramp.yaml)'] as const;

  cmd
    .command('status')
    .description('the steps, the current one with its caps and usage, the last verdict and the step changes')
    .option(...fileOption)
    .option('--json', 'print JSON')
    .action(async (o: { file?: string; json?: boolean }) => {
      const c = ctx();
      const file = fileOf(o, c.config.CAPITAL_RAMP_FILE);
      let ramp: TCapitalRampFile | null = null, fileError: string | null = null;
      try {
        ramp = rampFile(file);
      } catch (e) {
        if (!(e instanceof CliError)) throw e;
        fileError = e.message; // shown, not fatal: the stored step is what risk enforces
      }
      const s = await rampStatus(c.runtime().deps, { file, ramp, fileError });
      if (o.json) console.log(JSON.stringify(s, null, 2));
      else printStatus(s);
    });

  cmd
    .command('advance-check')
    .description('evaluate now, as the ramp_evaluation job does: advance after a clean step with readiness green, step back after an incident, else hold (with why)')
    .option(...fileOption)
    .option('--json', 'print JSON')
    .action(async (o: { file?: string; json?: boolean }) => {
      const c = ctx();
      const ramp = rampFile(fileOf(o, c.config.CAPITAL_RAMP_FILE));
      const r = await evaluateRamp(emergencyDeps(ctx), { ramp, readiness: readinessChecks, actor: cliAdmin() });
      if (o.json) console.log(JSON.stringify(r, null, 2));
      else {
        console.log(verdictLine(r.verdict));
        if (r.state?.enabled) console.log(`  step ${r.state.stepIndex + 1} of ${r.state.stepCount} "${r.state.stepName}": gross exposure ≤ ${r.state.maxGrossExposure}, one order ≤ ${r.state.maxOrderNotional}`);
      }
    });

  cmd
    .command('set-step')
    .argument('<step>', 'the step: its number (1 = the first) or its name')
    .description('put the ramp on a step now: caps from the equity now, its clean days counted from now; audited (ramp.set) with the reason')
    .requiredOption('--reason <text>', 'why (audited)')
    .option(...fileOption)
    .option('--json', 'print JSON')
    .action(async (step: string, o: { reason: string; file?: string; json?: boolean }) => {
      const reason = ZReason.safeParse(o.reason);
      if (!reason.success) throw new CliError(`--reason: ${reason.error.issues[0]!.message}`, 2);
      const c = ctx();
      const ramp = rampFile(fileOf(o, c.config.CAPITAL_RAMP_FILE));
      const which = /^\d+$/.test(step) ? Number(step) : step;
      const s = await setRampStep(emergencyDeps(ctx), { ramp, step: which, actor: cliAdmin(), reason: reason.data }).catch((e: unknown) => {
        if (e instanceof RampInputError) throw new CliError(e.message, 2);
        throw e;
      });
      if (o.json) console.log(JSON.stringify(s, null, 2));
      else console.log(`${paint.green('✓')} ramp on step ${s.stepIndex + 1} of ${s.stepCount} "${s.stepName}": gross exposure ≤ ${s.maxGrossExposure}, one order ≤ ${s.maxOrderNotional} (equity ${s.equityAtStepStart})`);
    });
}
