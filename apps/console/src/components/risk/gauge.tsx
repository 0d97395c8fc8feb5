// Gauges: a bar exposed to assistive tech as a labelled meter (value, limit and a sentence), coloured by how
// close the value is to its limit. A breach is shown full and red; the text says by how much.
import type { TLimitGauge } from '@ai-trader/contracts';
import { gaugeValue } from '@/lib/format';

/** ok below 70 % of the limit, warn from 70 %, breach from 100 %. */
export const levelOf = (value: number, max: number) => (max > 0 && value >= max ? 'breach' : max > 0 && value >= 0.7 * max ? 'warn' : 'ok');

export function Meter({ label, value, max, text, testId }: { label: string; value: number; max: number; text: string; testId?: string }) {
  const fill = max > 0 ? Math.min(100, (100 * Math.max(0, value)) / max) : 0;
  return (
    <div
      className={`meter meter-${levelOf(value, max)}`} role="meter" aria-label={label}
      aria-valuemin={0} aria-valuemax={max} aria-valuenow={Math.min(Math.max(0, value), max)} aria-valuetext={text}
      data-testid={testId} data-value={value}
    >
      <span className="meter-fill" style={{ width: `${fill}%` }} />
    </div>
  );
}

/** A limit with its current use: label, value of limit, the bar, and what is counted. */
export function LimitGauge({ g, compact = false, disabled = false }: { g: TLimitGauge; compact?: boolean; disabled?: boolean }) {
  const used = Number(g.used), limit = Number(g.limit);
  const pct = limit > 0 ? (100 * used) / limit : 0;
  const text = `${gaugeValue(g.unit, g.used)} of ${gaugeValue(g.unit, g.limit)} (${pct.toFixed(1)} %)`;
  return (
    <div className={`gauge${compact ? ' gauge-compact' : ''}${disabled ? ' gauge-disabled' : ''}`} data-gauge={g.key}>
      {!compact && (
        <div className="gauge-head">
          <div className="gauge-label">{g.label}</div>
          <div className="gauge-value">{text}</div>
        </div>
      )}
      <Meter label={g.label} value={used} max={limit} text={text} testId={`gauge-${g.key}`} />
      {compact ? <span className="gauge-value">{text}</span> : <div className="gauge-detail">{g.detail} · limit {g.source}</div>}
    </div>
  );
}
