// Alerts: what an operator must know about now. One open alert per key (raising it again counts and
// refreshes it; nothing floods), resolved when the condition clears; every episode stays in the table.
// Raising logs at the alert's level, pushes a live event and queues the delivery to the configured sinks
// (webhook, Slack, e-mail; see deliver-alert.ts) when the delivery policy says so.
import type { Deps } from '../ports.ts';
import { queueAlertDelivery } from './deliver-alert.ts';

export type AlertLevel = 'info' | 'warning' | 'critical';

export interface RaiseAlert {
  key: string;
  level: AlertLevel;
  source: string;
  message: string;
  details?: Record<string, unknown>;
}

export interface AlertView {
  id: string;
  key: string;
  level: AlertLevel;
  source: string;
  message: string;
  count: number;
  firstAt: string;
  lastAt: string;
  resolvedAt: string | null;
  resolution: string | null;
}

/** What raising an alert needs: the row (Postgres), the live event, and the delivery queue (Redis, jobs). */
export type AlertDeps = Pick<Deps, 'prisma' | 'logger' | 'events' | 'clock' | 'config' | 'redis' | 'jobs'>;

/**
 * Opens the alert for `key`, or bumps the open one. Returns whether it was newly opened, its count, and whether a
 * delivery to the sinks was queued. `callerReports` (`sendAlert`): the caller delivers at once and shows the outcome to
 * the person who asked, so nothing is queued and the raise is logged at info rather than at the alert's level.
 */
export async function raiseAlert(deps: AlertDeps, a: RaiseAlert, opts: { callerReports?: boolean } = {}): Promise<{ opened: boolean; id: string; count: number; queued: boolean }> {
  const now = deps.clock.now();
  // One statement, so two processes raising the same key at once still leave one open alert.
  const rows = await deps.prisma.$queryRaw<{ id: string; count: number }[]>`
    INSERT INTO alerts (id, key, "openKey", level, source, message, details, "firstAt", "lastAt")
    VALUES (gen_random_uuid(), ${a.key}, ${a.key}, ${a.level}::"AlertLevel", ${a.source}, ${a.message}, ${a.details ? JSON.stringify(a.details) : null}::jsonb, ${now}, ${now})
    ON CONFLICT ("openKey") DO UPDATE SET count = alerts.count + 1, "lastAt" = EXCLUDED."lastAt", message = EXCLUDED.message,
      level = EXCLUDED.level, details = EXCLUDED.details
    RETURNING id::text, count`;
  const row = rows[0]!;
  const opened = row.count === 1;
  if (opened) {
    const log = opts.callerReports ? deps.logger.info.bind(deps.logger) : a.level === 'critical' ? deps.logger.error.bind(deps.logger) : a.level === 'warning' ? deps.logger.warn.bind(deps.logger) : deps.logger.info.bind(deps.logger);
    log({ alert: a.key, source: a.source, level: a.level, ...a.details }, `ALERT ${a.message}`);
    await deps.events.publish('alert');
  }
  const queued = opts.callerReports ? false : await queueAlertDelivery(deps, { alertId: row.id, key: a.key, level: a.level, source: a.source, message: a.message, count: row.count, at: now.toISOString(), details: jsonDetails(a.details) }, opened);
  return { opened, id: row.id, count: row.count, queued };
}

/** Details as they were stored (JSON), so a job payload holds the same plain values as the row. */
const jsonDetails = (d: Record<string, unknown> | undefined): Record<string, unknown> | null => (d ? (JSON.parse(JSON.stringify(d)) as Record<string, unknown>) : null);

/** Closes the open alert for `key`, if any. Returns whether one was open. */
export async function resolveAlert(deps: Pick<Deps, 'prisma' | 'logger' | 'events' | 'clock'>, key: string, resolution: string): Promise<boolean> {
  const r = await deps.prisma.alert.updateMany({ where: { openKey: key }, data: { openKey: null, resolvedAt: deps.clock.now(), resolution } });
  if (r.count) {
    deps.logger.info({ alert: key, resolution }, `alert resolved: ${key}`);
    await deps.events.publish('alert');
  }
  return r.count > 0;
}

/** Open alerts first (critical before warning before info, newest first), then recent resolved ones. */
export async function listAlerts(deps: Pick<Deps, 'prisma'>, input: { open?: boolean; limit: number; keyPrefix?: string }): Promise<AlertView[]> {
  const rows = await deps.prisma.alert.findMany({
    where: { ...(input.open === undefined ? {} : input.open ? { openKey: { not: null } } : { openKey: null }), ...(input.keyPrefix ? { key: { startsWith: input.keyPrefix } } : {}) },
    orderBy: [{ resolvedAt: { sort: 'desc', nulls: 'first' } }, { lastAt: 'desc' }],
    take: input.limit,
  });
  const rank = { critical: 0, warning: 1, info: 2 } as const;
  return rows
    .map((r) => ({
      id: r.id, key: r.key, level: r.level, source: r.source, message: r.message, count: r.count,
      firstAt: r.firstAt.toISOString(), lastAt: r.lastAt.toISOString(), resolvedAt: r.resolvedAt?.toISOString() ?? null, resolution: r.resolution,
    }))
    .sort((a, b) => Number(a.resolvedAt !== null) - Number(b.resolvedAt !== null) || (a.resolvedAt === null ? rank[a.level] - rank[b.level] : 0));
}
