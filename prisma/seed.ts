// Demo seed: makes sure the demo admin exists with the given password and that the books have their
// starting rows. Safe to run on every start; it never touches trading data.
import { ConfigError, parseConfig } from '@ai-trader/contracts';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigFileError, parseYamlConfig } from '@ai-trader/adapters';
import { upsertPasswordUser } from '@ai-trader/api';
import { ZStrategiesFile } from '@ai-trader/contracts';
import { seedStrategies } from '@ai-trader/core';
import { createPrisma } from '@ai-trader/db';

const STRATEGIES_FILE = path.resolve(import.meta.dirname, '../ops/strategies.yaml');

async function main() {
  const config = parseConfig(process.env);
  const password = config.DEMO_ADMIN_PASSWORD;
  if (!password) throw new ConfigError('DEMO_ADMIN_PASSWORD', 'is required to seed the demo admin (npm start creates one in .run/)');
  const prisma = createPrisma(config.DATABASE_URL, { max: 2 });
  try {
    const cash = config.SIM_STARTING_CASH;
    await prisma.portfolioAccount.upsert({ where: { id: 1 }, create: { id: 1, cash, startingCash: cash }, update: {} });
    const r = await upsertPasswordUser(prisma, { email: config.DEMO_ADMIN_EMAIL, name: 'Demo Admin', password, role: 'admin' });
    console.log(`${r.created ? 'created' : 'updated'} demo admin ${config.DEMO_ADMIN_EMAIL}`);
    const file = parseYamlConfig(readFileSync(STRATEGIES_FILE, 'utf8'), 'ops/strategies.yaml', ZStrategiesFile);
    const created = await seedStrategies({ prisma, events: { publish: async () => undefined } }, file.strategies);
    console.log(created.length ? `seeded strategies ${created.join(', ')} from ops/strategies.yaml` : 'strategies already seeded');
  } finally {
    await prisma.$disconnect();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof ConfigError || e instanceof ConfigFileError ? e.message : `seed failed: ${e instanceof Error ? (e.message.trim().split("\n").at(-1) ?? e.message) : String(e)}`);
  process.exit(1);
});
