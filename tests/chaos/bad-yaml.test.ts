// Bad job definitions (ops/job-definitions.yaml) through the scheduler's loader: hand-made hostile files (alias
// bombs, deep nesting, tabs, duplicate keys, binary) and seeded random corruptions of the real file. Every answer
// is the parsed definitions or a ConfigFileError whose every line is `file:line:column: reason` inside the file —
// never another exception (which would end the scheduler with a stack trace instead of a line to fix).
// CHAOS_SEED reproduces the random part; CHAOS_FULL=1 runs more of it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigFileError, DEFAULT_JOB_DEFINITIONS_FILE, parseJobDefinitions } from '@ai-trader/adapters';
import { seeded } from './zod-fuzz.ts';

const FULL = process.env.CHAOS_FULL === '1';
const SEED = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const FILE = 'ops/job-definitions.yaml';
const REAL = readFileSync(DEFAULT_JOB_DEFINITIONS_FILE, 'utf8');

/** 'ok' or the error's lines; anything but a ConfigFileError naming line and column fails the test. */
function load(text: string, label: string): 'ok' | string[] {
  try {
    parseJobDefinitions(text, FILE);
    return 'ok';
  } catch (e) {
    if (!(e instanceof ConfigFileError)) throw new Error(`${label}: ${(e as Error).name}: ${(e as Error).message.slice(0, 300)} (not a ConfigFileError)`, { cause: e });
    // Every problem at a real place in the file, with a reason (a quoted key may itself hold a line break).
    const count = text.split('\n').length;
    expect(e.problems.length, label).toBeGreaterThan(0);
    for (const p of e.problems) {
      expect(p.line >= 1 && p.line <= count + 1 && p.column >= 1, `${label}: ${p.line}:${p.column}: ${p.message}`).toBe(true);
      expect(p.message, label).toMatch(/\S/);
    }
    expect(e.message, label).toMatch(/^ops\/job-definitions\.yaml:\d+:\d+: \S/);
    return e.message.split('\n');
  }
}

describe('bad job definition files', () => {
  it('the real file loads', () => {
    expect(load(REAL, 'real')).toBe('ok');
  });

  it('hostile files: refused with a line and column, never a crash', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 9 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`), 'jobs: *j'].join('\n');
    const cases: Array<[string, string]> = [
      ['empty', ''],
      ['a scalar', 'just text'],
      ['a list', '- a\n- b'],
      ['binary', Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 131) % 256)).toString('latin1')],
      ['billion laughs', bomb],
      ['alias bomb under jobs', bomb.replace('jobs: *j', 'jobs: { x: { queue: monitor.reconcile, payload: *j } }')],
      ['deep nesting', 'jobs: ' + '['.repeat(5000) + ']'.repeat(5000)],
      ['deep maps', 'jobs:\n' + Array.from({ length: 300 }, (_, i) => ' '.repeat(i + 1) + `k${i}:`).join('\n') + ' 1'],
      ['tabs for indentation', REAL.replace(/\n {2}(\w)/g, '\n\t$1')],
      ['duplicate job', REAL + '\n  reconciliation:\n    queue: monitor.reconcile\n'],
      ['unknown top-level key', REAL + '\nextra: 1\n'],
      ['a 1 MB description', REAL.replace(/description: [^\n]*/, `description: ${'x'.repeat(1024 * 1024)}`)],
      ['a NUL byte', REAL.replace('queue:', 'que\u0000ue:')],
      ['__proto__ job', 'jobs:\n  __proto__:\n    description: d\n    queue: monitor.reconcile\n'],
      ['constructor payload', 'jobs:\n  x:\n    description: d\n    queue: monitor.reconcile\n    payload: { constructor: { prototype: { polluted: true } } }\n'],
      ['huge cron', 'jobs:\n  x:\n    description: d\n    queue: monitor.reconcile\n    cron: "' + '1,'.repeat(20_000) + '1 * * * *"\n'],
      ['every NaN', 'jobs:\n  x:\n    description: d\n    queue: monitor.reconcile\n    every: .nan\n'],
      ['every enormous', 'jobs:\n  x:\n    description: d\n    queue: monitor.reconcile\n    every: 99999999999999999999h\n'],
      ['a self dependency', 'jobs:\n  x:\n    description: d\n    queue: monitor.reconcile\n    depends_on: [x]\n'],
      ['a YAML tag', 'jobs:\n  x: !!js/function "function () { return 1 }"\n'],
      ['CRLF and BOM', '\uFEFF' + REAL.replace(/\n/g, '\r\n')],
    ];
    const shown: string[] = [];
    for (const [label, text] of cases) {
      const r = load(text, label);
      shown.push(`${label}: ${r === 'ok' ? 'ok' : r[0]!.slice(0, 140)}`);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // Keys a plain object treats specially are refused where they stand, not dropped on the way to one.
    expect(load('jobs:\n  __proto__:\n    description: d\n    queue: monitor.reconcile\n', 'proto')).toEqual([`${FILE}:2:3: a key named __proto__ is not allowed`]);
    expect(load('jobs:\n  x:\n    description: d\n    queue: monitor.reconcile\n    payload: { constructor: 1 }\n', 'ctor')).toEqual([`${FILE}:5:16: a key named constructor is not allowed`]);
    console.log(`[chaos] bad YAML:\n  ${shown.join('\n  ')}`);
  }, 60_000);

  it(`seeded random corruptions of the real file: loaded or refused with line and column (seed ${SEED})`, () => {
    const rand = seeded(SEED);
    const noise = [':', ' ', '\n', '-', '[', ']', '{', '}', '&a', '*a', '"', "'", '#', '\t', '!!', '|', '>', '?', ',', '0', 'x'];
    let refused = 0, loaded = 0;
    for (let k = 0; k < (FULL ? 2000 : 150); k++) {
      let text = REAL;
      for (let m = 0, edits = 1 + Math.floor(rand() * 6); m < edits; m++) {
        const at = Math.floor(rand() * text.length);
        const op = rand();
        const piece = noise[Math.floor(rand() * noise.length)]!;
        if (op < 0.4) text = text.slice(0, at) + piece + text.slice(at);
        else if (op < 0.7) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(rand() * 20));
        else text = text.slice(0, at) + piece + text.slice(at + 1);
      }
      if (load(text, `seed ${SEED} case ${k}`) === 'ok') loaded++;
      else refused++;
    }
    console.log(`[chaos] bad YAML: ${loaded + refused} random corruptions (seed ${SEED}): ${refused} refused with line and column, ${loaded} still valid`);
    expect(refused).toBeGreaterThan(0);
  }, FULL ? 600_000 : 60_000);
});
