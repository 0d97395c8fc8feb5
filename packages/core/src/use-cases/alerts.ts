// Alerts: what an operator must know about now. One open alert per key (raising it again counts and
// refreshes it; nothing floods), resolved when the condition clears; every episode stays in the table.
// Raising logs at the alert's level and pushes a live event; sinks (webhook, e-mail, Slack) hang off here.
import type { Deps } from '../ports.ts';

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

type AlertDeps = Pick<Deps, 'prisma' | 'logger' | 'events' | 'clock'>;

/** Opens the alert for `key`, or bumps the open one. Returns whether it was newly opened. */
export async function raiseAlert(deps: AlertDeps, a: RaiseAlert): Promise<{ opened: boolean; id: string }> {
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
    const log = a.level === 'critical' ? deps.logger.error.bind(deps.logger) : a.level === 'warning' ? deps.logger.warn.bind(deps.logger) : deps.logger.info.bind(deps.logger);
    log({ alert: a.key, source: a.source, level: a.level, ...a.details }, `ALERT ${a.message}`);
    await deps.events.publish('alert');
  }
  return { opened, id: row.id };
}

/** Closes the open alert for `key`, if any. Returns whether one was open. */
export async function resolveAlert(deps: AlertDeps, key: string, resolution: string): Promise<boolean> {
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
