// Benchmark (issue 9): verify an audit chain of 1,000,000 rows (goal: ≤ 10 s on this machine), reported in rows/s
// and against references measured in the same run over the same rows:
//   - read: the same COPY (same columns, same order) with the bytes only counted — the floor set by Postgres and
//     the driver;
//   - hash: sha256 of the same canonical texts in a plain loop (Node's hashing alone);
//   - server: the same COPY written to /dev/null by Postgres itself (what producing the rows costs, without Node);
//   - pg: Postgres recomputing every hash itself (sha256(audit_log_canonical(…)) over the table, one query).
// verify ÷ (read + hash) near 1 means the walk adds little beyond reading and hashing. The chain is written with
// the triggers off (the trigger costs ~0.1 ms a row: a million would take minutes), from hashes computed here; the
// run checks that verify finds it intact and that Postgres's own recomputation agrees on every row.
//   pnpm exec tsx bench/audit-verify.bench.ts [rows=1000000]
import { hash } from 'node:crypto';
import { AUDIT_GENESIS_HASH, AUDIT_PIECES_SQL, auditCanonicalText, copyOut, verifyAuditChain } from '@ai-trader/core';
import { createPgPool } from '@ai-trader/db';
import { createTestDatabase } from '@ai-trader/db/testing';
import { report } from './report.ts';

const ROWS = Number(process.argv[2] ?? 1_000_000);
const BATCH = 10_000;
const ACTIONS = ['trading.halt', 'order.cancel', 'strategy.update', 'auth.sign-in', 'position.close'];
const t0 = Date.parse('2025-01-02T14:30:00Z');
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

const db = await createTestDatabase('auditbench');
const pool = createPgPool(db.url, 2);
try {
  // ---- fill: rows shaped like the real ones (jsonb written in its canonical text form, so Node's hash is the trigger's)
  const fillStart = performance.now();
  let prev = AUDIT_GENESIS_HASH;
  let hashMs = 0;
  const client = await pool.connect();
  try {
    await client.query('SET session_replication_role = replica');
    for (let b = 0; b < ROWS; b += BATCH) {
      const cols: (string | null)[][] = Array.from({ length: 10 }, () => []);
      const texts: string[] = [];
      for (let i = b; i < Math.min(ROWS, b + BATCH); i++) {
        const seq = i + 1;
        const atMs = t0 + i * 250;
        const actorId = i % 11 === 0 ? null : `user-${i % 7}`;
        const actorEmail = i % 11 === 0 ? 'system:breakers' : `ops${i % 7}@example.com`;
        const action = ACTIONS[i % ACTIONS.length]!;
        const reason = i % 3 === 0 ? null : `operator note ${i}: desk asked for it`;
        const before = i % 2 === 0 ? `{"tradingState": {"state": "ACTIVE", "reason": "initial", "version": ${i}}}` : null;
        const after = `{"qty": "${i % 100}", "status": "canceled", "clientOrderId": "ait-${(i * 2654435761 >>> 0).toString(16).padStart(8, '0')}"}`;
        const pieces = { prevHash: prev, seq: String(seq), atMs: String(atMs), actorId, actorEmail, action, reason, before, after };
        const text = auditCanonicalText(pieces);
        const h0 = performance.now();
        const h = hash('sha256', text, 'hex');
        hashMs += performance.now() - h0;
        texts.push(text);
        [new Date(atMs).toISOString(), actorId, actorEmail, action, reason, before, after, String(seq), prev, h].forEach((v, k) => cols[k]!.push(v));
        prev = h;
      }
      await client.query(
        `INSERT INTO audit_log (at, "actorId", "actorEmail", action, reason, before, after, seq, "prevHash", hash)
         SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $7::jsonb[], $8::bigint[], $9::text[], $10::text[])`,
        cols,
      );
      if ((b / BATCH) % 20 === 0) process.stdout.write(`\rwriting the chain: ${fmt(b + BATCH)} / ${fmt(ROWS)} rows`);
    }
  } finally {
    client.release();
  }
  await pool.query('VACUUM ANALYZE audit_log');
  console.log(`\rwrote ${fmt(ROWS)} chained rows in ${sec(performance.now() - fillStart)}                    `);
  // A plain-loop hash of the same bytes, timed on its own as well (not interleaved with the fill).
  const sample: string[] = [];
  {
    let p = AUDIT_GENESIS_HASH;
    const { rows } = await pool.query<string[]>({ text: `SELECT ${AUDIT_PIECES_SQL} FROM audit_log ORDER BY audit_log.seq LIMIT 100000`, rowMode: 'array' });
    for (const r of rows) {
      sample.push(auditCanonicalText({ prevHash: p, seq: r[0]!, atMs: r[2]!, actorId: r[5] ?? null, actorEmail: r[6]!, action: r[7]!, reason: r[8] ?? null, before: r[9] ?? null, after: r[10] ?? null }));
      p = r[4]!;
    }
  }

  // ---- measurements: each twice, the better run counts (the machine is shared)
  const best = async <T>(f: () => Promise<T>): Promise<{ ms: number; out: T }> => {
    let r: { ms: number; out: T } | null = null;
    for (let k = 0; k < 2; k++) {
      const s = performance.now();
      const out = await f();
      const ms = performance.now() - s;
      if (!r || ms < r.ms) r = { ms, out };
    }
    return r!;
  };
  const deps = { pool, clock: { now: () => new Date() } } as unknown as Parameters<typeof verifyAuditChain>[0];
  const verify = await best(() => verifyAuditChain(deps));
  if (!verify.out.intact || verify.out.rows !== ROWS) throw new Error(`verify found ${verify.out.rows} rows, intact=${verify.out.intact}: ${verify.out.firstBreak?.detail}`);
  const read = await best(async () => {
    const c = await pool.connect();
    let bytes = 0;
    try {
      await copyOut(c, `COPY (SELECT ${AUDIT_PIECES_SQL} FROM audit_log ORDER BY audit_log.seq) TO STDOUT (FORMAT binary)`, (chunk) => (bytes += chunk.length));
    } finally {
      c.release();
    }
    return bytes;
  });
  const server = await best(async () => {
    await pool.query(`COPY (SELECT ${AUDIT_PIECES_SQL} FROM audit_log ORDER BY audit_log.seq) TO '/dev/null' (FORMAT binary)`);
    return true;
  }).catch((e: Error) => ({ ms: NaN, out: e.message })); // needs pg_write_server_files (a superuser has it)
  const plain = await best(async () => {
    let x = 0;
    for (const t of sample) x ^= hash('sha256', t, 'hex').charCodeAt(0);
    return x;
  });
  const plainMs = (plain.ms * ROWS) / sample.length;
  const pg = await best(async () =>
    (await pool.query<{ bad: string }>(
      `SELECT count(*) FILTER (WHERE hash <> encode(sha256(convert_to(audit_log_canonical("prevHash", seq, at, "actorId", "actorEmail", action, reason, before, after), 'UTF8')), 'hex'))::text AS bad FROM audit_log`,
    )).rows[0]!.bad,
  );
  if (pg.out !== '0') throw new Error(`Postgres's own recomputation disagrees on ${pg.out} rows`);

  const v = verify.ms;
  console.log(`audit verify, ${fmt(ROWS)} rows: ${sec(v)} (${fmt((ROWS * 1000) / v)} rows/s) — goal ≤ 10 s: ${v <= 10_000 ? 'met' : 'NOT met'}`);
  console.log(`  head: seq ${verify.out.head!.seq} hash ${verify.out.head!.hash}`);
  console.log('references, same run, same rows:');
  console.log(`  read   the same COPY, bytes counted only:      ${sec(read.ms)} (${fmt((ROWS * 1000) / read.ms)} rows/s, ${fmt(read.out / 1e6)} MB)`);
  console.log(`  server the same COPY to /dev/null in Postgres:  ${Number.isNaN(server.ms) ? `n/a (${server.out})` : `${sec(server.ms)} (${fmt((ROWS * 1000) / server.ms)} rows/s)`}`);
  console.log(`  hash   sha256 of the canonical texts, plain loop: ${sec(plainMs)} (${fmt((ROWS * 1000) / plainMs)} rows/s; timed on ${fmt(sample.length)} rows, scaled; ${sec(hashMs)} during the fill)`);
  console.log(`  pg     Postgres recomputing every hash itself:  ${sec(pg.ms)} (${fmt((ROWS * 1000) / pg.ms)} rows/s)`);
  report({ bench: 'audit-verify', metric: `verify a chain of ${fmt(ROWS)} rows`, value: v / 1000, unit: 's', reference: { label: 'read + hash the same rows', value: (read.ms + plainMs) / 1000 }, ratio: v / (read.ms + plainMs), goal: '≤ 10 s', met: v <= 10_000 });
  console.log(`ratios: verify ÷ read = ${(v / read.ms).toFixed(2)}×, verify ÷ (read + hash) = ${(v / (read.ms + plainMs)).toFixed(2)}×, verify ÷ pg = ${(v / pg.ms).toFixed(2)}×`);
} finally {
  await pool.end();
  await db.drop();
}
