// The audit log's hash chain, checked from outside Postgres: every row is streamed in seq order (one COPY, one
// snapshot) and its hash recomputed here from the same canonical text the insert trigger hashed
// (audit_log_canonical of migration audit_chain; a test holds the two equal).
import { hash } from 'node:crypto';
import type { TAuditBreak, TAuditChainStatus, TAuditVerification } from '@ai-trader/contracts';
import { ZAuditVerification } from '@ai-trader/contracts';
import type { PgClient } from '@ai-trader/db';
import type { Deps } from '../ports.ts';

/** prevHash of the row at seq 1. */
export const AUDIT_GENESIS_HASH = '0'.repeat(64);

/** The pieces of a row as text, exactly as Postgres prints them (seq and at in epoch ms as decimal integers). */
export interface AuditChainPieces {
  prevHash: string;
  seq: string;
  atMs: string;
  actorId: string | null;
  actorEmail: string;
  action: string;
  reason: string | null;
  before: string | null; // jsonb::text
  after: string | null;
}

const CANONICAL_PREFIX = 'ait-audit-v1';
const field = (v: string | null) => (v === null ? '|-' : `|${Buffer.byteLength(v, 'utf8')}:${v}`);

/** Version 1 of the canonical text: a length-prefixed field per piece, so no value can fake a boundary. */
export function auditCanonicalText(p: AuditChainPieces): string {
  return `${CANONICAL_PREFIX}${field(p.prevHash)}${field(p.seq)}${field(p.atMs)}${field(p.actorId)}${field(p.actorEmail)}${field(p.action)}${field(p.reason)}${field(p.before)}${field(p.after)}`;
}

export function auditRowHash(p: AuditChainPieces): string {
  return hash('sha256', auditCanonicalText(p), 'hex');
}

/** The columns a verification reads, in this order (all text, so nothing is re-formatted by the driver). */
export const AUDIT_PIECES_SQL = `seq::text, id::text, ((extract(epoch FROM at) * 1000)::bigint)::text, "prevHash", hash,
  "actorId", "actorEmail", action, reason, before::text, after::text`;
const F_SEQ = 0, F_ID = 1, F_PREV = 3, F_HASH = 4, F_ACTION = 7, FIELDS = 11;
/** The canonical text's fields in order (indexes into the columns above). */
const CANONICAL_FIELDS = [F_PREV, F_SEQ, 2, 5, 6, F_ACTION, 8, 9, 10];

export interface VerifyOptions {
  /** Called every PROGRESS_EVERY rows and at the end with the rows checked so far and those in the log. */
  onProgress?: (p: { rows: number; total: number }) => void;
  /** A head recorded earlier (from a previous verification's output): it must still be in the chain, unchanged. */
  head?: { seq: string; hash: string } | undefined;
  /** Who asked, for the cached result. */
  verifiedBy?: string;
}

const PROGRESS_EVERY = 50_000;
const MAX_BREAKS_LISTED = 100;
const short = (h: string) => (h.length > 16 ? `${h.slice(0, 16)}…` : h || "''");

/**
 * COPY … TO STDOUT through node-postgres's Submittable interface: every CopyData message's bytes go to `onData`
 * synchronously as they arrive (the socket waits meanwhile: natural backpressure; no extra dependency).
 */
export function copyOut(client: PgClient, sql: string, onData: (chunk: Buffer) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let failed: unknown = null;
    client.query({
      submit: (connection: { query(text: string): void }) => connection.query(sql),
      handleCopyData: (msg: { chunk: Buffer }) => {
        if (failed) return;
        try {
          onData(msg.chunk);
        } catch (e) {
          failed = e;
        }
      },
      handleCommandComplete: () => undefined,
      handleReadyForQuery: () => (failed ? reject(failed as Error) : resolve()),
      handleError: (e: Error) => {
        failed ??= e;
        reject(e); // a lost connection sends no ReadyForQuery
      },
    } as unknown as Parameters<PgClient['query']>[0] & { submit: () => void });
  });
}

/**
 * Checks rows arriving in COPY's binary format: per row an int16 field count, then per field an int32 length (-1
 * NULL) and the bytes (our columns are all text: the UTF-8 Postgres printed). The canonical text is assembled
 * from those bytes in one buffer and hashed; no string is made per field. Exported for its unit test.
 */
export class AuditChainCheck {
  rows = 0;
  head: { seq: number; hash: string } | null = null;
  anchorSeen = false;
  private expected = 1;
  /** The previous row's stored hash, as bytes (compared byte by byte: no string per row). */
  private prev = Buffer.from(AUDIT_GENESIS_HASH, 'latin1');
  private prevLen = 64;
  private header = false;
  private rest: Buffer | null = null;
  private scratch = Buffer.allocUnsafe(8192);
  private readonly start = new Int32Array(FIELDS);
  private readonly len = new Int32Array(FIELDS);
  private readonly anchorSeq: number;

  constructor(private readonly found: (b: TAuditBreak) => void, private readonly anchor: { seq: string; hash: string } | undefined, private readonly progress: (rows: number) => void) {
    this.anchorSeq = anchor ? Number(anchor.seq) : NaN;
  }

  push(chunk: Buffer): void {
    // Postgres sends whole rows per message; a row split across messages is joined here all the same.
    const buf = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    this.rest = null;
    let o = 0;
    if (!this.header) {
      if (buf.length < 19) return void (this.rest = Buffer.from(buf));
      if (buf.toString('latin1', 0, 5) !== 'PGCOP') throw new Error('audit verify: COPY did not answer in binary format');
      o = 19 + buf.readUInt32BE(15);
      this.header = true;
    }
    while (o < buf.length) {
      if (o + 2 > buf.length) break;
      const n = buf.readInt16BE(o);
      if (n === -1) return; // trailer
      if (n !== FIELDS) throw new Error(`audit verify: a COPY row has ${n} fields, expected ${FIELDS}`);
      let p = o + 2;
      let complete = true;
      for (let i = 0; i < FIELDS; i++) {
        if (p + 4 > buf.length) { complete = false; break; }
        const l = buf.readInt32BE(p);
        this.start[i] = p + 4;
        this.len[i] = l;
        p += 4 + Math.max(l, 0);
        if (p > buf.length) { complete = false; break; }
      }
      if (!complete) break;
      this.row(buf);
      o = p;
    }
    if (o < buf.length) this.rest = Buffer.from(buf.subarray(o)); // a copy: the driver reuses its buffers
  }

  private text(buf: Buffer, i: number): string | null {
    return this.len[i]! < 0 ? null : buf.toString('utf8', this.start[i], this.start[i]! + this.len[i]!);
  }

  private row(buf: Buffer): void {
    const { start, len } = this;
    const s0 = start[F_SEQ]!, negative = buf[s0] === 45;
    let seq = 0;
    for (let i = negative ? s0 + 1 : s0, e = s0 + len[F_SEQ]!; i < e; i++) seq = seq * 10 + (buf[i]! - 48);
    if (negative) seq = -seq;
    this.rows++;
    if (this.rows % PROGRESS_EVERY === 0) this.progress(this.rows);
    if (seq <= 0) {
      const id = this.text(buf, F_ID)!;
      this.found({ seq: String(seq), id, kind: 'unchained', detail: `row id ${id} has seq ${seq}: it was written with the audit triggers switched off` });
      return;
    }
    const hs = start[F_HASH]!, hl = len[F_HASH]!;
    if (seq > this.expected) {
      const missing = seq - this.expected;
      this.found({
        seq: String(this.expected), id: null, kind: 'gap',
        detail: `${missing === 1 ? `seq ${this.expected} is` : `seq ${this.expected}…${seq - 1} (${missing} rows) are`} missing: deleted; the next row is seq ${seq} (id ${this.text(buf, F_ID)})`,
      });
    } else if (!this.samePrev(buf, start[F_PREV]!, len[F_PREV]!)) {
      const prevHash = buf.toString('latin1', start[F_PREV], start[F_PREV]! + len[F_PREV]!);
      this.found({ seq: String(seq), id: this.text(buf, F_ID), kind: 'prev_mismatch', detail: `prevHash ${short(prevHash)} is not the hash of seq ${seq - 1} (${short(this.prevText())}): a row before it was removed or rewritten` });
    }
    // The row's own content, whatever its link: a deletion and a change next to it are two breaks.
    const actual = hash('sha256', this.canonical(buf), 'hex');
    let same = hl === actual.length;
    for (let k = 0; same && k < hl; k++) same = buf[hs + k] === actual.charCodeAt(k);
    if (!same) {
      const id = this.text(buf, F_ID);
      this.found({ seq: String(seq), id, kind: 'hash_mismatch', detail: `row id ${id} (${this.text(buf, F_ACTION)}) no longer matches its hash: stored ${short(buf.toString('latin1', hs, hs + hl))}, content gives ${short(actual)} (changed after it was written)` });
    }
    if (seq === this.anchorSeq) {
      this.anchorSeen = true;
      const stored = buf.toString('latin1', hs, hs + hl);
      if (stored !== this.anchor!.hash)
        this.found({ seq: String(seq), id: this.text(buf, F_ID), kind: 'head_mismatch', detail: `the recorded head seq ${seq} had hash ${short(this.anchor!.hash)}; the row now has ${short(stored)}: the chain was rewritten` });
    }
    this.expected = seq + 1;
    if (hl > this.prev.length) this.prev = Buffer.allocUnsafe(hl);
    for (let k = 0; k < hl; k++) this.prev[k] = buf[hs + k]!;
    this.prevLen = hl;
    this.head = { seq, hash: '' }; // the text is made once, in finish()
  }

  /** Call after the last row: fills in the head's hash. */
  finish(): void {
    if (this.head) this.head.hash = this.prevText();
  }

  private prevText(): string {
    return this.prev.toString('latin1', 0, this.prevLen);
  }

  private samePrev(buf: Buffer, s: number, l: number): boolean {
    if (l !== this.prevLen) return false;
    for (let k = 0; k < l; k++) if (buf[s + k] !== this.prev[k]) return false;
    return true;
  }

  /** auditCanonicalText, from the row's bytes. */
  private canonical(buf: Buffer): Uint8Array {
    let need = CANONICAL_PREFIX.length;
    for (const i of CANONICAL_FIELDS) need += 14 + Math.max(this.len[i]!, 0);
    if (need > this.scratch.length) this.scratch = Buffer.allocUnsafe(need * 2);
    const out = this.scratch;
    let p = out.write(CANONICAL_PREFIX, 0, 'latin1');
    for (const i of CANONICAL_FIELDS) {
      const l = this.len[i]!;
      out[p++] = 124; // |
      if (l < 0) {
        out[p++] = 45; // -
        continue;
      }
      // the length in decimal
      if (l < 10) out[p++] = 48 + l;
      else if (l < 100) {
        out[p++] = 48 + ((l / 10) | 0);
        out[p++] = 48 + (l % 10);
      } else p += out.write(String(l), p, 'latin1');
      out[p++] = 58; // :
      // Short fields by hand (a native copy costs more than it saves below ~64 bytes).
      const s = this.start[i]!;
      if (l < 64) for (let k = 0; k < l; k++) out[p++] = buf[s + k]!;
      else p += buf.copy(out, p, s, s + l);
    }
    return new Uint8Array(out.buffer, out.byteOffset, p);
  }
}

/**
 * Walks the whole chain by seq and reports where it breaks: its link (gap: seq skipped, or prev_mismatch) and its
 * content (hash_mismatch) are checked for every row, and the walk goes on from the row as stored, so every
 * independent break is found. A changed row shows as hash_mismatch at its seq; a deleted one as a gap at its seq
 * (or, if the later rows were renumbered, as prev_mismatch at the row after it).
 */
export async function verifyAuditChain(deps: Pick<Deps, 'pool' | 'clock'>, opts: VerifyOptions = {}): Promise<TAuditVerification> {
  const started = performance.now();
  const breaks: TAuditBreak[] = [];
  let breakCount = 0;
  const found = (b: TAuditBreak) => {
    breakCount++;
    if (breaks.length < MAX_BREAKS_LISTED) breaks.push(b);
  };
  const { rows: t } = await deps.pool.query<{ total: string }>('SELECT coalesce(max(seq), 0)::text AS total FROM audit_log');
  const total = Number(t[0]!.total);
  const check = new AuditChainCheck(found, opts.head, (rows) => opts.onProgress?.({ rows, total: Math.max(total, rows) }));
  const client = await deps.pool.connect();
  let failed = false;
  try {
    // One statement, one snapshot: rows committed meanwhile are simply not part of this verification.
    await copyOut(client, `COPY (SELECT ${AUDIT_PIECES_SQL} FROM audit_log ORDER BY audit_log.seq) TO STDOUT (FORMAT binary)`, (c) => check.push(c));
  } catch (e) {
    failed = true;
    throw e;
  } finally {
    client.release(failed);
  }
  check.finish();
  opts.onProgress?.({ rows: check.rows, total: Math.max(total, check.rows) });
  const head = check.head ? { seq: String(check.head.seq), hash: check.head.hash } : null;
  if (opts.head && !check.anchorSeen)
    found({ seq: opts.head.seq, id: null, kind: 'head_mismatch', detail: `the recorded head seq ${opts.head.seq} is not in the log (it ends at seq ${head?.seq ?? 'none'}): rows were removed from the end` });
  breaks.sort((a, b) => Number(a.seq) - Number(b.seq));
  const durationMs = performance.now() - started;
  return {
    rows: check.rows, intact: breakCount === 0, firstBreak: breaks[0] ?? null, breaks, breakCount, head,
    durationMs: Math.round(durationMs), rowsPerSecond: Math.round(check.rows / Math.max(durationMs / 1000, 1e-3)),
    verifiedAt: deps.clock.now().toISOString(), verifiedBy: opts.verifiedBy ?? 'unknown',
  };
}

/** Our Redis key for the last verification (same `${prefix}:…` convention as infra/redis.ts). */
export const auditVerifyKey = (prefix: string) => `${prefix}:audit:verify:last`;

/** Keeps a verification as the chain's last known status (shown by the console, whoever ran it). */
export async function recordAuditVerification(deps: Pick<Deps, 'redis' | 'config' | 'events'>, v: TAuditVerification): Promise<void> {
  await deps.redis.set(auditVerifyKey(deps.config.REDIS_PREFIX), JSON.stringify(v));
  await deps.events.publish('audit');
}

/** Verifies the chain and keeps the result for the console. */
export async function verifyAndRecordAuditChain(deps: Pick<Deps, 'pool' | 'clock' | 'redis' | 'config' | 'events'>, opts: VerifyOptions): Promise<TAuditVerification> {
  const v = await verifyAuditChain(deps, opts);
  await recordAuditVerification(deps, v);
  return v;
}

/** The last verification (null if none, or unreadable) and how far the chain has grown since. */
export async function auditChainStatus(deps: Pick<Deps, 'pool' | 'redis' | 'config'>): Promise<TAuditChainStatus> {
  const raw = await deps.redis.get(auditVerifyKey(deps.config.REDIS_PREFIX));
  let last: TAuditVerification | null = null;
  try {
    const parsed = raw ? ZAuditVerification.safeParse(JSON.parse(raw)) : null;
    if (parsed?.success) last = parsed.data;
  } catch {
    // not JSON (written by something else): as if never verified
  }
  const { rows } = await deps.pool.query<{ seq: string | null }>('SELECT max(seq)::text AS seq FROM audit_log');
  const headSeq = rows[0]?.seq ?? null;
  return {
    last, headSeq,
    rowsSinceVerified: last ? Math.max(0, Number(headSeq ?? 0) - Number(last.head?.seq ?? 0)) : null,
  };
}
