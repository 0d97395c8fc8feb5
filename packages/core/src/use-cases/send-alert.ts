// An operator's alert (`ai-trader alert send`): raised on the console like any other, then delivered at once from
// this process so the operator sees each sink's answer; whatever failed is handed to the workers' queue, which keeps
// trying with backoff. It goes out whatever ALERT_MIN_LEVEL and ALERT_REPEAT_MINUTES say: someone asked for it.
// When the console's store (Postgres) cannot take it, the sinks are still tried: that may be the emergency itself.
import { randomUUID } from 'node:crypto';
import type { TAlertDelivery, TAlertSendResult } from '@ai-trader/contracts';
import type { Deps } from '../ports.ts';
import { raiseAlert, type RaiseAlert } from './alerts.ts';
import { deliverAlert, secretScrubber } from './deliver-alert.ts';

export async function sendAlert(deps: Pick<Deps, 'prisma' | 'logger' | 'events' | 'clock' | 'config' | 'redis' | 'jobs' | 'alertSinks'>, a: RaiseAlert): Promise<TAlertSendResult> {
  let raised: { id: string; opened: boolean; count: number } | null = null;
  let consoleError: string | null = null;
  try {
    raised = await raiseAlert(deps, a, { callerReports: true });
  } catch (e) {
    consoleError = secretScrubber(deps.config)((e instanceof Error ? e.message : String(e)).split('\n').filter(Boolean).at(-1) ?? 'unknown error');
    deps.logger.info({ alert: a.key, err: consoleError }, 'alert not stored for the console; sending to the sinks anyway');
  }
  const delivery: TAlertDelivery = {
    alertId: raised?.id ?? randomUUID(), key: a.key, level: a.level, source: a.source, message: a.message, count: raised?.count ?? 1,
    at: deps.clock.now().toISOString(), details: a.details ?? null,
  };
  const { results } = await deliverAlert(deps, delivery, { isLastAttempt: false, callerReports: true });
  const pending = results.filter((r) => r.status === 'failed' && r.willRetry);
  if (pending.length) {
    try {
      await deps.jobs.add('alerts.deliver', delivery); // the job skips the sinks that took it
    } catch (e) {
      deps.logger.info({ alert: a.key, err: (e as Error).message }, 'alert delivery retry could not be queued');
      for (const r of pending) r.willRetry = false;
    }
  }
  const configured = results.filter((r) => r.status !== 'not_configured');
  const allFailed = configured.length > 0 && configured.every((r) => r.status === 'failed');
  return {
    alert: {
      id: delivery.alertId, key: a.key, level: a.level, source: a.source, opened: raised?.opened ?? false, count: delivery.count,
      console: raised ? 'raised' : 'failed', consoleError,
    },
    sinks: results,
    allFailed,
    nobodyTookIt: !raised && (allFailed || !configured.length),
  };
}
