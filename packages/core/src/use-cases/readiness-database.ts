// Readiness check 5, database and infrastructure: partitions ahead, the newest backup restored into a scratch database
// with its checksums compared (the expensive one: scheduled), Prometheus targets up and our alert rules loaded, disk
// and Redis memory headroom.
import { readFile, statfs } from 'node:fs/promises';
import path from 'node:path';
import { parseDatabaseUrl, quoteIdent } from '@ai-trader/db';
import { restoreBackup } from './backup-database.ts';
import { partitionStatus } from './database-health.ts';
import { listBackups } from './recover-from-backup.ts';
import { DAY, fail, HOUR, pass, type CheckOutcome, type ReadinessCheck } from './readiness-types.ts';

/** The newest backup must be younger than this: the nightly job is running. */
export const BACKUP_MAX_AGE_HOURS = 48;
const HTTP_TIMEOUT_MS = 5_000;

export const partitionsCheck: ReadinessCheck = {
  id: 'db.partitions',
  group: 'database',
  title: 'Partitions exist N days ahead',
  windowSeconds: DAY,
  scheduled: false,
  remedy: 'run ai-trader db partitions (and check the partitions_ahead job in ai-trader scheduler status)',
  async run(deps) {
    const need = deps.config.READINESS_PARTITION_DAYS_AHEAD;
    const status = await partitionStatus(deps);
    const short = status.filter((t) => t.daysAhead === null || t.daysAhead < need);
    const inDefault = status.filter((t) => t.defaultRows > 0);
    const evidence = {
      daysAheadNeeded: need,
      tables: status.map((t) => `${t.table}: ${t.daysAhead === null ? 'no dated partition' : `${t.daysAhead} days ahead (to ${t.coveredUntil})`}, ${t.defaultRows} rows in DEFAULT`),
    };
    const problems = [
      ...short.map((t) => `${t.table} ${t.daysAhead === null ? 'has no dated partition' : `reaches only ${t.daysAhead} days ahead`}`),
      ...inDefault.map((t) => `${t.table} has ${t.defaultRows} rows in its DEFAULT partition`),
    ];
    if (problems.length) return fail(problems.join('; '), evidence);
    return pass(`every partitioned table (${status.length}) reaches at least ${need} days ahead; DEFAULT partitions empty`, evidence);
  },
};

/** The scratch database a restore test writes into: the main one's name with a suffix, on the same server. */
export function scratchDatabaseUrl(databaseUrl: string): { url: string; name: string } {
  const name = `${parseDatabaseUrl(databaseUrl).database}_restore_check`.slice(0, 63);
  const u = new URL(databaseUrl);
  u.pathname = `/${name}`;
  return { url: u.toString(), name };
}

export const backupRestoreCheck: ReadinessCheck = {
  id: 'db.backup-restore',
  group: 'database',
  title: 'The last backup restores, checksums matching',
  windowSeconds: 2 * DAY,
  scheduled: true,
  remedy: 'make sure the nightly backup job runs (ai-trader db backup by hand), then ai-trader readiness run db.backup-restore',
  async run(deps) {
    const backups = await listBackups(deps);
    const newest = backups.at(-1);
    if (!newest) return fail(`no backup in ${deps.config.BACKUP_DIR}: nothing to restore`, { backupDir: deps.config.BACKUP_DIR, backups: 0 }, 'take one: ai-trader db backup');
    const ageHours = Math.floor((deps.clock.now().getTime() - Date.parse(newest.takenAt)) / 3_600_000);
    const scratch = scratchDatabaseUrl(deps.config.DATABASE_URL);
    const evidence = { backup: path.basename(newest.file), takenAt: newest.takenAt, ageHours, scratchDatabase: scratch.name } as Record<string, string | number | boolean | null>;
    // One restore test at a time (the CLI and the scheduled job share the scratch database): a session lock, held on
    // its own connection for the whole test.
    const lockClient = await deps.pool.connect();
    try {
      const { rows: [l] } = await lockClient.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(hashtext('readiness:restore-check')) AS ok`);
      if (!l!.ok) return fail('another restore test is running now (the scheduled job or another operator)', evidence, 'wait for it, then look at its result');
      const failed = await restoreInto(deps, newest.file, scratch, evidence);
      if (failed) return failed;
    } finally {
      await lockClient.query(`SELECT pg_advisory_unlock(hashtext('readiness:restore-check'))`).catch(() => undefined);
      lockClient.release();
    }
    if (ageHours > BACKUP_MAX_AGE_HOURS)
      return fail(`the newest backup is ${ageHours} h old (more than ${BACKUP_MAX_AGE_HOURS} h): restored fine, but backups are not being taken`, evidence, 'check the backup job: ai-trader scheduler status');
    return pass(`${path.basename(newest.file)} (${ageHours} h old) restored into ${scratch.name}: ${evidence.tables} tables, ${evidence.rows} rows, every table's checksum matched the manifest`, evidence);
  },
};

/** Restores `file` into the scratch database (dropped before and after), its checksums compared; a fail, or null. */
async function restoreInto(deps: Parameters<ReadinessCheck['run']>[0], file: string, scratch: { url: string; name: string }, evidence: Record<string, string | number | boolean | null>): Promise<CheckOutcome | null> {
  const drop = () => deps.pool.query(`DROP DATABASE IF EXISTS ${quoteIdent(scratch.name)} WITH (FORCE)`);
  // A scratch database left by an interrupted test is dropped first: restore refuses a non-empty one.
  await drop();
  try {
    const r = await restoreBackup(deps, { file, databaseUrl: scratch.url });
    Object.assign(evidence, { tables: r.tables, rows: r.rows, checksumsCompared: r.verified });
    if (!r.verified) return fail(`${path.basename(file)} restored, but it has no manifest: its checksums could not be compared`, evidence, 'take a new backup with ai-trader db backup (it writes the manifest)');
    return null;
  } catch (e) {
    return fail(`restoring ${path.basename(file)} into ${scratch.name} failed: ${(e as Error).message}`, evidence);
  } finally {
    await drop().catch((e: Error) => deps.logger.warn({ err: e.message, database: scratch.name }, 'readiness: could not drop the restore-check database'));
  }
}

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
  if (!res.ok) throw new Error(`${new URL(url).pathname} answered HTTP ${res.status}`);
  return res.json();
}

/** The alert names our rules file defines (`- alert: Name` lines). */
export async function alertNamesIn(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  return [...text.matchAll(/^\s*-\s*alert:\s*([A-Za-z0-9_:]+)\s*$/gm)].map((m) => m[1]!);
}

export const prometheusCheck: ReadinessCheck = {
  id: 'infra.prometheus',
  group: 'database',
  title: 'Prometheus targets up and alert rules loaded',
  windowSeconds: HOUR,
  scheduled: false,
  remedy: 'set PROMETHEUS_URL to the Prometheus server that scrapes ai-trader (ops/prometheus.yml) and load ops/alerts.yml into it',
  async run(deps, env) {
    const base = deps.config.PROMETHEUS_URL;
    if (!base) return fail('PROMETHEUS_URL is not set: nobody is known to watch this system', { prometheusUrl: null });
    const evidence = { prometheusUrl: new URL(base).origin } as Record<string, string | number | boolean | null | string[]>;
    let targets: { health?: string; labels?: Record<string, string>; scrapeUrl?: string; lastError?: string }[];
    let groups: { rules?: { type?: string; name?: string; health?: string }[] }[];
    try {
      targets = ((await getJson(new URL('/api/v1/targets', base).toString())) as { data?: { activeTargets?: typeof targets } }).data?.activeTargets ?? [];
      groups = ((await getJson(new URL('/api/v1/rules', base).toString())) as { data?: { groups?: typeof groups } }).data?.groups ?? [];
    } catch (e) {
      return fail(`Prometheus at ${evidence.prometheusUrl} cannot be asked: ${(e as Error).message}`, evidence);
    }
    const down = targets.filter((t) => t.health !== 'up');
    const loaded = new Set(groups.flatMap((g) => g.rules ?? []).filter((r) => r.type === 'alerting').map((r) => r.name!));
    const wanted = await alertNamesIn(env.alertsFile);
    const missing = wanted.filter((n) => !loaded.has(n));
    Object.assign(evidence, {
      targets: targets.length, targetsDown: down.map((t) => `${t.labels?.job ?? '?'} ${t.scrapeUrl ?? ''}: ${t.health ?? 'unknown'}${t.lastError ? ` (${t.lastError})` : ''}`),
      alertRulesLoaded: loaded.size, alertRulesMissing: missing,
    });
    const problems: string[] = [];
    if (!targets.length) problems.push('Prometheus has no active target');
    if (down.length) problems.push(`${down.length} of ${targets.length} target(s) not up`);
    if (missing.length) problems.push(`${missing.length} of ${wanted.length} alert rule(s) of ${path.basename(env.alertsFile)} not loaded (${missing.slice(0, 5).join(', ')})`);
    if (problems.length) return fail(problems.join('; '), evidence);
    return pass(`${targets.length} target(s) up; all ${wanted.length} alert rules of ${path.basename(env.alertsFile)} loaded`, evidence);
  },
};

/** The nearest existing directory at or above `dir` (BACKUP_DIR may not exist yet). */
async function existingDir(dir: string): Promise<string> {
  let d = path.resolve(dir);
  for (;;) {
    try {
      await statfs(d);
      return d;
    } catch {
      const up = path.dirname(d);
      if (up === d) return d;
      d = up;
    }
  }
}

export const headroomCheck: ReadinessCheck = {
  id: 'infra.headroom',
  group: 'database',
  title: 'Disk and Redis memory headroom',
  windowSeconds: HOUR,
  scheduled: false,
  remedy: 'free disk space where backups are written (or move BACKUP_DIR), and give Redis more maxmemory or trim what it keeps',
  async run(deps) {
    const c = deps.config;
    const dir = await existingDir(c.BACKUP_DIR);
    const fs = await statfs(dir);
    const freePct = Math.round((Number(fs.bavail) / Number(fs.blocks)) * 1000) / 10;
    const info = await deps.redis.info('memory');
    const field = (k: string) => Number(new RegExp(`^${k}:(\\d+)`, 'm').exec(info)?.[1] ?? NaN);
    const used = field('used_memory');
    const max = field('maxmemory') || field('total_system_memory');
    const redisPct = max > 0 ? (used / max) * 100 : NaN; // compared unrounded, shown to 0.01 %
    const evidence = {
      disk: dir, diskFreePct: freePct, diskFreeGb: Math.round((Number(fs.bavail) * Number(fs.bsize)) / 1e8) / 10, minDiskFreePct: c.READINESS_MIN_DISK_FREE_PCT,
      redisUsedMb: Math.round(used / 1e5) / 10, redisLimitMb: Number.isFinite(max) ? Math.round(max / 1e5) / 10 : null, redisUsedPct: Number.isFinite(redisPct) ? Math.round(redisPct * 100) / 100 : null,
      maxRedisMemoryPct: c.READINESS_MAX_REDIS_MEMORY_PCT,
    };
    const problems: string[] = [];
    if (freePct < c.READINESS_MIN_DISK_FREE_PCT) problems.push(`${dir}: ${freePct} % free, below ${c.READINESS_MIN_DISK_FREE_PCT} %`);
    if (!Number.isFinite(redisPct)) problems.push('Redis did not say its memory use and limit (INFO memory)');
    else if (redisPct > c.READINESS_MAX_REDIS_MEMORY_PCT) problems.push(`Redis uses ${evidence.redisUsedPct} % of its memory limit, above ${c.READINESS_MAX_REDIS_MEMORY_PCT} %`);
    if (problems.length) return fail(problems.join('; '), evidence);
    return pass(`disk ${freePct} % free; Redis at ${evidence.redisUsedPct} % of its memory limit`, evidence);
  },
};
