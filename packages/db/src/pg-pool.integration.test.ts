// Pool exhaustion is an error naming the pool and its size after the acquire timeout — for the plain pool and the
// one under Prisma — and a gauge counts it; it is never a hang. Against the real server's `postgres` database.
import { afterEach, describe, expect, it } from 'vitest';
import { createPrisma } from './client.ts';
import { createPgPool, PoolExhaustedError, poolStats, type PgClient, type PgPool } from './pg-pool.ts';

const URL = process.env.TEST_DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/postgres';

describe('pool exhaustion', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });

  it('a query waiting longer than the acquire timeout fails with PoolExhaustedError, counted in poolStats', async () => {
    const pool: PgPool = createPgPool(URL, { name: 'exhaust-test', max: 2, acquireTimeoutMs: 300 });
    cleanup.push(() => pool.end());
    const held: PgClient[] = [await pool.connect(), await pool.connect()];
    cleanup.push(async () => held.forEach((c) => c.release()));
    const started = Date.now();
    const err = await pool.query('SELECT 1').then(() => null, (e: Error) => e);
    expect(err).toBeInstanceOf(PoolExhaustedError);
    expect(err!.message).toContain("pg pool 'exhaust-test' exhausted: all 2 connection(s) stayed busy for 300 ms");
    expect(Date.now() - started).toBeLessThan(3000);
    // connect() says the same
    await expect(pool.connect()).rejects.toThrow(PoolExhaustedError);
    const gauge = poolStats().find((p) => p.name === 'exhaust-test');
    expect(gauge).toMatchObject({ max: 2, total: 2, idle: 0, exhaustedTotal: 2, acquireTimeoutMs: 300 });
    // Once a connection comes back, work goes on.
    held.pop()!.release();
    expect((await pool.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one).toBe(1);
  });

  it('a server that does not answer is not called an exhausted pool', async () => {
    // A port nothing listens on answers at once with a refusal: that error passes through as it is.
    const pool = createPgPool('postgresql://postgres@127.0.0.1:1/postgres', { name: 'dead', max: 1, acquireTimeoutMs: 300 });
    cleanup.push(() => pool.end());
    const err = await pool.query('SELECT 1').then(() => null, (e: Error) => e);
    expect(err).not.toBeInstanceOf(PoolExhaustedError);
    expect(poolStats().find((p) => p.name === 'dead')?.exhaustedTotal).toBe(0);
  });

  it('Prisma over an exhausted pool fails with the pool named, not a hang', async () => {
    const prisma = createPrisma(URL, { name: 'prisma-exhaust-test', max: 1, acquireTimeoutMs: 300 });
    cleanup.push(() => prisma.$disconnect());
    let release!: () => void;
    const holding = prisma.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT 1`;
      await new Promise<void>((r) => (release = r));
    }, { timeout: 10_000 });
    await new Promise((r) => setTimeout(r, 100));
    const err = await prisma.$queryRaw`SELECT 2`.then(() => null, (e: Error) => e);
    release();
    await holding;
    expect(err?.message).toContain("pg pool 'prisma-exhaust-test' exhausted: all 1 connection(s)");
    expect(poolStats().find((p) => p.name === 'prisma-exhaust-test')?.exhaustedTotal).toBe(1);
    expect(await prisma.$queryRaw<Array<{ n: number }>>`SELECT 3::int AS n`).toEqual([{ n: 3 }]);
  });

  it('ending a pool removes it from the gauges', async () => {
    const pool = createPgPool(URL, { name: 'ends-test', max: 1 });
    expect(poolStats().some((p) => p.name === 'ends-test')).toBe(true);
    await pool.end();
    expect(poolStats().some((p) => p.name === 'ends-test')).toBe(false);
  });
});
