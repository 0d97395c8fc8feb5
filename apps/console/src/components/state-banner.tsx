import type { TTradingStateView } from '@ai-trader/contracts';
import { time } from '@/lib/format';

const TEXT = { ACTIVE: 'Trading is ACTIVE', REDUCING: 'REDUCING — no new entries, exits only', HALTED: 'HALTED — no orders at all' } as const;

export function StateBanner({ s }: { s: TTradingStateView }) {
  return (
    <section className={`banner state-${s.state}`} aria-label="Trading state" data-testid="trading-state" data-state={s.state}>
      <strong>{TEXT[s.state]}</strong>
      <span>
        {s.changedBy ? `set by ${s.changedBy}` : 'since start'} · {time(s.changedAt)} · reason: {s.reason}
      </span>
    </section>
  );
}
