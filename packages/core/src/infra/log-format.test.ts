// Which runbook files a line goes to, its JSON record and its runbook line form (pure: no files).
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { fileCategory, fileRecord, filesFor, marketTimestamp, parseLine, prettyLine } from './log-format.ts';

const at = Date.parse('2024-01-02T14:30:15Z'); // 09:30:15 in New York (EST)

describe('log files', () => {
  it('maps each kind of line to its runbook file, every line to ai_trader.log', () => {
    const f = (o: Record<string, unknown>) => filesFor({ level: 30, ...o });
    expect(f({ category: 'orders', clientOrderId: 'ait-1' })).toEqual(['ai_trader.log', 'trading/orders.log']);
    expect(f({ intentId: 'i' })).toEqual(['ai_trader.log', 'trading/orders.log']); // by its ids, as the Logs page does
    expect(f({ category: 'positions' })).toEqual(['ai_trader.log', 'trading/positions.log']);
    expect(f({ category: 'risk', signalId: 's' })).toEqual(['ai_trader.log', 'trading/risk.log']);
    expect(f({ category: 'backfill', backfillRun: 'r', stage: 'market_data' })).toEqual(['ai_trader.log', 'backfill/market_data.log']);
    expect(f({ category: 'backfill', stage: 'news' })).toEqual(['ai_trader.log', 'backfill/news.log']);
    expect(filesFor({ level: 40, category: 'backfill', stage: 'news', err: { message: 'x' } })).toEqual(['ai_trader.log', 'backfill/errors.log', 'errors/exceptions.log']);
    expect(f({ category: 'scanner', layer: 'layer0' })).toEqual(['ai_trader.log', 'scanner/layer0.log']);
    expect(f({ category: 'scanner', layer: 'layer1' })).toEqual(['ai_trader.log', 'scanner/layer1.log']);
    expect(f({ category: 'scanner.alerts', layer: 'layer1' })).toEqual(['ai_trader.log', 'scanner/alerts.log']);
    expect(f({ category: 'data' })).toEqual(['ai_trader.log']);
    expect(f({ msg: 'workers started' })).toEqual(['ai_trader.log']);
  });

  it('sends errors, warnings with an err and critical lines to errors/', () => {
    expect(filesFor({ level: 40, msg: 'slow' })).toEqual(['ai_trader.log']);
    expect(filesFor({ level: 40, err: { message: 'boom' } })).toEqual(['ai_trader.log', 'errors/exceptions.log']);
    expect(filesFor({ level: 50, category: 'orders' })).toEqual(['ai_trader.log', 'trading/orders.log', 'errors/exceptions.log']);
    expect(filesFor({ level: 60 })).toEqual(['ai_trader.log', 'errors/exceptions.log', 'errors/critical.log']);
    // raiseAlert logs a critical alert at error with its own `level: 'critical'`, which parseLine keeps as levelField.
    const alert = parseLine('{"level":50,"time":1,"alert":"breaker.daily_loss","source":"risk","level":"critical","msg":"ALERT x"}')!;
    expect(alert.level).toBe(50);
    expect(filesFor(alert)).toEqual(['ai_trader.log', 'trading/risk.log', 'errors/exceptions.log', 'errors/critical.log']);
  });

  it('writes a JSON record with ISO UTC time, level label, category and the ids first', () => {
    const o = parseLine(JSON.stringify({ level: 30, time: at, pid: 1, name: 'workers', category: 'scanner', layer: 'layer1', clientOrderId: 'c', signalId: 's', msg: 'm' }))!;
    const r = fileRecord(o);
    expect(Object.keys(r).slice(0, 7)).toEqual(['time', 'level', 'category', 'name', 'msg', 'signalId', 'clientOrderId']);
    expect(r).toMatchObject({ time: '2024-01-02T14:30:15.000Z', level: 'info', category: 'scanner.layer1', pid: 1, layer: 'layer1' });
    // A stop's own `level` (a price) does not hide pino's level.
    const stop = parseLine('{"level":30,"time":1,"level":"597.1","msg":"stop loss"}', 30)!;
    expect(fileRecord(stop)).toMatchObject({ level: 'info', levelField: '597.1' });
    expect(fileCategory({ category: 'backfill', level: 50 })).toBe('backfill.errors');
  });

  it('prints the runbook line form in New York market time, which its awk recipe reads', () => {
    expect(marketTimestamp(new Date('2024-07-01T13:30:00Z'))).toBe('2024-07-01 09:30:00'); // EDT
    const line = prettyLine({ level: 30, time: at, msg: 'Order executed: BUY 100 AAPL @ 150.25', signalId: 's1', clientOrderId: 'ait-9' });
    expect(line).toBe('INFO [2024-01-02 09:30:15] Order executed: BUY 100 AAPL @ 150.25 signalId=s1 clientOrderId=ait-9');
    expect(line).toMatch(/^(TRACE|DEBUG|INFO|WARN|ERROR|FATAL) \[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\] /);
    const awk = execFileSync('awk', ['/Order executed/ {print $6, $7}'], { input: `${line}\n${prettyLine({ level: 30, time: at, msg: 'Order submitted: BUY 100 AAPL' })}\n` }).toString();
    expect(awk).toBe('BUY 100\n');
    expect(prettyLine({ level: 50, time: at, msg: 'a\nb', err: { message: 'boom' } })).toBe('ERROR [2024-01-02 09:30:15] a\\nb err="boom"');
  });
});

describe('LOG_DIR', () => {
  it('defaults to logs/ at the workspace root from any package directory, none in tests; off or empty: none', async () => {
    const path = await import('node:path');
    const { resolveLogDir } = await import('./log-files.ts');
    const root = path.resolve(import.meta.dirname, '../../../..');
    for (const cwd of [root, path.join(root, 'workers'), path.join(root, 'apps/console')])
      expect(resolveLogDir({ NODE_ENV: 'production' }, cwd)).toBe(path.join(root, 'logs'));
    expect(resolveLogDir({ NODE_ENV: 'test' }, root)).toBeNull();
    expect(resolveLogDir({ NODE_ENV: 'production', LOG_DIR: 'off' }, root)).toBeNull();
    expect(resolveLogDir({ NODE_ENV: 'development', LOG_DIR: '' }, root)).toBeNull();
    expect(resolveLogDir({ NODE_ENV: 'test', LOG_DIR: '/var/log/ai-trader' }, root)).toBe('/var/log/ai-trader');
    expect(resolveLogDir({ NODE_ENV: 'production', LOG_DIR: 'var/logs' }, path.join(root, 'workers'))).toBe(path.join(root, 'workers/var/logs'));
  });
});
