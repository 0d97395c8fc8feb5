// One lint setup for the whole workspace. Beyond the recommended rules, it enforces the layering of
// ARCHITECTURE.md and keeps test helpers and fakes out of production modules.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const TEST_FILES = ['*.config.ts', '**/*.test.ts', '**/*.spec.ts', '**/testing/**', 'e2e/**', 'tests/**', 'bench/**'];

const noTestImports = {
  patterns: [
    { group: ['**/testing', '**/testing/**', '@ai-trader/*/testing', '**/*.test', '**/*.test.ts', '**/*.spec', '**/e2e/**', '**/fakes/**', '**/fake-*'], message: 'production code must not import test helpers or fakes' },
    { group: ['vitest', '@playwright/test'], message: 'test frameworks belong in test files only' },
  ],
};

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/.next/**', '**/.next-*/**', '**/generated/**', '**/dist/**', 'test-results/**', 'playwright-report/**', '**/next-env.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', crypto: 'readonly', fetch: 'readonly', Response: 'readonly', Request: 'readonly', Headers: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', WebAssembly: 'readonly', FormData: 'readonly', HTMLDialogElement: 'readonly', HTMLFormElement: 'readonly', NodeJS: 'readonly', performance: 'readonly', URLSearchParams: 'readonly', structuredClone: 'readonly', queueMicrotask: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-restricted-imports': ['error', noTestImports],
      // The console's bundler leaves import.meta.dirname undefined: a module computing a path from it at load fails every
      // route that imports it. path.dirname(fileURLToPath(import.meta.url)) works under tsx and Next alike.
      'no-restricted-syntax': ['error', { selector: "MemberExpression[object.type='MetaProperty'][property.name=/^(dirname|filename)$/]", message: 'import.meta.dirname/filename is undefined in the console bundle: use path.dirname(fileURLToPath(import.meta.url))' }],
    },
  },
  // Layering: domain is pure; contracts depend on nothing of ours.
  {
    files: ['packages/domain/src/**/*.ts'],
    ignores: TEST_FILES,
    rules: { 'no-restricted-imports': ['error', { patterns: [...noTestImports.patterns, { group: ['@ai-trader/db', '@ai-trader/core', '@ai-trader/adapters', '@ai-trader/api', 'ioredis', 'bullmq', 'pg', '@prisma/*', 'node:fs', 'node:net', 'node:http'], message: 'domain is pure: no I/O, no infrastructure' }] }] },
  },
  {
    files: ['packages/contracts/src/**/*.ts'],
    ignores: TEST_FILES,
    rules: { 'no-restricted-imports': ['error', { patterns: [...noTestImports.patterns, { group: ['@ai-trader/*'], message: 'contracts depend on no other package of ours' }] }] },
  },
  // Run by Node directly, never bundled: import.meta.dirname is fine there.
  { files: ['**/*.config.ts', 'prisma/**', 'scripts/**'], rules: { 'no-restricted-syntax': 'off' } },
  // Tests may import helpers and frameworks.
  { files: TEST_FILES, rules: { 'no-restricted-imports': 'off', 'no-restricted-syntax': 'off', 'no-empty-pattern': 'off' } },
);
