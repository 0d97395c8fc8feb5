import { defineConfig } from 'vitest/config';

// Two tiers run by `npm test`: unit (pure, fast) and integration (real Postgres + Redis; each file
// makes its own database and Redis key prefix, so files may run side by side).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{packages,workers,apps,scripts}/**/*.test.ts', 'tests/**/*.test.ts'],
          exclude: ['**/node_modules/**', '**/*.integration.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['{packages,workers,apps,scripts}/**/*.integration.test.ts', 'tests/**/*.integration.test.ts'],
          exclude: ['**/node_modules/**'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          maxWorkers: 2,
          // Runs after the unit group (vitest needs distinct groups when maxWorkers differ).
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
