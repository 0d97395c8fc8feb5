// Readiness check 4, integration: the last multi-symbol replay of stored bars through the live decision path (a
// backtest run) succeeded, and the last restart recovery (`ai-trader recover system`) was clean with a clean
// reconciliation after it.
import type { Deps } from '../ports.ts';
import { lastReconciliation } from './reconcile.ts';
import { DAY, fail, pass, type ReadinessCheck } from './readiness-types.ts';

export const replayCheck: ReadinessCheck = {
  id: 'integration.replay',
  group: 'integration',
  title: 'Last end-to-end replay (multi-symbol) passed',
  windowSeconds: 7 * DAY,
  scheduled: false,
  remedy: 'run a multi-symbol replay through the decision path: ai-trader backtest --strategy NAME --symbols SPY,QQQ --from … --to …',
  async run(deps: Deps) {
    const { rows } = await deps.pool.query<{ id: string; strategy: string; symbols: string[]; status: string; error: string | null; startedAt: Date; finishedAt: Date | null; fromDate: string; toDate: string; multi: boolean }>(
      `(SELECT id, strategy, symbols, status::text, error, "startedAt", "finishedAt", "fromDate", "toDate", true AS multi FROM backtest_runs
         WHERE status IN ('succeeded', 'failed') AND cardinality(symbols) >= 2 ORDER BY "startedAt" DESC LIMIT 1)
       UNION ALL
       (SELECT id, strategy, symbols, status::text, error, "startedAt", "finishedAt", "fromDate", "toDate", false FROM backtest_runs
         WHERE status IN ('succeeded', 'failed') ORDER BY "startedAt" DESC LIMIT 1)`,
    );
    // The newest multi-symbol run counts; a newer single-symbol one does not replace it.
    const multi = rows.find((r) => r.multi);
    if (!multi) return fail(rows.length ? `no multi-symbol replay run is stored (the newest replayed ${rows[0]!.symbols.join(', ')} only)` : 'no finished replay run is stored', { runs: rows.length });
    const evidence = {
      run: multi.id, strategy: multi.strategy, symbols: multi.symbols, days: `${multi.fromDate} to ${multi.toDate}`, status: multi.status,
      finishedAt: multi.finishedAt?.toISOString() ?? null, error: multi.error,
    };
    const at = (multi.finishedAt ?? multi.startedAt).toISOString();
    if (multi.status !== 'succeeded') return fail(`the last multi-symbol replay (${at}) failed: ${multi.error ?? 'no error recorded'}`, evidence);
    return pass(`replay of ${multi.symbols.length} symbols (${multi.fromDate} to ${multi.toDate}) succeeded at ${at}`, evidence);
  },
};

export const restartCheck: ReadinessCheck = {
  id: 'integration.restart',
  group: 'integration',
  title: 'Restart recovery verified (clean, reconciliation clean after it)',
  windowSeconds: 7 * DAY,
  scheduled: false,
  remedy: 'stop the workers (Ctrl-C / SIGTERM), run ai-trader recover system --reason "restart drill", start them again and let reconciliation pass',
  async run(deps: Deps) {
    const last = await deps.prisma.auditLog.findFirst({ where: { action: { in: ['recover.system', 'recover.from-backup'] } }, orderBy: { seq: 'desc' } });
    if (!last) return fail('no restart recovery on record (ai-trader recover system was never run)', { recoveries: 0 });
    const after = (last.after ?? {}) as { ok?: boolean; steps?: { name: string; status: string }[] };
    const rec = await lastReconciliation(deps);
    const evidence = {
      recovery: `${last.action} at ${last.at.toISOString()} by ${last.actorEmail}`, recoveryOk: after.ok ?? null,
      steps: (after.steps ?? []).map((s) => `${s.name}: ${s.status}`),
      reconciliation: rec ? `${rec.at}: ${rec.clean ? 'clean' : `${rec.drift.length} confirmed, ${rec.suspect.length} suspect difference(s)`}` : null,
    };
    if (after.ok !== true) return fail(`the last recovery (${last.at.toISOString()}) did not finish cleanly`, evidence);
    if (!rec) return fail('no reconciliation pass after the recovery: is the broker role running?', evidence);
    if (Date.parse(rec.at) < last.at.getTime()) return fail(`the last reconciliation (${rec.at}) is older than the recovery (${last.at.toISOString()})`, evidence);
    if (!rec.clean) return fail(`reconciliation after the recovery is not clean: ${rec.drift.length} confirmed, ${rec.suspect.length} suspect difference(s)`, evidence);
    return pass(`recovered cleanly at ${last.at.toISOString()}; reconciliation clean at ${rec.at}`, evidence);
  },
};
