// Scanner alerts about each symbol's last daily bar: unusual volume (against the days before it) and a
// gap up or down (its open against the previous close). Judged on the symbols a layer passed.
import type { TScannerAlertKind, TScannerAlertsConfig } from '@ai-trader/contracts';
import { dec, decStr } from '../money.ts';
import { groupDigits, type ScanBar, type ScanCandidate } from './scan-bars.ts';
import type { ScanMetrics } from './layers.ts';
import { mean, sampleStdDev } from './statistics.ts';

export interface ScanAlert {
  symbol: string;
  kind: TScannerAlertKind;
  /** The trading date of the bar it is about. */
  date: string;
  detail: string;
  metrics: ScanMetrics;
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));

/** Alerts on the last bar (up to `scanDate`) of each candidate, in candidate order, volume before gap. */
export function scanAlerts(candidates: readonly ScanCandidate[], cfg: TScannerAlertsConfig, scanDate: string): ScanAlert[] {
  const out: ScanAlert[] = [];
  for (const c of candidates) {
    const bars = c.bars.filter((b) => b.date <= scanDate);
    const last = bars.at(-1);
    if (!last) continue;
    if (cfg.unusualVolume.enabled) {
      const a = unusualVolume(bars.slice(-1 - cfg.unusualVolume.lookbackDays, -1), last, cfg.unusualVolume);
      if (a) out.push({ symbol: c.symbol, kind: 'unusual_volume', date: last.date, ...a });
    }
    const prev = bars.at(-2);
    if (cfg.gap.enabled && prev) {
      const a = gap(prev, last, cfg.gap.minPercent);
      if (a) out.push({ symbol: c.symbol, date: last.date, ...a });
    }
  }
  return out;
}

function unusualVolume(before: ScanBar[], last: ScanBar, cfg: TScannerAlertsConfig['unusualVolume']): Omit<ScanAlert, 'symbol' | 'kind' | 'date'> | null {
  if (before.length < cfg.minDays) return null;
  const volumes = before.map((b) => Number(b.volume));
  const avg = mean(volumes)!, sd = sampleStdDev(volumes)!;
  const v = Number(last.volume);
  if (avg <= 0) return null; // no volume to compare with: a multiple of nothing says nothing
  const multiple = v / avg;
  const z = sd > 0 ? (v - avg) / sd : null;
  // Equal volumes every day (sd 0): any increase is "infinitely" unusual, so the z-score condition holds.
  const zOk = cfg.minZScore === undefined || (z === null ? v > avg : z >= cfg.minZScore);
  if (multiple < cfg.minMultiple || !zOk) return null;
  return {
    detail: `volume ${groupDigits(last.volume)} on ${last.date} is ${multiple.toFixed(1)}× the ${before.length}-day average ${groupDigits(avg.toFixed(0))}${z === null ? '' : ` (z ${z.toFixed(1)})`}`,
    metrics: { volume: last.volume, avgVolume: round(avg, 2), multiple: round(multiple, 4), zScore: z === null ? null : round(z, 4), days: before.length },
  };
}

function gap(prev: ScanBar, last: ScanBar, minPercent: number): Pick<ScanAlert, 'kind' | 'detail' | 'metrics'> | null {
  const prevClose = dec(prev.close);
  if (prevClose.lte(0)) return null;
  // Exact at the threshold: a 2.00 % gap is a 2 % gap, whatever a float would make of 102/100.
  const percent = dec(last.open).minus(prevClose).div(prevClose).times(100);
  const kind = percent.gte(minPercent) ? 'gap_up' : percent.lte(-minPercent) ? 'gap_down' : null;
  if (!kind) return null;
  const open = decStr(dec(last.open)), close = decStr(prevClose);
  return {
    kind,
    detail: `opened ${open} on ${last.date}, ${percent.abs().toFixed(2)} % ${kind === 'gap_up' ? 'above' : 'below'} the previous close ${close} (${prev.date})`,
    metrics: { open, prevClose: close, prevDate: prev.date, gapPercent: round(percent.toNumber(), 4) },
  };
}
