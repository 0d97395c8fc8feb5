// The category and level the log store gives a pino line (pure: no Redis).
import { describe, expect, it } from 'vitest';
import { logCategory, toLogEntry } from './log-store.ts';

const line = (o: Record<string, unknown>) => JSON.stringify({ level: 30, time: 1, pid: 1, hostname: 'h', name: 'workers', ...o, msg: 'm' });

describe('log categories', () => {
  it('takes the line’s own category, ignoring an unknown one', () => {
    expect(logCategory({ category: 'orders' })).toBe('orders');
    expect(logCategory({ category: 'positions', clientOrderId: 'x' })).toBe('positions');
    expect(logCategory({ category: 'nonsense' })).toBe('system');
  });

  it('falls back to bindings and fields, else system', () => {
    expect(logCategory({ scannerRun: 'r1', layer: 'layer0' })).toBe('scanner');
    expect(logCategory({ backfillRun: 'r1' })).toBe('backfill');
    expect(logCategory({ queue: 'execution.submit', jobId: 'j' })).toBe('orders');
    expect(logCategory({ queue: 'risk.check' })).toBe('risk');
    expect(logCategory({ queue: 'portfolio.apply' })).toBe('positions');
    expect(logCategory({ queue: 'backfill.chunk' })).toBe('backfill');
    expect(logCategory({ queue: 'ingest.bars' })).toBe('data');
    expect(logCategory({ alert: 'breaker.drawdown:2025-06-04', source: 'risk' })).toBe('risk');
    expect(logCategory({ alert: 'feed.stale:SPY:5m', source: 'market-data' })).toBe('data');
    expect(logCategory({ alert: 'feed.stale:SPY:5m', resolution: 'fresh again' })).toBe('data');
    expect(logCategory({ alert: 'reconcile.drift', resolution: 'clean' })).toBe('positions');
    expect(logCategory({ intentId: 'i1' })).toBe('orders');
    expect(logCategory({ signalId: 's1', code: 'NO_POSITION_TO_EXIT' })).toBe('risk');
    expect(logCategory({ name: 'workers', pid: 1 })).toBe('system');
  });

  it('reads the level pino wrote first, not a later `level` field of the log object', () => {
    // raiseAlert logs { level: 'critical' } inside an error line: JSON.parse would keep the string.
    const raw = `{"level":50,"time":1,"name":"workers","alert":"k","source":"risk","level":"critical","msg":"ALERT x"}\n`;
    expect(toLogEntry(raw)).toEqual({ level: 50, category: 'risk', line: raw.trimEnd() });
    expect(toLogEntry(line({ category: 'data' }), 40).level).toBe(40);
  });

  it('keeps a line that is not JSON as text, and cuts a huge one', () => {
    expect(toLogEntry('plain text')).toEqual({ level: 30, category: 'system', line: 'plain text' });
    const big = toLogEntry(line({ blob: 'x'.repeat(100_000) }));
    expect(big.line.length).toBeLessThan(33_000);
    expect(big.line.endsWith('…[cut]')).toBe(true);
  });
});
