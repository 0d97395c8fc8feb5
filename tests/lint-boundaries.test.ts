// Proves the lint rules that guard the architecture really fire: a production module importing a test
// helper, a fake or a test framework is an error; the same import in a test file is allowed.
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: path.resolve(import.meta.dirname, '..') });
const lint = async (file: string, code: string) => (await eslint.lintText(code, { filePath: file }))[0]!.messages.map((m) => m.message);

describe('import boundaries', () => {
  it('refuses test helpers and fakes in production modules', async () => {
    expect(await lint('packages/core/src/use-cases/x.ts', "import { createTestDatabase } from '@ai-trader/db/testing';\nexport const x = createTestDatabase;\n"))
      .toContain('\'@ai-trader/db/testing\' import is restricted from being used by a pattern. production code must not import test helpers or fakes');
    expect((await lint('workers/src/x.ts', "import { FakeBroker } from '../fakes/broker';\nexport const x = FakeBroker;\n")).join()).toMatch(/must not import test helpers or fakes/);
    expect((await lint('apps/console/src/lib/x.ts', "import { it } from 'vitest';\nexport const x = it;\n")).join()).toMatch(/test frameworks belong in test files only/);
  });

  it('keeps the domain free of infrastructure', async () => {
    expect((await lint('packages/domain/src/x.ts', "import { Redis } from 'ioredis';\nexport const x = Redis;\n")).join()).toMatch(/domain is pure/);
  });

  it('refuses import.meta.dirname in production modules (undefined in the console bundle), not in tests', async () => {
    expect((await lint('packages/adapters/src/x.ts', "import path from 'node:path';\nexport const f = path.resolve(import.meta.dirname, 'a.yaml');\n")).join()).toMatch(/undefined in the console bundle/);
    expect(await lint('tests/x.test.ts', "import path from 'node:path';\nexport const f = path.resolve(import.meta.dirname, 'a.yaml');\n")).toEqual([]);
  });

  it('allows the same imports in tests', async () => {
    expect(await lint('packages/core/src/use-cases/x.integration.test.ts', "import { createTestDatabase } from '@ai-trader/db/testing';\nexport const x = createTestDatabase;\n")).toEqual([]);
  });

  it('finds no violation in the code as it stands', async () => {
    const results = await eslint.lintFiles(['packages', 'workers', 'apps', 'prisma']);
    const bad = results.flatMap((r) => r.messages.filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-syntax').map((m) => `${r.filePath}:${m.line} ${m.message}`));
    expect(bad).toEqual([]);
  }, 120_000); // lints the whole tree: tens of seconds on a busy 2-core machine
});
