// Provider API keys stored encrypted, against the fake Alpaca and Polygon on real Postgres and Redis: add (sealed,
// masked), test, rotate (a bad new key leaves the old one active, audited; a good one swaps atomically, the old kept
// disabled), rollback, check-apis; running REST clients and streams switch to the new key without a restart; and no
// secret in any response, error, audit row, stored column or log line.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlpacaBroker, AlpacaRest, AlpacaStream, createApiProbe, createProviderCredentials, PolygonRest, PolygonStream, type ProviderCredentials } from '@ai-trader/adapters';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { startFakeAlpaca, type FakeAlpaca } from '@ai-trader/adapters/testing/fake-alpaca';
import { startFakePolygon, type FakePolygon } from '@ai-trader/adapters/testing/fake-polygon';
import type { TTradeUpdate } from '@ai-trader/contracts';
import {
  activeCredentials, addApiKey, ApiKeyError, CachedCredentials, checkApis, createLogger, disableApiKey, ForbiddenError, listApiKeys, rollbackApiKey, rotateApiKey,
  testApiKey, type Deps,
} from '@ai-trader/core';
import { addUser, appRouter, LiveHub } from '@ai-trader/api';
import { until } from './helpers/processes.ts';

const pair = (tag: string) => ({ keyId: `PK${tag}${randomBytes(8).toString('hex').toUpperCase()}`, secretKey: `sk-${tag}-${randomBytes(16).toString('hex')}` });
const OLD = pair('OLD'), NEW = pair('NEW'), BAD = pair('BAD'), K1 = pair('KA'), K2 = pair('KB');
const POLY_OLD = `poly-old-${randomBytes(12).toString('hex')}`, POLY_NEW = `poly-new-${randomBytes(12).toString('hex')}`, POLY_3 = `poly-3rd-${randomBytes(12).toString('hex')}`;
const SECRETS = [OLD, NEW, BAD, K1, K2].flatMap((k) => [k.keyId, k.secretKey]).concat(POLY_OLD, POLY_NEW, POLY_3);
const admin = { id: 'u-admin', email: 'admin@example.com', role: 'admin' as const };

describe('API keys stored encrypted, rotation and rollback', () => {
  let rt: TestRuntime;
  let alpaca: FakeAlpaca;
  let polygon: FakePolygon;
  let deps: Deps;
  let creds: ProviderCredentials;
  const lines: string[] = [];
  const said: unknown[] = []; // every answer and error message of the use-cases, searched for secrets at the end
  const keep = <T>(x: T): T => (said.push(x), x);
  const ids: Record<string, string> = {};
  const activeOf = async (provider: string) => (await rt.deps.prisma.apiKey.findMany({ where: { provider, status: 'active' } })).map((r) => r.masked);
  const add = async (name: string, key: Parameters<typeof addApiKey>[1]['key']) => (ids[name] = keep(await addApiKey(deps, { actor: admin, key })).id);

  beforeAll(async () => {
    alpaca = await startFakeAlpaca({ keyId: OLD.keyId, secretKey: OLD.secretKey, prices: { SPY: '500' } });
    polygon = await startFakePolygon({ apiKey: POLY_OLD });
    rt = await createTestRuntime('apikeys', {
      BROKER: 'alpaca', ALPACA_BASE_URL: alpaca.restUrl, ALPACA_STREAM_URL: alpaca.wsUrl, POLYGON_BASE_URL: polygon.restUrl, POLYGON_STREAM_URL: polygon.wsUrl,
      KEYS_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    });
    const logger = createLogger({ name: 'apikeys', level: 'debug', stdout: { write: (l: string) => void lines.push(l) } });
    deps = { ...rt.deps, logger, apiProbe: createApiProbe(rt.config, rt.deps.redis, logger) };
    creds = createProviderCredentials({ config: rt.config, prisma: rt.deps.prisma, logger, name: 'apikeys' });
  });
  afterAll(async () => {
    await creds?.close();
    await rt?.cleanup();
    await alpaca?.close();
    await polygon?.close();
  });

  it('adds keys sealed and pending, shows them masked only, refuses a duplicate and non-admins', async () => {
    await add('old', { provider: 'alpaca', label: 'first', ...OLD });
    const row = await rt.deps.prisma.apiKey.findUniqueOrThrow({ where: { id: ids.old } });
    expect(row).toMatchObject({ provider: 'alpaca', status: 'pending', label: 'first', masked: `PK…${OLD.keyId.slice(-4)}`, encKeyId: 'k1', createdByEmail: 'admin@example.com' });
    expect(Buffer.from(row.ciphertext).toString('latin1')).not.toContain(OLD.secretKey.slice(3, 20));
    expect(row.iv).toHaveLength(12);
    const list = keep(await listApiKeys(deps));
    expect(list.map((k) => [k.provider, k.status, k.masked])).toEqual([['alpaca', 'pending', row.masked]]);
    await expect(addApiKey(deps, { actor: admin, key: { provider: 'alpaca', ...OLD } })).rejects.toThrow(new ApiKeyError('CONFLICT', `this Alpaca key is already stored as ${ids.old} (${row.masked}, pending)`));
    await expect(addApiKey(deps, { actor: { ...admin, role: 'trader' }, key: { provider: 'alpaca', ...NEW } })).rejects.toThrow(ForbiddenError);
    expect(await rt.deps.prisma.auditLog.findFirst({ where: { action: 'keys.add' } })).toMatchObject({ actorEmail: 'admin@example.com', after: { id: ids.old, masked: row.masked, status: 'pending' } });
  });

  it('the first rotation activates a tested key; the environment has none, so it is the one in use', async () => {
    expect(await activeCredentials(deps, 'alpaca')).toBeNull();
    const t = keep(await testApiKey(deps, { actor: admin, id: ids.old! }));
    expect(t.test).toMatchObject({ ok: true, reachable: true, authorised: true });
    expect(t.test.detail).toMatch(/^account ACTIVE \(USD\); market open; clock skew [+-]\d+\.\d s$/);
    expect(Math.abs(t.test.clockSkewMs!)).toBeLessThan(2000);
    const r = keep(await rotateApiKey(deps, { actor: admin, provider: 'alpaca', id: ids.old! }));
    expect(r).toMatchObject({ outcome: 'swapped', key: { status: 'active' }, previous: null });
    expect((await activeCredentials(deps, 'alpaca'))).toMatchObject({ source: 'stored', secret: { keyId: OLD.keyId } });
  });

  it('rotation with a bad new key leaves the old key active, and audits the refusal', async () => {
    await add('bad', { provider: 'alpaca', ...BAD });
    const r = keep(await rotateApiKey(deps, { actor: admin, provider: 'alpaca', id: ids.bad!, reason: 'quarterly rotation' }));
    const oldMasked = `PK…${OLD.keyId.slice(-4)}`;
    expect(r.outcome).toBe('refused');
    expect(r.message).toBe(`rotation to PK…${BAD.keyId.slice(-4)} refused: its test failed (Alpaca refused the key (HTTP 401): request is not authorized); ${oldMasked} stays active`);
    expect(r.test).toMatchObject({ ok: false, reachable: true, authorised: false });
    expect(await activeOf('alpaca')).toEqual([oldMasked]);
    expect(await rt.deps.prisma.apiKey.findUniqueOrThrow({ where: { id: ids.bad } })).toMatchObject({ status: 'failed', testOk: false, activatedAt: null });
    const refused = await rt.deps.prisma.auditLog.findFirstOrThrow({ where: { action: 'keys.rotate-refused' } });
    expect(refused).toMatchObject({ reason: 'quarterly rotation', before: { id: ids.old, masked: oldMasked, status: 'active' }, after: { candidate: { id: ids.bad, status: 'failed' } } });
    expect(await rt.deps.prisma.auditLog.count({ where: { action: 'keys.rotate' } })).toBe(1); // the first activation only
  });

  it('a running broker, REST client and stream switch to the new key without a restart, the old one revoked', async () => {
    const rest = new AlpacaRest({ baseUrl: alpaca.restUrl, credentials: creds.alpaca, redis: rt.deps.redis, prefix: rt.config.REDIS_PREFIX, logger: deps.logger });
    const broker = new AlpacaBroker({ rest, logger: deps.logger });
    const updates: TTradeUpdate[] = [];
    const stream = new AlpacaStream({ url: alpaca.wsUrl, credentials: creds.alpaca, logger: deps.logger, reconnectBaseMs: 20, reconnectCapMs: 100, onUpdate: (u) => void updates.push(u), onGap: () => undefined });
    try {
      await stream.start();
      expect((await broker.submitOrder({ clientOrderId: 'ait-before', symbol: 'SPY', side: 'BUY', qty: '1', type: 'market' })).status).toBe('accepted');
      // The provider issues a new key; we add, test and rotate to it; then the old one is revoked at the provider.
      alpaca.setKeys([OLD, NEW]);
      await add('new', { provider: 'alpaca', label: 'q3', ...NEW });
      const changed = new Promise<void>((resolve) => creds.alpaca.onChange(resolve));
      const r = keep(await rotateApiKey(deps, { actor: admin, provider: 'alpaca', id: ids.new! }));
      expect(r).toMatchObject({ outcome: 'swapped', key: { id: ids.new, status: 'active' }, previous: { id: ids.old, status: 'disabled' } });
      await changed; // announced on Redis, re-read by this process's credentials
      await until('the stream to listen again, authorised with the new key', async () => alpaca.wsMessages.filter((m) => m.action === 'listen').length === 2, 5000);
      expect(alpaca.wsMessages.filter((m) => m.action === 'auth').map((m) => m.ok)).toEqual([true, true]);
      alpaca.setKeys([NEW]);
      const seen = alpaca.requests.length;
      expect((await broker.submitOrder({ clientOrderId: 'ait-after', symbol: 'SPY', side: 'BUY', qty: '1', type: 'market' })).status).toBe('accepted');
      expect(alpaca.requests.slice(seen).every((q) => q.keyOk)).toBe(true); // switched before any refusal
      await until('the fill of the order placed after the swap', async () => updates.some((u) => u.clientOrderId === 'ait-after' && u.event === 'fill'), 5000);
    } finally {
      await stream.close();
    }
    expect(await activeOf('alpaca')).toEqual([`PK…${NEW.keyId.slice(-4)}`]);
    const audit = await rt.deps.prisma.auditLog.findFirstOrThrow({ where: { action: 'keys.rotate' }, orderBy: { seq: 'desc' } });
    expect(audit).toMatchObject({ before: { active: { id: ids.old } }, after: { active: { id: ids.new, status: 'active' }, disabled: { id: ids.old, status: 'disabled' } } });
    expect(await rt.deps.prisma.apiKey.findUniqueOrThrow({ where: { id: ids.old } })).toMatchObject({ status: 'disabled', disabledAt: expect.any(Date) });
  });

  it('rollback re-activates the previous key after testing it; refused (nothing changed) when the provider no longer takes it', async () => {
    const refused = keep(await rollbackApiKey(deps, { actor: admin, provider: 'alpaca' }));
    expect(refused).toMatchObject({ outcome: 'refused', key: { id: ids.old, status: 'disabled' }, test: { authorised: false } });
    expect(await activeOf('alpaca')).toEqual([`PK…${NEW.keyId.slice(-4)}`]);
    alpaca.setKeys([OLD, NEW]); // the provider still honours the old key after all
    const r = keep(await rollbackApiKey(deps, { actor: admin, provider: 'alpaca', reason: 'new key misbehaves' }));
    expect(r).toMatchObject({ outcome: 'swapped', key: { id: ids.old, status: 'active' }, previous: { id: ids.new, status: 'disabled' } });
    // A client that misses the announcement (no subscription, a long TTL) still follows the next rollback: when the
    // provider refuses its cached key it re-reads the credentials and retries with the new ones.
    const late = new CachedCredentials({
      what: 'late', logger: deps.logger, ttlMs: 60_000, same: (a, b) => a.keyId === b.keyId,
      load: async () => {
        const s = (await activeCredentials(deps, 'alpaca'))!.secret;
        return s.provider === 'alpaca' ? { keyId: s.keyId, secretKey: s.secretKey } : expect.unreachable();
      },
    });
    const rest = new AlpacaRest({ baseUrl: alpaca.restUrl, credentials: late, redis: rt.deps.redis, prefix: rt.config.REDIS_PREFIX, logger: deps.logger, maxRetries: 0 });
    await rest.getClock(); // with OLD, now cached
    keep(await rollbackApiKey(deps, { actor: admin, provider: 'alpaca' })); // back to NEW
    alpaca.setKeys([NEW]);
    expect((await rest.getClock()).is_open).toBe(true);
    expect(alpaca.requests.at(-2)).toMatchObject({ path: '/v2/clock', keyOk: false });
    expect(alpaca.requests.at(-1)).toMatchObject({ path: '/v2/clock', keyOk: true });
    expect(await rt.deps.prisma.auditLog.count({ where: { action: 'keys.rollback' } })).toBe(2);
    expect(await rt.deps.prisma.auditLog.count({ where: { action: 'keys.rollback-refused' } })).toBe(1);
  });

  it('two rotations at once leave exactly one active key; disable refuses the active one', async () => {
    alpaca.setKeys([NEW, K1, K2]);
    await add('k1', { provider: 'alpaca', ...K1 });
    await add('k2', { provider: 'alpaca', ...K2 });
    const both = await Promise.all([ids.k1!, ids.k2!].map((id) => rotateApiKey(deps, { actor: admin, provider: 'alpaca', id })));
    expect(both.map((r) => r.outcome)).toEqual(['swapped', 'swapped']);
    const active = await rt.deps.prisma.apiKey.findMany({ where: { provider: 'alpaca', status: 'active' } });
    expect(active).toHaveLength(1);
    const loser = active[0]!.id === ids.k1 ? ids.k2! : ids.k1!;
    expect((await rt.deps.prisma.apiKey.findUniqueOrThrow({ where: { id: loser } })).status).toBe('disabled');
    const refusal = await disableApiKey(deps, { actor: admin, id: active[0]!.id }).catch((e: Error) => keep(e.message));
    expect(refusal).toMatch(/is the active Alpaca key: rotate to another key/);
    expect(keep(await disableApiKey(deps, { actor: admin, id: ids.bad! })).status).toBe('disabled');
    alpaca.setKeys([OLD, NEW, K1, K2]);
  });

  it('check-apis tries the keys in use: reachable, authorised, clock skew, masked, age; fails when the provider refuses', async () => {
    await add('poly', { provider: 'polygon', apiKey: POLY_NEW });
    const polyTest = keep(await testApiKey(deps, { actor: admin, id: ids.poly! }));
    expect(polyTest.test).toMatchObject({ ok: false, authorised: false, reachable: true });
    polygon.setApiKeys([POLY_OLD, POLY_NEW]);
    const liveBars: string[] = [];
    const stream = new PolygonStream({ url: polygon.wsUrl, credentials: creds.polygon, symbols: ['SPY'], logger: deps.logger, reconnectBaseMs: 20, reconnectCapMs: 100, onBar: (b) => void liveBars.push(b.ts) });
    const rest = new PolygonRest({ baseUrl: polygon.restUrl, credentials: creds.polygon, redis: rt.deps.redis, prefix: rt.config.REDIS_PREFIX, requestsPerSecond: 50, logger: deps.logger });
    try {
      await rotateApiKey(deps, { actor: admin, provider: 'polygon', id: ids.poly! });
      await stream.start();
      expect((await rest.marketStatus()).market).toBe('closed');
      polygon.setApiKeys([POLY_NEW]);

      const ok = keep(await checkApis(deps));
      expect(ok.ok).toBe(true);
      expect(ok.checks.map((c) => [c.provider, c.source, c.ok, c.reachable, c.authorised, c.keyAgeDays])).toEqual([['alpaca', 'stored', true, true, true, 0], ['polygon', 'stored', true, true, true, 0]]);
      expect(ok.checks[1]).toMatchObject({ masked: `po…${POLY_NEW.slice(-4)}`, keyRowId: ids.poly, activatedAt: expect.any(String), detail: expect.stringMatching(/^market closed; clock skew/) });
      expect(Math.abs(ok.checks[0]!.clockSkewMs!)).toBeLessThan(2000);

      alpaca.setKeys([]);
      const bad = keep(await checkApis(deps));
      expect(bad.ok).toBe(false);
      expect(bad.checks[0]).toMatchObject({ provider: 'alpaca', ok: false, reachable: true, authorised: false, detail: 'Alpaca refused the key (HTTP 401): request is not authorized' });
      expect(bad.checks[1]!.ok).toBe(true);
      expect(polygon.wsMessages.filter((m) => m.action === 'auth').map((m) => m.ok)).toEqual([true]);
    } finally {
      await stream.close();
    }
  });

  it('under the two-person policy a rotation from the console waits for a second admin, who runs it', async () => {
    const pw = { a: `pw-a-${randomBytes(6).toString('hex')}`, b: `pw-b-${randomBytes(6).toString('hex')}` };
    const a = { id: (await addUser(rt.deps.prisma, { email: 'a@example.com', name: 'A', role: 'admin', password: pw.a }, admin)).id, email: 'a@example.com', role: 'admin' as const };
    const b = { id: (await addUser(rt.deps.prisma, { email: 'b@example.com', name: 'B', role: 'admin', password: pw.b }, admin)).id, email: 'b@example.com', role: 'admin' as const };
    const live = new LiveHub(rt.config.REDIS_URL, rt.config.REDIS_PREFIX);
    try {
      const as = (who: typeof a) => appRouter.createCaller({ deps, live, actor: who });
      await as(a).settings.setTwoPersonApproval({ enabled: true, reason: 'keys need two people', password: pw.a });
      polygon.setApiKeys([POLY_NEW, POLY_3]);
      const added = keep(await as(a).keys.add({ key: { provider: 'polygon', apiKey: POLY_3 }, password: pw.a }));
      const asked = keep(await as(a).keys.rotate({ provider: 'polygon', id: added.id, reason: 'quarterly rotation', password: pw.a }));
      expect(asked).toMatchObject({ outcome: 'pending-approval' });
      expect(await activeOf('polygon')).toEqual([`po…${POLY_NEW.slice(-4)}`]);
      const approvalId = (asked as { approvalId: string }).approvalId;
      await expect(as(a).approvals.decide({ id: approvalId, approve: true, password: pw.a })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      const done = keep(await as(b).approvals.decide({ id: approvalId, approve: true, password: pw.b }));
      expect(done).toMatchObject({ status: 'executed', result: { outcome: 'swapped', key: { id: added.id, status: 'active' } } });
      expect(await activeOf('polygon')).toEqual([`po…${POLY_3.slice(-4)}`]);
      const swap = await rt.deps.prisma.auditLog.findFirstOrThrow({ where: { action: 'keys.rotate' }, orderBy: { seq: 'desc' } });
      expect(swap.actorEmail).toBe('b@example.com');
      expect(swap.reason).toContain('requested by a@example.com, approved by b@example.com');
      await as(a).settings.setTwoPersonApproval({ enabled: false, reason: 'drill over', password: pw.a });
    } finally {
      await live.close();
    }
  });

  it('no secret in any answer, error, audit row, stored column or log line', async () => {
    const audit = JSON.stringify(await rt.deps.prisma.auditLog.findMany({ select: { action: true, actorEmail: true, reason: true, before: true, after: true } }));
    const rows = JSON.stringify(await rt.deps.prisma.apiKey.findMany({ select: { masked: true, label: true, testResult: true, encKeyId: true, createdByEmail: true } }));
    const texts = { answers: JSON.stringify(said), audit, rows, logs: lines.join('\n') };
    expect(lines.length).toBeGreaterThan(10);
    expect(audit).toContain('keys.rotate-refused');
    for (const [where, text] of Object.entries(texts)) for (const s of SECRETS) expect(text.includes(s), `${where} contains a secret`).toBe(false);
  });
});
