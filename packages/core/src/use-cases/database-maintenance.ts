// Database upkeep an operator starts: VACUUM (ANALYZE) or ANALYZE, REINDEX CONCURRENTLY, and ending connections left
// idle. Table by table so a progress bar can follow; none of them blocks readers or writers for long.
import type { TActor, TVacuumResult } from '@ai-trader/contracts';
import { poolStats, quoteIdent, type PgPool, type Progress } from '@ai-trader/db';
import type { Deps } from '../ports.ts';

export class MaintenanceInputError extends Error {}

/** The tables VACUUM and REINDEX work on: ordinary tables and leaf partitions of public (the parents have no rows). */
async function leafTables(pool: PgPool, only?: string): Promise<string[]> {
  const r = await pool.query<{ name: string; parent: string | null }>(
    `SELECT c.relname AS name, p.relname AS parent FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_inherits i ON i.inhrelid = c.oid LEFT JOIN pg_class p ON p.oid = i.inhparent
     WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 1`,
  );
  if (!only) return r.rows.map((x) => x.name);
  const picked = r.rows.filter((x) => x.name === only || x.parent === only).map((x) => x.name);
  if (!picked.length) throw new MaintenanceInputError(`--table ${only}: no such table in the public schema (see ai-trader db sizes)`);
  return picked;
}

async function audit(deps: Pick<Deps, 'prisma' | 'clock' | 'events'>, actor: Pick<TActor, 'id' | 'email'> | undefined, action: string, reason: string, after: object) {
  if (!actor) return;
  await deps.prisma.auditLog.create({ data: { at: deps.clock.now(), actorId: actor.id, actorEmail: actor.email, action, reason, after } });
  await deps.events.publish('audit');
}

/** VACUUM (ANALYZE) — or only ANALYZE — every table (or one, with its partitions). Audited when an actor is given. */
export async function vacuumDatabase(
  deps: Pick<Deps, 'pool' | 'prisma' | 'clock' | 'events' | 'logger'>,
  input: { analyzeOnly?: boolean; table?: string; actor?: Pick<TActor, 'id' | 'email'>; reason?: string; onProgress?: (p: Progress) => void },
): Promise<TVacuumResult> {
  const tables = await leafTables(deps.pool, input.table);
  const command = input.analyzeOnly ? 'ANALYZE' : 'VACUUM (ANALYZE)';
  const started = Date.now();
  for (const [i, t] of tables.entries()) {
    input.onProgress?.({ done: i, total: tables.length, item: t });
    await deps.pool.query(`${command} ${quoteIdent(t)}`);
  }
  input.onProgress?.({ done: tables.length, total: tables.length, item: 'done' });
  const result = { command, tables, ms: Date.now() - started };
  deps.logger.info({ category: 'data', command, tables: tables.length, ms: result.ms }, `${command} of ${tables.length} table(s)`);
  await audit(deps, input.actor, input.analyzeOnly ? 'db.analyze' : 'db.vacuum', input.reason ?? command, { tables: tables.length, table: input.table ?? null, ms: result.ms });
  return result;
}

/** REINDEX TABLE CONCURRENTLY, table by table (writes go on while each index is rebuilt). */
export async function reindexDatabase(
  deps: Pick<Deps, 'pool' | 'prisma' | 'clock' | 'events' | 'logger'>,
  input: { table?: string; actor?: Pick<TActor, 'id' | 'email'>; reason?: string; onProgress?: (p: Progress) => void },
): Promise<{ tables: string[]; ms: number }> {
  const tables = await leafTables(deps.pool, input.table);
  const started = Date.now();
  for (const [i, t] of tables.entries()) {
    input.onProgress?.({ done: i, total: tables.length, item: t });
    await deps.pool.query(`REINDEX TABLE CONCURRENTLY ${quoteIdent(t)}`);
  }
  input.onProgress?.({ done: tables.length, total: tables.length, item: 'done' });
  const result = { tables, ms: Date.now() - started };
  deps.logger.info({ category: 'data', tables: tables.length, ms: result.ms }, `reindexed ${tables.length} table(s)`);
  await audit(deps, input.actor, 'db.reindex', input.reason ?? 'reindex', { tables: tables.length, table: input.table ?? null, ms: result.ms });
  return result;
}

/** "10m", "30s", "1h", "2d" → milliseconds; at least one second. */
export function parseDuration(text: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(text.trim());
  const ms = m ? Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'] : NaN;
  if (!(ms >= 1000)) throw new MaintenanceInputError(`${text}: must be a duration like 30s, 10m or 1h (at least 1s)`);
  return ms;
}

/**
 * Ends the connections to this database that have been idle (or idle inside a transaction, holding its locks) for
 * longer than `idleMs` — not those of this process's own pools (named `ai-trader:<pool>`), whose next query could
 * otherwise race the news of their end. Other pools drop a terminated idle connection and open a new one; ours close
 * idle connections after 10 s anyway, so at the usual limits (10m) only leaks and stuck transactions are hit.
 */
export async function killIdleConnections(
  deps: Pick<Deps, 'pool' | 'prisma' | 'clock' | 'events' | 'logger'>,
  input: { idleMs: number; actor?: Pick<TActor, 'id' | 'email'>; reason?: string },
): Promise<{ killed: Array<{ pid: number; application: string; state: string; idleSeconds: number }> }> {
  const r = await deps.pool.query<{ pid: number; application: string; state: string; secs: number; ok: boolean }>(
    `SELECT pid, application_name AS application, state, extract(epoch FROM now() - state_change)::float8 AS secs, pg_terminate_backend(pid) AS ok
     FROM pg_stat_activity
     WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()
       AND state IN ('idle', 'idle in transaction', 'idle in transaction (aborted)') AND state_change < now() - $1 * interval '1 millisecond'
       AND NOT (application_name = ANY ($2::text[]))`,
    [input.idleMs, poolStats().map((p) => `ai-trader:${p.name}`)],
  );
  const killed = r.rows.filter((x) => x.ok).map((x) => ({ pid: x.pid, application: x.application, state: x.state, idleSeconds: Math.round(x.secs) }));
  if (killed.length) deps.logger.info({ category: 'data', killed }, `ended ${killed.length} idle connection(s)`);
  await audit(deps, input.actor, 'db.kill-idle', input.reason ?? `connections idle longer than ${Math.round(input.idleMs / 1000)} s`, { idleMs: input.idleMs, killed: killed.length });
  return { killed };
}
