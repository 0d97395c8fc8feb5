// What e2e/stack.ts started, for the specs: its environment and the seeded admin.
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface Stack {
  env: Record<string, string>;
  admin: { email: string; password: string };
}

export function readStack(): Stack {
  return JSON.parse(readFileSync(path.resolve(import.meta.dirname, '.stack.json'), 'utf8')) as Stack;
}
