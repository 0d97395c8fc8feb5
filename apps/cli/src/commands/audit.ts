// `ai-trader audit`: the runbook's audit commands. `verify` walks the hash chain (exit 3 when it is broken) and
// keeps the result for the console; `trades` lists order decisions and orders of a date range with their audit
// trail; `api-usage` the provider requests per key and day; `auth` sign-ins, failures and sign-outs.
import { alpacaKeyHash, polygonKeyHash } from '@ai-trader/adapters';
import { ZAuditHead, ZDay, type TAuditRow, type TAuditVerification } from '@ai-trader/contracts';
import { activeCredentials, apiUsage, auditTrades, authEvents, verifyAndRecordAuditChain, type ApiUsageRow } from '@ai-trader/core';
import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { CliError, cliActor, type CliContext } from '../context.ts';

/** Exit code of `audit verify` when the chain is broken (1 stays "could not run"). */
export const CHAIN_BROKEN_EXIT = 3;

const count = (n: number) => n.toLocaleString('en-US');

function positiveInt(flag: string, v: string, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new CliError(`${flag} ${v}: must be a whole number from 1 to ${max}`, 2);
  return n;
}

function day(flag: string, v: string): string {
  if (!ZDay.safeParse(v).success || Number.isNaN(Date.parse(`${v}T00:00:00Z`))) throw new CliError(`${flag} ${v}: must be a date like 2025-06-04`, 2);
  return v;
}

const who = (r: TAuditRow) => `${r.actorEmail}${r.reason ? `: ${r.reason}` : ''}`;

export function printVerification(v: TAuditVerification): void {
  const took = `${(v.durationMs / 1000).toFixed(1)} s, ${count(v.rowsPerSecond)} rows/s`;
  if (v.intact) console.log(`intact: ${count(v.rows)} rows, every hash recomputed (${took})`);
  else {
    console.log(`BROKEN: ${v.breakCount} break${v.breakCount === 1 ? '' : 's'} in ${count(v.rows)} rows, the first at seq ${v.firstBreak!.seq} (${took})`);
    for (const b of v.breaks) console.log(`  seq ${b.seq.padStart(8)}  ${b.kind.padEnd(13)}  ${b.detail}`);
    if (v.breakCount > v.breaks.length) console.log(`  … and ${v.breakCount - v.breaks.length} more`);
  }
  if (v.head) {
    console.log(`head: seq ${v.head.seq} hash ${v.head.hash}`);
    console.log(`  keep this line outside the database; later \`ai-trader audit verify --head ${v.head.seq}:${v.head.hash}\` proves nothing up to it was rewritten or removed`);
  } else console.log('the audit log is empty');
}

function printUsage(days: string[], rows: ApiUsageRow[], configured: Map<string, string>): void {
  const keys = [...new Map(rows.map((r) => [`${r.provider}:${r.keyHash}`, r])).values()];
  for (const [id, provider] of configured) if (!keys.some((k) => `${k.provider}:${k.keyHash}` === id)) keys.push({ provider, keyHash: id.split(':')[1]!, day: '', requests: 0 });
  console.log(`API requests per provider key and UTC day (keys as the first 12 hex of their sha256):`);
  console.log(['provider'.padEnd(9), 'key'.padEnd(26), ...days.map((d) => d.padStart(10))].join(' '));
  for (const k of keys) {
    const id = `${k.provider}:${k.keyHash}`;
    const cells = days.map((d) => {
      const r = rows.find((x) => x.provider === k.provider && x.keyHash === k.keyHash && x.day === d);
      return (r ? count(r.requests) : '—').padStart(10);
    });
    console.log([k.provider.padEnd(9), `${k.keyHash}${configured.has(id) ? ' (configured)' : ''}`.padEnd(26), ...cells].join(' '));
  }
  if (!keys.length) console.log('  no provider requests counted in these days');
  console.log('— : no counter for that day (no request, or expired: the Polygon client keeps its daily counters 3 days)');
}

export function registerAudit(program: Command, ctx: () => CliContext) {
  const audit = program.command('audit').description('the audit trail: verify the hash chain, trades, API usage, auth events');

  audit
    .command('verify')
    .description(`recompute every hash of the audit chain and say where it breaks (exit ${CHAIN_BROKEN_EXIT} if it does)`)
    .option('--head <seq:hash>', 'a head printed by an earlier verify: it must still be in the chain, unchanged')
    .option('--json', 'print JSON')
    .action(async (o: { head?: string; json?: boolean }) => {
      let head: { seq: string; hash: string } | undefined;
      if (o.head !== undefined) {
        const h = ZAuditHead.safeParse(o.head);
        if (!h.success) throw new CliError(`--head ${o.head}: ${h.error.issues[0]!.message}`, 2);
        head = h.data;
      }
      const bar = o.json ? null : new SingleBar({ format: 'verifying [{bar}] {percentage}% | {value}/{total} rows', hideCursor: true, noTTYOutput: true, notTTYSchedule: 2000 }, Presets.shades_classic);
      let started = false;
      let v: TAuditVerification;
      try {
        v = await verifyAndRecordAuditChain(ctx().runtime().deps, {
          head, verifiedBy: cliActor().email,
          onProgress: ({ rows, total }) => {
            if (!bar) return;
            if (!started) bar.start(total, 0);
            started = true;
            bar.setTotal(total);
            bar.update(rows);
          },
        });
      } finally {
        bar?.stop();
      }
      if (o.json) console.log(JSON.stringify(v, null, 2));
      else printVerification(v);
      if (!v.intact) process.exitCode = CHAIN_BROKEN_EXIT;
    });

  audit
    .command('trades')
    .description('order decisions (denied or approved), their orders and the audit rows about them, over New York dates')
    .requiredOption('--start-date <date>', 'first New York date, e.g. 2025-06-04')
    .option('--end-date <date>', 'last New York date (default: the start date)')
    .option('--limit <n>', 'at most this many decisions (the newest)', '5000')
    .option('--json', 'print JSON')
    .action(async (o: { startDate: string; endDate?: string; limit: string; json?: boolean }) => {
      const from = day('--start-date', o.startDate);
      const to = day('--end-date', o.endDate ?? o.startDate);
      if (to < from) throw new CliError(`--end-date ${to} is before --start-date ${from}`, 2);
      const r = await auditTrades(ctx().runtime().deps, { from, to, limit: positiveInt('--limit', o.limit, 100_000) });
      if (o.json) return console.log(JSON.stringify(r, null, 2));
      const by = new Map<string, number>();
      for (const d of r.decisions) by.set(d.status, (by.get(d.status) ?? 0) + 1);
      console.log(`order decisions ${from}${to === from ? '' : ` … ${to}`} (New York): ${r.decisions.length}${r.truncated ? ' (the newest; more exist: narrow the dates or raise --limit)' : ''}${by.size ? ` — ${[...by].map(([s, n]) => `${n} ${s}`).join(', ')}` : ''}`);
      for (const d of r.decisions) {
        const order = d.order ? `  ${d.order.clientOrderId} at ${d.order.broker}: filled ${d.order.filledQty}${d.order.avgFillPrice ? ` @ ${d.order.avgFillPrice}` : ''}` : '';
        const why = d.why ? `  ${d.why.kind}${d.why.code ? ` ${d.why.code}` : ''}: ${d.why.message}` : '';
        console.log(`  ${d.at}  ${d.strategy}  ${d.side} ${d.qty ?? '—'} ${d.symbol} @ ${d.refPrice}  ${d.status}${order}${why}`);
        for (const a of d.audit) console.log(`      audit seq ${a.seq} ${a.at} ${a.action} by ${who(a)}`);
      }
      console.log(`operator and system actions: ${r.actions.length || 'none'}`);
      for (const a of r.actions) console.log(`  seq ${a.seq} ${a.at} ${a.action} by ${who(a)}`);
    });

  audit
    .command('api-usage')
    .description('provider API requests per key and UTC day')
    .option('--days <n>', 'days back, today included', '7')
    .option('--json', 'print JSON')
    .action(async (o: { days: string; json?: boolean }) => {
      const c = ctx();
      const r = await apiUsage(c.runtime().deps, { days: positiveInt('--days', o.days, 366) });
      // The keys in use now: the stored active key of each provider, else the environment's.
      const configured = new Map<string, string>();
      for (const provider of ['alpaca', 'polygon'] as const) {
        const a = await activeCredentials(c.runtime().deps, provider).catch(() => null);
        if (a) configured.set(`${provider}:${a.secret.provider === 'alpaca' ? alpacaKeyHash(a.secret.keyId) : polygonKeyHash(a.secret.apiKey)}`, provider);
      }
      if (o.json) return console.log(JSON.stringify({ ...r, configuredKeys: [...configured.keys()] }, null, 2));
      printUsage(r.days, r.rows, configured);
    });

  audit
    .command('auth')
    .description('sign-ins, failed sign-ins and sign-outs, newest first')
    .option('--days <n>', 'days back', '7')
    .option('--actor <email>', 'only emails starting with this')
    .option('--limit <n>', 'at most this many events', '200')
    .option('--json', 'print JSON')
    .action(async (o: { days: string; actor?: string; limit: string; json?: boolean }) => {
      const rows = await authEvents(ctx().runtime().deps, { days: positiveInt('--days', o.days, 3660), limit: positiveInt('--limit', o.limit, 100_000), actor: o.actor });
      if (o.json) return console.log(JSON.stringify(rows, null, 2));
      if (!rows.length) return console.log(`no auth events in the last ${o.days} days`);
      for (const r of rows) {
        const c = r.after as { ip?: string | null; userAgent?: string | null } | null;
        console.log(`${r.at}  ${r.action.padEnd(19)} ${r.actorEmail}${r.reason ? `  ${r.reason}` : ''}${c?.ip ? `  from ${c.ip}` : ''}`);
      }
    });
}
