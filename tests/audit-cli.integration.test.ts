// `ai-trader audit …` as a process: verify (exit 0 intact, 3 broken, with the break's seq; the head to record;
// --head catching a cut tail), trades (decisions with their audit trail over New York dates), api-usage (the
// provider counters in Redis per key and day) and auth; bad input is one line with exit 2.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { polygonKeyHash } from '@ai-trader/adapters';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { auditChainStatus } from '@ai-trader/core';
import { runCli } from './helpers/processes.ts';

const POLYGON_KEY = 'pk_test_audit_cli_0123456789';

describe('ai-trader audit', () => {
  let rt: TestRuntime;
  let env: Record<string, string>;
  const cli = (...args: string[]) => runCli(['audit', ...args], env);
  const tamper = async (sql: string) => {
    const c = new pg.Client({ connectionString: rt.config.DATABASE_URL });
    await c.connect();
    try {
      await c.query('SET session_replication_role = replica');
      await c.query(sql);
    } finally {
      await c.end();
    }
  };

  beforeAll(async () => {
    rt = await createTestRuntime('auditcli');
    env = { DATABASE_URL: rt.config.DATABASE_URL, REDIS_URL: rt.config.REDIS_URL, REDIS_PREFIX: rt.config.REDIS_PREFIX, LOG_LEVEL: 'warn', POLYGON_API_KEY: POLYGON_KEY };
    const p = rt.deps.prisma;
    // One denied decision and one filled order on 2025-06-04 (New York), a cancel request naming the order, a HALT.
    const sig = (side: 'BUY' | 'SELL', min: number) =>
      p.signal.create({ data: { strategy: 'ma-cross-5-20', symbol: 'SPY', barTs: new Date(Date.UTC(2025, 5, 4, 14, min)), side, price: '530.10', detail: {} } });
    const denied = await sig('BUY', 0);
    await p.riskDecision.create({ data: { signalId: denied.id, outcome: 'DENIED', reasonCode: 'max_position', message: 'position limit reached', createdAt: new Date('2025-06-04T14:00:01Z') } });
    const ok = await sig('SELL', 5);
    const d = await p.riskDecision.create({ data: { signalId: ok.id, outcome: 'APPROVED', message: 'ok', createdAt: new Date('2025-06-04T14:05:01Z') } });
    const i = await p.orderIntent.create({ data: { riskDecisionId: d.id, symbol: 'SPY', side: 'SELL', qty: '10', refPrice: '530.10', isEntry: false, status: 'SUBMITTED', createdAt: new Date('2025-06-04T14:05:01Z') } });
    await p.order.create({ data: { intentId: i.id, clientOrderId: 'ait-cli-test-order', broker: 'sim', symbol: 'SPY', side: 'SELL', qty: '10', filledQty: '10', avgFillPrice: '530.25', status: 'filled', submittedAt: new Date('2025-06-04T14:05:02Z') } });
    await p.auditLog.create({ data: { at: new Date('2025-06-04T14:05:03Z'), actorEmail: 'ops@example.com', action: 'order.cancel', reason: 'too late', after: { clientOrderId: 'ait-cli-test-order', result: 'not_open' } } });
    await p.auditLog.create({ data: { at: new Date('2025-06-04T15:00:00Z'), actorEmail: 'ops@example.com', action: 'trading.halt', reason: 'desk says stop' } });
    await p.auditLog.create({ data: { at: new Date('2025-06-06T15:00:00Z'), actorEmail: 'ops@example.com', action: 'trading.resume', reason: 'another day' } });
    await p.auditLog.create({ data: { actorEmail: 'ops@example.com', action: 'auth.sign-in-failed', reason: '401 INVALID_EMAIL_OR_PASSWORD', after: { ip: '203.0.113.7', userAgent: 'x' } } });
    await p.auditLog.create({ data: { actorId: 'u1', actorEmail: 'ops@example.com', action: 'auth.sign-in', after: { ip: '203.0.113.7', userAgent: 'x' } } });
  });
  afterAll(async () => {
    await rt?.cleanup();
  });

  it('verify: intact, prints the head to record and keeps the result for the console', async () => {
    const r = await cli('verify');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^intact: 5 rows, every hash recomputed \(\d+\.\d s, [\d,]+ rows\/s\)$/m);
    expect(r.stdout).toMatch(/^head: seq 5 hash [0-9a-f]{64}$/m);
    expect((await auditChainStatus(rt.deps)).last).toMatchObject({ intact: true, verifiedBy: expect.stringMatching(/^cli:/) });
    const json = JSON.parse((await cli('verify', '--json')).stdout);
    expect(json).toMatchObject({ rows: 5, intact: true, breaks: [], head: { seq: '5' } });
  });

  it('trades: the decisions of the New York dates with their audit trail, and the operator actions', async () => {
    const r = await cli('trades', '--start-date', '2025-06-04');
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('order decisions 2025-06-04 (New York): 2 — 1 denied, 1 filled');
    expect(lines[1]).toMatch(/^ {2}2025-06-04T14:00:01\.000Z {2}ma-cross-5-20 {2}BUY — SPY @ 530\.1 {2}denied {2}denied max_position: position limit reached$/);
    expect(lines[2]).toMatch(/^ {2}2025-06-04T14:05:01\.000Z {2}ma-cross-5-20 {2}SELL 10 SPY @ 530\.1 {2}filled {2}ait-cli-test-order at sim: filled 10 @ 530\.25$/);
    expect(lines[3]).toBe('      audit seq 1 2025-06-04T14:05:03.000Z order.cancel by ops@example.com: too late');
    expect(lines[4]).toBe('operator and system actions: 1');
    expect(lines[5]).toBe('  seq 2 2025-06-04T15:00:00.000Z trading.halt by ops@example.com: desk says stop');
    const wide = JSON.parse((await cli('trades', '--start-date', '2025-06-04', '--end-date', '2025-06-06', '--json')).stdout);
    expect(wide.actions.map((a: { action: string }) => a.action)).toEqual(['trading.halt', 'trading.resume']);
    expect(wide.decisions[1].audit[0]).toMatchObject({ action: 'order.cancel', reason: 'too late' });
  });

  it('api-usage: requests per provider key and UTC day from the Redis counters', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const h = polygonKeyHash(POLYGON_KEY);
    await rt.deps.redis.set(`${rt.config.REDIS_PREFIX}:polygon:usage:${h}:${today}`, '1234');
    await rt.deps.redis.set(`${rt.config.REDIS_PREFIX}:polygon:usage:${h}:${yesterday}`, '56');
    await rt.deps.redis.set(`${rt.config.REDIS_PREFIX}:polygon:usage:0123456789ab:${today}`, '7'); // another (older) key
    await rt.deps.redis.set(`${rt.config.REDIS_PREFIX}:polygon:usage:${h}:2000-01-01`, '9'); // outside the days asked
    const r = await cli('api-usage', '--days', '3');
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[1]).toMatch(new RegExp(`^provider +key +${today} +${yesterday} +\\d{4}-\\d\\d-\\d\\d$`));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^polygon +${h} \\(configured\\) +1,234 +56 +—$`)));
    expect(lines).toContainEqual(expect.stringMatching(/^polygon +0123456789ab +7 +— +—$/));
    const json = JSON.parse((await cli('api-usage', '--days', '2', '--json')).stdout);
    expect(json.rows).toEqual([
      { provider: 'polygon', keyHash: '0123456789ab', day: today, requests: 7 },
      { provider: 'polygon', keyHash: h, day: today, requests: 1234 },
      { provider: 'polygon', keyHash: h, day: yesterday, requests: 56 },
    ].sort((a, b) => a.keyHash.localeCompare(b.keyHash) || b.day.localeCompare(a.day)));
    expect(JSON.stringify(json)).not.toContain(POLYGON_KEY);
  });

  it('auth: sign-ins and failures, newest first', async () => {
    const r = await cli('auth', '--days', '1');
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\S+Z {2}auth\.sign-in {8}ops@example\.com {2}from 203\.0\.113\.7$/);
    expect(lines[1]).toMatch(/^\S+Z {2}auth\.sign-in-failed {1}ops@example\.com {2}401 INVALID_EMAIL_OR_PASSWORD {2}from 203\.0\.113\.7$/);
  });

  it('refuses bad input in one line (exit 2)', async () => {
    for (const [args, msg] of [
      [['trades'], "error: required option '--start-date <date>' not specified"],
      [['trades', '--start-date', '2025-13-01'], '--start-date 2025-13-01: must be a date like 2025-06-04'],
      [['trades', '--start-date', '2025-06-05', '--end-date', '2025-06-04'], '--end-date 2025-06-04 is before --start-date 2025-06-05'],
      [['api-usage', '--days', '0'], '--days 0: must be a whole number from 1 to 366'],
      [['verify', '--head', '12:abc'], '--head 12:abc: must be SEQ:HASH as printed by a previous verify, e.g. 1042:9f86d0…'],
    ] as const) {
      const r = await cli(...args);
      expect(r.stderr.trim().split('\n')[0], args.join(' ')).toBe(msg); // commander adds the usage after its own errors
      expect(r.status, args.join(' ')).toBe(2); // commander's usage errors too
    }
  });

  it('verify: exit 3 naming the seq of a changed row and of a gap; --head catches a cut tail', async () => {
    const head = /^head: seq (\d+) hash ([0-9a-f]{64})$/m.exec((await cli('verify')).stdout)!;
    await tamper(`UPDATE audit_log SET reason = 'we never halted' WHERE seq = 2`);
    await tamper('DELETE FROM audit_log WHERE seq = 4');
    const r = await cli('verify');
    expect(r.status).toBe(3);
    expect(r.stdout).toMatch(/^BROKEN: 2 breaks in 4 rows, the first at seq 2 /m);
    expect(r.stdout).toMatch(/^ {2}seq {8}2 {2}hash_mismatch {2}row id \d+ \(trading\.halt\) no longer matches its hash/m);
    expect(r.stdout).toMatch(/^ {2}seq {8}4 {2}gap {12}seq 4 is missing: deleted; the next row is seq 5/m);
    expect((await auditChainStatus(rt.deps)).last).toMatchObject({ intact: false, firstBreak: { seq: '2', kind: 'hash_mismatch' } });
    await tamper('DELETE FROM audit_log WHERE seq = 5');
    const cut = await cli('verify', '--head', `${head[1]}:${head[2]}`, '--json');
    expect(cut.status).toBe(3);
    expect(JSON.parse(cut.stdout).breaks.map((b: { seq: string; kind: string }) => [b.seq, b.kind])).toEqual([['2', 'hash_mismatch'], ['5', 'head_mismatch']]);
  });
});
