// Broker-side exits on the Alpaca adapter (the local Alpaca-compatible server), with the pipeline's roles: an entry's
// fill places ONE protective stop at the broker (GTC, our client order id); the broker executes it when its price falls
// through; a take-profit seen in the bars cancels it before the engine's market exit; a stop the broker did not execute
// is taken over on the next bar (critical alert, cancel, market exit); a second entry replaces it for the larger position.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { startFakeAlpaca, type FakeAlpaca } from '@ai-trader/adapters/testing/fake-alpaca';
import { clientOrderIdFor, EXITS_STRATEGY, ingestBar, pipelineIdle, PROTECTIVE_STOP } from '@ai-trader/core';
import type { TExits } from '@ai-trader/contracts';
import { startPipeline, type Pipeline } from './pipeline.ts';

const KEY = `PK${randomBytes(8).toString('hex').toUpperCase()}`;
const SECRET = `sk-${randomBytes(16).toString('hex')}`;
const FIVE_MIN = 300_000;
// Bars after every fill of the test (the watch judges only bars that begin after the arming fill).
const BASE = Math.ceil(Date.now() / FIVE_MIN) * FIVE_MIN + 12 * FIVE_MIN;
const barTs = (k: number) => new Date(BASE + k * FIVE_MIN).toISOString();

describe('broker-side exits on Alpaca', () => {
  let rt: TestRuntime;
  let fake: FakeAlpaca;
  let pipeline: Pipeline;
  beforeAll(async () => {
    fake = await startFakeAlpaca({ keyId: KEY, secretKey: SECRET, prices: Object.fromEntries(['SPY', 'QQQ', 'IWM', 'DIA', 'XLK', 'XLE', 'XLF'].map((x) => [x, '100'])), cash: '100000' });
    rt = await createTestRuntime('alpacaexits', {
      BROKER: 'alpaca', ALPACA_KEY_ID: KEY, ALPACA_SECRET_KEY: SECRET, ALPACA_BASE_URL: fake.restUrl, ALPACA_STREAM_URL: fake.wsUrl, ORDER_NOTIONAL: '1000',
    });
    pipeline = await startPipeline(rt, ['ingest', 'scoring', 'risk', 'execution', 'broker', 'portfolio']);
  });
  afterAll(async () => {
    await pipeline?.close();
    await rt?.cleanup();
    await fake?.close();
  });

  const p = () => rt.deps.prisma;
  const waitFor = async (what: string, cond: () => Promise<boolean> | boolean, ms = 30_000) => {
    for (const end = Date.now() + ms; !(await cond()); await new Promise((r) => setTimeout(r, 50)))
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
  };
  const settled = () => waitFor('the pipeline to be idle', () => pipelineIdle(rt.queues.queues));
  const bar = (symbol: string, k: number, o: string, h: string, l: string, c: string) =>
    ingestBar(rt.deps, { symbol, timeframe: '5m', ts: barTs(k), open: o, high: h, low: l, close: c, volume: '10000', source: 'test' });
  const sells = (symbol: string) => fake.orders().filter((o) => o.symbol === symbol && o.side === 'sell');
  const qty = async (symbol: string) => (await p().position.findUnique({ where: { symbol } }))?.qty.toFixed() ?? '0';
  const protectiveIntents = (symbol: string) => p().orderIntent.findMany({ where: { symbol, exitReason: PROTECTIVE_STOP }, orderBy: { createdAt: 'asc' } });

  /** A BUY at 100 (10 shares) with these exits, after a fresh bar of the symbol; resolves once it is held. */
  async function enter(symbol: string, k: number, exits: TExits, held: string) {
    await bar(symbol, k, '100', '100.2', '99.8', '100');
    const s = await p().signal.create({ data: { strategy: 'manual', symbol, barTs: new Date(barTs(k)), side: 'BUY', price: '100', detail: { reason: 'test entry', exits } } });
    await rt.deps.jobs.add('risk.check', { signalId: s.id });
    await waitFor(`${symbol} position of ${held}`, async () => (await qty(symbol)) === held);
  }
  /** Waits for one open protective SELL at the fake for `qty` shares and returns it. */
  async function protectiveAtBroker(symbol: string, shares: string) {
    await waitFor(`a protective order for ${shares} ${symbol} at the broker`, () => sells(symbol).some((o) => o.status === 'new' && o.qty === shares));
    await settled();
    const open = sells(symbol).filter((o) => o.status === 'new');
    expect(open).toHaveLength(1);
    return open[0]!;
  }

  it('(a) places one protective stop after the entry fills, and (b) the broker executes it: flat, no other SELL', async () => {
    await enter('SPY', 0, { stopLossPct: 2, takeProfitPct: 4 }, '10');
    const stop = await protectiveAtBroker('SPY', '10');
    const [intent] = await protectiveIntents('SPY');
    expect(intent).toMatchObject({ side: 'SELL', orderType: 'stop', isEntry: false, status: 'SUBMITTED' });
    expect(intent!.stopLoss?.toFixed()).toBe('98');
    expect(stop).toMatchObject({ type: 'stop', stop_price: '98', time_in_force: 'gtc', qty: '10', client_order_id: clientOrderIdFor(intent!.id) });
    expect(stop.client_order_id).toMatch(/^ait-/);
    expect(sells('SPY')).toHaveLength(1);
    expect((await p().order.findUniqueOrThrow({ where: { intentId: intent!.id } })).type).toBe('stop');

    // (b) The price falls through the stop at the broker: it fills there and the stream books it.
    fake.setPrice('SPY', '97.5');
    await waitFor('SPY flat', async () => (await qty('SPY')) === '0');
    // The bars show the same fall; the watch sends nothing for a flat position.
    await bar('SPY', 1, '99', '99.2', '97.4', '97.5');
    await bar('SPY', 2, '97.5', '97.8', '97.3', '97.6');
    await settled();
    expect(sells('SPY').map((o) => `${o.type} ${o.status} ${o.filled_avg_price}`)).toEqual(['stop filled 97.5']);
    expect(await p().signal.count({ where: { symbol: 'SPY', strategy: EXITS_STRATEGY } })).toBe(1); // the protective one
    const fills = await p().fill.findMany({ where: { symbol: 'SPY', side: 'SELL' } });
    expect(fills.map((f) => `${f.qty.toFixed()} @${f.price.toFixed()}`)).toEqual(['10 @97.5']);
    expect(await p().order.findUniqueOrThrow({ where: { intentId: intent!.id } })).toMatchObject({ status: 'filled' });
  }, 120_000);

  it('(c) a take-profit seen in the bars cancels the protective stop first, then sells at market: one SELL executed', async () => {
    await enter('QQQ', 0, { stopLossPct: 2, takeProfitPct: 4 }, '10');
    const stop = await protectiveAtBroker('QQQ', '10');
    fake.setPrice('QQQ', '104.2'); // above the stop: the broker does nothing
    await bar('QQQ', 1, '101', '104.5', '100.9', '104.2');
    await waitFor('QQQ flat', async () => (await qty('QQQ')) === '0');
    await settled();
    expect(sells('QQQ').map((o) => `${o.type} ${o.status}`)).toEqual(['stop canceled', 'market filled']);
    expect(sells('QQQ')[0]!.id).toBe(stop.id);
    const fills = await p().fill.findMany({ where: { symbol: 'QQQ', side: 'SELL' } });
    expect(fills.map((f) => `${f.qty.toFixed()} @${f.price.toFixed()}`)).toEqual(['10 @104.2']);
    const exits = await p().orderIntent.findMany({ where: { symbol: 'QQQ', side: 'SELL' }, include: { order: true }, orderBy: { createdAt: 'asc' } });
    expect(exits.map((i) => `${i.exitReason} ${i.orderType} ${i.order?.status}`)).toEqual(['protective_stop stop canceled', 'take_profit market filled']);
    expect(await p().alert.count({ where: { key: { startsWith: 'exits.' } } })).toBe(0);
  }, 120_000);

  it('(d) a stop crossed in the bars that the broker did not execute: next bar, critical alert, cancel, market exit', async () => {
    await enter('IWM', 0, { stopLossPct: 2 }, '10');
    const stop = await protectiveAtBroker('IWM', '10');
    // The bars cross the stop; the broker's price never does (it fails to execute).
    await bar('IWM', 1, '99', '99.5', '97.5', '98.5');
    await settled();
    const [seen] = await protectiveIntents('IWM');
    expect(seen!.triggerSeenAt?.toISOString()).toBe(barTs(1));
    expect(sells('IWM').map((o) => `${o.type} ${o.status}`)).toEqual(['stop new']); // the broker's to execute: nothing sent
    expect(await qty('IWM')).toBe('10');
    expect(await p().alert.count({ where: { key: { startsWith: 'exits.' } } })).toBe(0);

    fake.setPrice('IWM', '98.6');
    await bar('IWM', 2, '98.5', '98.8', '98.2', '98.6');
    await waitFor('IWM flat', async () => (await qty('IWM')) === '0');
    await settled();
    const alert = await p().alert.findFirstOrThrow({ where: { key: `exits.broker-stop:${stop.client_order_id}` } });
    expect(alert).toMatchObject({ level: 'critical', source: 'exits' });
    expect(alert.message).toContain('broker-side stop of IWM did not execute');
    expect(sells('IWM').map((o) => `${o.type} ${o.status} ${o.filled_avg_price}`)).toEqual(['stop canceled null', 'market filled 98.6']);
    const exits = await p().orderIntent.findMany({ where: { symbol: 'IWM', side: 'SELL' }, include: { order: true }, orderBy: { createdAt: 'asc' } });
    expect(exits.map((i) => `${i.exitReason} ${i.orderType} ${i.order?.status}`)).toEqual(['protective_stop stop canceled', 'stop_loss market filled']);
  }, 120_000);

  it('(e) a trailing stop goes as trailing_stop; a second entry replaces it for the whole position; the broker trails and executes it', async () => {
    await enter('DIA', 0, { trailingStopPct: 3, takeProfitPct: 10 }, '10');
    const first = await protectiveAtBroker('DIA', '10');
    expect(first).toMatchObject({ type: 'trailing_stop', trail_percent: '3', time_in_force: 'gtc', stop_price: '97' });

    await enter('DIA', 1, { trailingStopPct: 3, takeProfitPct: 10 }, '20');
    const second = await protectiveAtBroker('DIA', '20');
    expect(second).toMatchObject({ type: 'trailing_stop', trail_percent: '3' });
    expect(fake.orders().find((o) => o.id === first.id)?.status).toBe('canceled');
    const intents = await protectiveIntents('DIA');
    expect(intents.map((i) => `${i.qty.toFixed()} ${i.orderType} ${i.trailPct?.toFixed()}`)).toEqual(['10 trailing_stop 3', '20 trailing_stop 3']);
    expect(second.client_order_id).toBe(clientOrderIdFor(intents[1]!.id));

    fake.setPrice('DIA', '104'); // raises its high-water mark: stop 100.88
    expect(fake.orders().find((o) => o.id === second.id)).toMatchObject({ hwm: '104', stop_price: '100.88', status: 'new' });
    fake.setPrice('DIA', '100.5');
    await waitFor('DIA flat', async () => (await qty('DIA')) === '0');
    await settled();
    expect(sells('DIA').map((o) => `${o.type} ${o.qty} ${o.status}`)).toEqual(['trailing_stop 10 canceled', 'trailing_stop 20 filled']);
    const fills = await p().fill.findMany({ where: { symbol: 'DIA', side: 'SELL' } });
    expect(fills.map((f) => `${f.qty.toFixed()} @${f.price.toFixed()}`)).toEqual(['20 @100.5']);
  }, 120_000);

  it('(f) a strategy SELL while the protective stop works: the stop is cancelled at the broker first, then the SELL goes', async () => {
    await enter('XLK', 0, { stopLossPct: 2 }, '10');
    await protectiveAtBroker('XLK', '10');
    await bar('XLK', 1, '100', '100.6', '99.9', '100.5');
    const s = await p().signal.create({ data: { strategy: 'manual', symbol: 'XLK', barTs: new Date(barTs(1)), side: 'SELL', price: '100.5', detail: { reason: 'test exit' } } });
    await rt.deps.jobs.add('risk.check', { signalId: s.id });
    await waitFor('XLK flat', async () => (await qty('XLK')) === '0');
    await settled();
    expect(sells('XLK').map((o) => `${o.type} ${o.status}`)).toEqual(['stop canceled', 'market filled']);
    const exits = await p().orderIntent.findMany({ where: { symbol: 'XLK', side: 'SELL' }, include: { order: true }, orderBy: { createdAt: 'asc' } });
    expect(exits.map((i) => `${i.exitReason} ${i.qty.toFixed()} ${i.order?.status}`)).toEqual(['protective_stop 10 canceled', 'signal 10 filled']);
  }, 120_000);

  it('(g) the protective stop filled at the broker before our books knew: a take-profit or a strategy SELL sends nothing', async () => {
    await enter('XLE', 0, { stopLossPct: 2, takeProfitPct: 4 }, '10');
    await enter('XLF', 0, { stopLossPct: 2 }, '10');
    await protectiveAtBroker('XLE', '10');
    await protectiveAtBroker('XLF', '10');
    fake.setStreamAvailable(false); // the fills below reach us only through the gap repair
    fake.setPrice('XLE', '97.5');
    fake.setPrice('XLF', '97.5');
    expect(fake.positions().filter((x) => x.symbol === 'XLE' || x.symbol === 'XLF')).toEqual([]);
    // XLE: the bars show the take-profit (and not the stop); the cancel finds the stop filled.
    await bar('XLE', 1, '100', '104.5', '99.9', '104');
    // XLF: a strategy's SELL; its submission finds the stop filled.
    await bar('XLF', 1, '100', '100.2', '99.9', '100');
    const s = await p().signal.create({ data: { strategy: 'manual', symbol: 'XLF', barTs: new Date(barTs(1)), side: 'SELL', price: '100', detail: { reason: 'test exit' } } });
    await rt.deps.jobs.add('risk.check', { signalId: s.id });
    await waitFor('the XLF exit to be decided', async () => (await p().orderIntent.count({ where: { symbol: 'XLF', exitReason: 'signal', status: { not: 'PENDING' } } })) === 1);
    await settled();
    expect(await p().orderIntent.findFirstOrThrow({ where: { symbol: 'XLF', exitReason: 'signal' } })).toMatchObject({ status: 'BLOCKED', statusReason: expect.stringContaining('protective stop filled first') });
    expect(await p().signal.count({ where: { symbol: 'XLE', strategy: EXITS_STRATEGY } })).toBe(1); // the protective one: no take-profit exit
    fake.setStreamAvailable(true);
    await waitFor('XLE and XLF flat', async () => (await qty('XLE')) === '0' && (await qty('XLF')) === '0');
    await settled();
    for (const x of ['XLE', 'XLF']) expect(sells(x).map((o) => `${o.type} ${o.status} ${o.filled_avg_price}`)).toEqual(['stop filled 97.5']);
  }, 120_000);
});
