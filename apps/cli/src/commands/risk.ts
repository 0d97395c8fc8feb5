// `ai-trader risk check --symbol AAPL --side BUY [--price P] [--notional N]`: would this order pass risk
// now, and if not, why — the same facts and checks as a real decision, nothing written.
import { ZOrderSide, ZSymbol } from '@ai-trader/contracts';
import { whatIfOrder } from '@ai-trader/core';
import type { Command } from 'commander';
import { CliError, type CliContext } from '../context.ts';

const AMOUNT = /^\d+(\.\d+)?$/;

export function registerRisk(program: Command, ctx: () => CliContext) {
  const risk = program.command('risk').description('risk checks');
  risk
    .command('check')
    .description('would this order pass risk now, and if not why (nothing is written)')
    .requiredOption('--symbol <symbol>', 'ticker, e.g. AAPL')
    .requiredOption('--side <side>', 'BUY or SELL')
    .option('--price <price>', 'reference price (default: the last price)')
    .option('--notional <amount>', 'size of an entry (default ORDER_NOTIONAL)')
    .option('--strategy <name>', 'check for a duplicate working order of this strategy')
    .option('--json', 'print JSON')
    .action(async (o: { symbol: string; side: string; price?: string; notional?: string; strategy?: string; json?: boolean }) => {
      if (!ZSymbol.safeParse(o.symbol).success) throw new CliError(`--symbol ${o.symbol}: must be an upper-case ticker like SPY`, 2);
      const side = ZOrderSide.safeParse(o.side.toUpperCase());
      if (!side.success) throw new CliError(`--side ${o.side}: must be BUY or SELL`, 2);
      for (const [k, v] of [['--price', o.price], ['--notional', o.notional]] as const) if (v !== undefined && !AMOUNT.test(v)) throw new CliError(`${k} ${v}: must be an amount like 123.45`, 2);
      let a;
      try {
        a = await whatIfOrder(ctx().runtime().deps, { symbol: o.symbol, side: side.data, ...(o.price ? { price: o.price } : {}), ...(o.notional ? { notional: o.notional } : {}), ...(o.strategy ? { strategy: o.strategy } : {}) });
      } catch (e) {
        if (e instanceof RangeError) throw new CliError(e.message, 2);
        throw e;
      }
      if (o.json) return console.log(JSON.stringify(a, null, 2));
      console.log(a.wouldPass ? `PASS: ${a.message}` : `DENIED ${a.code}: ${a.message}`);
      const f = a.facts;
      console.log(`  state ${f.state}, market ${f.marketOpen ? 'open' : 'closed'}, price ${f.price} (last ${f.lastPrice ?? 'unknown'}${f.stale ? ', stale' : ''}), position ${f.positionQty}, buying power ${f.buyingPower}, gross exposure ${f.grossExposure}, ${f.openOrders} working, ${f.ordersLastMinute} in the last minute`);
      if (!a.wouldPass) process.exitCode = 3;
    });
}
