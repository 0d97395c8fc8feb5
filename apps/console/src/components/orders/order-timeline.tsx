'use client';
// One decision's life: signal → risk → intent → submission → fills → end (cancelled, rejected, …), with who
// cancelled it and why. Re-read whenever the live order list moves (the list invalidates it).
import { useQuery } from '@tanstack/react-query';
import { time } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';

export function OrderTimeline({ id }: { id: string }) {
  const trpc = useTRPC();
  const t = useQuery(trpc.orders.timeline.queryOptions({ id }));
  if (!t.data) return <p aria-busy="true">{t.error ? `Cannot load the timeline: ${t.error.message}` : 'Loading the timeline…'}</p>;
  return (
    <ol className="order-steps" data-testid="order-timeline" aria-label="Order timeline">
      {t.data.steps.map((s, i) => (
        <li key={i} data-kind={s.kind} className={`step step-${s.tone}`}>
          <span className="step-title">{s.title}</span>
          <span className="step-at">{time(s.at)}</span>
          {s.detail && <span className="step-detail">{s.detail}</span>}
        </li>
      ))}
    </ol>
  );
}
