'use client';
// The capital ramp on the Risk page: the current step and its caps (gross exposure against its cap now), the
// last evaluation's verdict — why it did or did not advance — the steps of ops/capital-ramp.yaml and the step
// changes. Traders may evaluate now; admins may put it on a step (audited with the reason).
import type { TRampStatus, TRampVerdict } from '@ai-trader/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { money, time } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';

/** The step changes happen after the close or by hand: a re-read every 30 s is fresh enough (a change here re-reads at once). */
const REFRESH_MS = 30_000;

const VERDICT_CLASS: Record<TRampVerdict['kind'], string> = { started: 'pos', advanced: 'pos', held: 'muted', 'stepped-back': 'neg', set: '', disabled: 'muted' };

export function CapitalRamp() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const status = useQuery({ ...trpc.ramp.status.queryOptions(), refetchInterval: REFRESH_MS });
  const me = useQuery(trpc.me.queryOptions());
  const role = me.data?.role ?? 'viewer';
  const reread = () => qc.invalidateQueries({ queryKey: trpc.ramp.status.queryKey() });
  const evaluate = useMutation(trpc.ramp.evaluate.mutationOptions({ onSuccess: () => void reread() }));
  const setStep = useMutation(trpc.ramp.setStep.mutationOptions({ onSuccess: () => void reread() }));
  const [step, setStepChoice] = useState('');
  const [reason, setReason] = useState('');
  const s = status.data as TRampStatus | undefined;
  const error = evaluate.error ?? setStep.error;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (step) setStep.mutate({ step: Number(step), reason: reason.trim() });
  };

  return (
    <section aria-labelledby="ramp-h" data-testid="capital-ramp">
      <h2 id="ramp-h">Capital ramp</h2>
      {!s ? (
        <p aria-busy="true" className={status.error ? 'error' : 'muted'}>{status.error ? `Cannot read the capital ramp: ${status.error.message}` : 'Reading the capital ramp…'}</p>
      ) : (
        <>
          {s.fileError && <p role="alert" className="error" data-testid="ramp-file-error">{s.file} cannot be used; the stored step still applies: {s.fileError}</p>}
          <RampCards s={s} />
          {s.state?.verdict && (
            <p data-testid="ramp-verdict">
              Last evaluation {time(s.state.verdict.at)}: <strong className={VERDICT_CLASS[s.state.verdict.kind]}>{s.state.verdict.kind}</strong> — {s.state.verdict.reason}
            </p>
          )}
          <table data-testid="ramp-steps">
            <thead><tr><th>#</th><th>Step</th><th className="num">Gross exposure</th><th className="num">One order</th><th className="num">Clean trading days to advance</th></tr></thead>
            <tbody>
              {s.steps.map((x, i) => {
                const here = s.state?.enabled && s.state.stepName === x.name;
                return (
                  <tr key={x.name} aria-current={here ? 'step' : undefined} className={here ? 'current' : undefined}>
                    <td>{i + 1}</td><td>{here ? <strong>▶ {x.name}</strong> : x.name}</td>
                    <td className="num">{x.gross_exposure_pct_of_equity} % of equity</td><td className="num">{x.order_notional_pct_of_equity} % of equity</td><td className="num">{x.min_trading_days}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {role !== 'viewer' && (
            <p>
              <button type="button" onClick={() => evaluate.mutate()} disabled={evaluate.isPending}>Evaluate now</button>{' '}
              <span className="muted">as the ramp_evaluation job does after the close</span>
            </p>
          )}
          {role === 'admin' && s.steps.length > 0 && (
            <form aria-label="Set the ramp's step" className="whatif-form" onSubmit={submit}>
              <label>
                Step
                <select name="step" value={step} onChange={(e) => setStepChoice(e.target.value)}>
                  <option value="">choose…</option>
                  {s.steps.map((x, i) => <option key={x.name} value={i + 1}>{i + 1} {x.name}</option>)}
                </select>
              </label>
              <label>
                Reason (audited)
                <input name="reason" value={reason} onChange={(e) => setReason(e.target.value)} placeholder="e.g. a clean week on paper" autoComplete="off" />
              </label>
              <button type="submit" disabled={!step || reason.trim().length < 3 || setStep.isPending}>Set step</button>
            </form>
          )}
          {error && <p role="alert" className="error">{error.message}</p>}
          {s.history.length > 0 && (
            <details>
              <summary>Step changes ({s.history.length})</summary>
              <ul data-testid="ramp-history">
                {s.history.map((h, i) => <li key={i}>{time(new Date(h.at).toISOString())} <code>{h.action}</code> {h.actorEmail}: {h.reason}</li>)}
              </ul>
            </details>
          )}
        </>
      )}
    </section>
  );
}

function RampCards({ s }: { s: TRampStatus }) {
  const st = s.state;
  if (!st?.enabled)
    return <p className="muted" data-testid="ramp-off">The ramp is off ({s.file}: enabled: false, or not evaluated since it was turned on): no ramp caps, only the RISK_* limits.</p>;
  return (
    <div className="cards" aria-label="Capital ramp step">
      <div className="card"><div className="label">Step</div><div className="value" data-testid="ramp-step">{st.stepIndex + 1} of {st.stepCount}: {st.stepName}</div><div className="sub">since {time(st.stepStartedAt)}</div></div>
      <div className="card"><div className="label">Gross exposure cap</div><div className="value" data-testid="ramp-gross-cap">{money(st.maxGrossExposure)}</div><div className="sub">{st.grossExposurePct} % of {money(st.equityAtStepStart)}; now {money(s.grossExposure)}</div></div>
      <div className="card"><div className="label">Order notional cap</div><div className="value" data-testid="ramp-order-cap">{money(st.maxOrderNotional)}</div><div className="sub">{st.orderNotionalPct} % of the equity at the step&apos;s start</div></div>
      <div className="card"><div className="label">To advance</div><div className="value">{st.verdict?.cleanTradingDays ?? 0} / {st.minTradingDays}</div><div className="sub">clean trading days, readiness green</div></div>
    </div>
  );
}
