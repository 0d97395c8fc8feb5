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
          // A worker process runs file after file with its modules loaded once (each file still makes its own database,
          // Redis prefix and runtime): importing the workspace per file was ~280 s of a ~980 s run. A file must not
          // assume a fresh process (metrics counted so far, the process's role label): tests/metrics takes differences.
          isolate: false,
          // Runs after the unit group (vitest needs distinct groups when maxWorkers differ).
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
