// The CLI as a whole: `ai-trader --help` reads like the runbook (every command in one of its groups, in order, with
// an example); usage errors — commander's own and the commands' — exit 2; an unexpected error is one line, with the
// stack and cause only under --verbose; piped output carries no colour codes.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/processes.ts';

// Commands that get as far as the runtime touch Redis (queue metadata): a prefix of this test's own, removed after.
const PREFIX = `t-runbook-${randomBytes(4).toString('hex')}`;
afterAll(async () => {
  const r = new Redis(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
  const left = await r.keys(`${PREFIX}:*`);
  if (left.length) await r.del(...left);
  r.disconnect();
});

const GROUPS = ['Trading:', 'Emergency:', 'Data:', 'Database:', 'Operations:', 'Security/Audit:'];

describe('ai-trader (the runbook CLI)', () => {
  it('--help lists the commands under the runbook\'s groups, each with an example; usage errors exit 2', async () => {
    // A database that does not exist: commands that reach Postgres fail there, usage errors never get that far.
    const env = { DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/ait_no_such_database', LOG_LEVEL: 'silent', REDIS_PREFIX: PREFIX };
    const [help, unknownOption, unknownCommand, noCommand, missingOption, badChoice, verbose, terse] = await Promise.all([
      runCli(['--help'], env),
      runCli(['status', '--bogus'], env),
      runCli(['fly'], env),
      runCli([], env),
      runCli(['trade'], env),
      runCli(['trade', '--mode', 'live'], env),
      runCli(['features', '--symbols', 'SPY', '--verbose'], env),
      runCli(['features', '--symbols', 'SPY'], env),
    ]);
    expect(help.status).toBe(0);
    const headings = help.stdout.split('\n').filter((l) => /^\S.*:$/.test(l) && !/^(Usage|Options):/.test(l));
    expect(headings).toEqual(GROUPS); // no "Other commands:": every command has its place in the runbook
    expect(help.stdout).toMatch(/^Trading:\n {2}trade .*\n {4}e\.g\. ai-trader trade --mode live-sim$/m);
    expect(help.stdout).toMatch(/^ {2}recover .*\n {4}e\.g\. ai-trader recover system$/m);
    expect(help.stdout).toMatch(/^ {2}validate .*\n {4}e\.g\. ai-trader validate --all$/m);
    expect(help.stdout).toMatch(/^ {2}audit .*\n {4}e\.g\. ai-trader audit verify$/m);
    const commands = [...help.stdout.matchAll(/^ {2}([a-z][a-z-]*)[ [<]/gm)].map((m) => m[1]);
    const examples = [...help.stdout.matchAll(/^ {4}e\.g\. ai-trader ([a-z-]+)/gm)].map((m) => m[1]);
    expect(examples).toEqual(commands); // one example per command, of that command
    expect(help.stdout).toMatch(/^Exit codes: 0 ok, 1 failure \(what failed is printed\), 2 usage/m);
    expect(help.stdout).not.toContain('\u001b['); // piped: no colour

    for (const [r, line] of [
      [unknownOption, "error: unknown option '--bogus'"],
      [unknownCommand, "error: unknown command 'fly'"],
      [missingOption, "error: required option '--mode <mode>' not specified"],
      [badChoice, "error: option '--mode <mode>' argument 'live' is invalid. Allowed choices are paper, live-sim."],
    ] as const) {
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr.split('\n')[0]).toBe(line);
    }
    expect(noCommand.status).toBe(2);
    expect(noCommand.stderr).toMatch(/^Usage: ai-trader \[options\] \[command\]/);

    expect(terse.status).toBe(1);
    expect(terse.stderr.trim()).toBe('error: database "ait_no_such_database" does not exist');
    expect(verbose.status).toBe(1);
    const lines = verbose.stderr.trim().split('\n');
    expect(lines[0]).toBe('error: database "ait_no_such_database" does not exist');
    expect(lines.slice(1).some((l) => /^\s+at .*features\.ts/.test(l))).toBe(true);
  });
});
