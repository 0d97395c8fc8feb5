'use client';
// On every page: the trading state (who set it, when, why) and the emergency buttons, kept live by a push
// of the state on every change; for admins the emergency actions beyond HALT, and for everyone the steps of the
// running (or last) emergency action.
import type { TRole, TTradingStateView } from '@ai-trader/contracts';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useTRPC } from '@/lib/trpc';
import { EmergencyActions } from './emergency-actions';
import { EmergencyProgressProvider, EmergencyProgressView } from './emergency-progress';
import { HaltControls } from './halt-controls';
import { StateBanner } from './state-banner';

export function EmergencyPanel({ role }: { role: TRole }) {
  const trpc = useTRPC();
  const sub = useSubscription(trpc.trading.stateLive.subscriptionOptions());
  const s = sub.data as TTradingStateView | undefined;
  if (!s)
    return (
      <section className="banner" aria-label="Trading state" aria-busy="true">
        {sub.error ? `Cannot read the trading state: ${sub.error.message}. Reload the page; if it persists, check the console server.` : 'Reading the trading state…'}
      </section>
    );
  return (
    <EmergencyProgressProvider>
      <div className="emergency">
        <StateBanner s={s} />
        <HaltControls state={s.state} role={role} />
        {role === 'admin' && <EmergencyActions />}
        <EmergencyProgressView />
      </div>
    </EmergencyProgressProvider>
  );
}
