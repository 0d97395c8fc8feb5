// `ai-trader db …`: database maintenance.
import { ensurePartitionsAhead } from '@ai-trader/db';
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';

export function registerDb(program: Command, ctx: () => CliContext) {
  const db = program.command('db').description('database maintenance');
  db.command('partitions')
    .description('create the dated partitions of bars and news ahead of time')
    .option('--days-ahead <n>', 'days ahead of today to cover', (v) => Number(v), 30)
    .option('--from <date>', 'also cover from this date (YYYY-MM-DD)')
    .action(async (o: { daysAhead: number; from?: string }) => {
      const c = ctx();
      const created = await ensurePartitionsAhead(c.pool(), new Date(), o.daysAhead, o.from ? new Date(`${o.from}T00:00:00Z`) : undefined);
      const all = Object.values(created).flat();
      console.log(all.length ? `created ${all.length} partition(s): ${all.join(', ')}` : 'all partitions already exist');
    });
}
