// The chain check over COPY's binary format, without Postgres: rows cut at every possible byte boundary give the
// same verdict as whole messages, and one changed byte of content, a broken link or a missing row is found.
import { describe, expect, it } from 'vitest';
import type { TAuditBreak } from '@ai-trader/contracts';
import { AUDIT_GENESIS_HASH, AuditChainCheck, auditRowHash, type AuditChainPieces } from './audit-chain.ts';

type Row = AuditChainPieces & { id: string; hash: string };

function chain(n: number): Row[] {
  const rows: Row[] = [];
  let prev = AUDIT_GENESIS_HASH;
  for (let i = 1; i <= n; i++) {
    const p: AuditChainPieces = {
      prevHash: prev, seq: String(i), atMs: String(1_750_000_000_000 + i), actorId: i % 2 ? null : `u${i}`, actorEmail: `élan${i}@example.com`,
      action: 'trading.halt', reason: i === 2 ? '' : `why ${i} — ✓`, before: i === 3 ? null : `{"n": ${i}}`, after: '{"a": [1, "ü"]}',
    };
    prev = auditRowHash(p);
    rows.push({ ...p, id: String(100 + i), hash: prev });
  }
  return rows;
}

/** COPY binary: signature, flags, header extension length, rows (int16 count, int32 length + bytes), trailer -1. */
function copyBinary(rows: Row[]): Buffer {
  const parts: Buffer[] = [Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)];
  for (const r of rows) {
    const fields = [r.seq, r.id, r.atMs, r.prevHash, r.hash, r.actorId, r.actorEmail, r.action, r.reason, r.before, r.after];
    const count = Buffer.alloc(2);
    count.writeInt16BE(fields.length);
    parts.push(count);
    for (const f of fields) {
      const len = Buffer.alloc(4);
      if (f === null) {
        len.writeInt32BE(-1);
        parts.push(len);
      } else {
        const b = Buffer.from(f, 'utf8');
        len.writeInt32BE(b.length);
        parts.push(len, b);
      }
    }
  }
  const trailer = Buffer.alloc(2);
  trailer.writeInt16BE(-1);
  parts.push(trailer);
  return Buffer.concat(parts);
}

function run(data: Buffer, chunk = data.length, head?: { seq: string; hash: string }) {
  const breaks: TAuditBreak[] = [];
  const check = new AuditChainCheck((b) => breaks.push(b), head, () => undefined);
  for (let o = 0; o < data.length; o += chunk) check.push(Buffer.from(data.subarray(o, o + chunk)));
  check.finish();
  return { breaks, rows: check.rows, head: check.head };
}

describe('AuditChainCheck', () => {
  it('accepts an intact chain whole and cut at every chunk size', () => {
    const rows = chain(4);
    const data = copyBinary(rows);
    for (let chunk = 1; chunk <= data.length; chunk += chunk < 40 ? 1 : 37) {
      const r = run(data, chunk);
      expect(r.breaks, `chunk ${chunk}`).toEqual([]);
      expect(r.rows).toBe(4);
      expect(r.head).toEqual({ seq: 4, hash: rows[3]!.hash });
    }
  });

  it('finds a changed byte of content at its row, a broken link, a missing row and a head that differs', () => {
    const rows = chain(5);
    const changed = copyBinary(rows.map((r) => (r.seq === '3' ? { ...r, reason: r.reason!.replace('3', '4') } : r)));
    expect(run(changed, 7).breaks.map((b) => [b.seq, b.id, b.kind])).toEqual([['3', '103', 'hash_mismatch']]);
    const relinked = copyBinary(rows.map((r) => (r.seq === '4' ? { ...r, prevHash: 'f'.repeat(64) } : r)));
    expect(run(relinked).breaks.map((b) => [b.seq, b.kind])).toEqual([['4', 'prev_mismatch'], ['4', 'hash_mismatch']]);
    const missing = copyBinary(rows.filter((r) => r.seq !== '2'));
    expect(run(missing, 5).breaks.map((b) => [b.seq, b.id, b.kind])).toEqual([['2', null, 'gap']]);
    expect(run(copyBinary(rows), 3, { seq: '4', hash: '0'.repeat(64) }).breaks.map((b) => [b.seq, b.kind])).toEqual([['4', 'head_mismatch']]);
  });
});
