// `ai-trader users …` as a process: add (password from stdin or generated and shown once), list, set-role,
// disable/enable/unlock, each audited with the shell user; the last admin stays; bad input is one line, exit 2.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { runCli } from './helpers/processes.ts';

describe('ai-trader users', () => {
  let rt: TestRuntime;
  let env: Record<string, string>;
  const cli = (args: string[], stdin?: string) => runCli(['users', ...args], env, stdin);

  beforeAll(async () => {
    rt = await createTestRuntime('userscli');
    env = { DATABASE_URL: rt.config.DATABASE_URL, REDIS_URL: rt.config.REDIS_URL, REDIS_PREFIX: rt.config.REDIS_PREFIX, LOG_LEVEL: 'warn' };
  });
  afterAll(async () => {
    await rt?.cleanup();
  });

  it('adds, lists, changes roles, disables and enables, audited; never prints or stores a given password', async () => {
    const given = 'piped-in-password-123';
    const a = await cli(['add', '--email', 'Ops@Example.com', '--name', 'Ops', '--role', 'admin', '--password-stdin'], `${given}\n`);
    expect(a).toMatchObject({ status: 0, stdout: 'added ops@example.com as admin\n' });
    const b = await cli(['add', '--email', 'desk@example.com', '--name', 'Desk', '--role', 'trader']);
    expect(b.status).toBe(0);
    expect(b.stdout).toMatch(/^added desk@example.com as trader\npassword \(shown once, hand it over privately\): [A-Za-z0-9_-]{24}\n$/);

    const dup = await cli(['add', '--email', 'desk@example.com', '--name', 'Again', '--role', 'viewer']);
    expect(dup).toMatchObject({ status: 1, stderr: 'error: a user desk@example.com exists already\n' });

    expect((await cli(['set-role', 'desk@example.com', 'viewer', '--reason', 'moved to research'])).stdout).toBe('desk@example.com is now viewer\n');
    expect((await cli(['set-role', 'ops@example.com', 'trader'])).stderr).toBe('error: the last enabled admin cannot be demoted or disabled: make another admin first\n');
    expect((await cli(['disable', 'desk@example.com', '--reason', 'left the firm'])).stdout).toBe('desk@example.com disabled (sessions ended)\n');

    const list = await cli(['list', '--json']);
    const users = JSON.parse(list.stdout) as Array<{ email: string; role: string; disabledAt: string | null }>;
    expect(users.map((u) => [u.email, u.role, u.disabledAt !== null])).toEqual([['desk@example.com', 'viewer', true], ['ops@example.com', 'admin', false]]);
    const table = await cli(['list']);
    expect(table.stdout).toMatch(/desk@example.com\s+viewer\s+disabled 20/);

    expect((await cli(['enable', 'desk@example.com', '--reason', 'came back'])).stdout).toBe('desk@example.com enabled\n');
    const audit = await rt.deps.prisma.auditLog.findMany({ orderBy: { seq: 'asc' }, select: { action: true, actorEmail: true, reason: true, before: true, after: true } });
    expect(audit.map((r) => r.action)).toEqual(['user.create', 'user.create', 'user.role-change', 'user.disable', 'user.enable']);
    expect(audit.every((r) => r.actorEmail.startsWith('cli:'))).toBe(true);
    expect(JSON.stringify(audit)).not.toContain(given);
    const acct = await rt.deps.prisma.account.findFirstOrThrow({ where: { user: { email: 'ops@example.com' } } });
    expect(acct.password).not.toContain(given);
  });

  it('refuses bad input with one line and exit 2, writing nothing', async () => {
    const before = await rt.deps.prisma.auditLog.count();
    expect(await cli(['add', '--email', 'not-an-email', '--name', 'X', '--role', 'viewer'])).toMatchObject({ status: 2, stderr: '--email: must be an email address like ops@example.com\n' });
    expect(await cli(['add', '--email', 'x@example.com', '--name', 'X', '--role', 'boss'])).toMatchObject({ status: 2, stderr: 'role boss: must be one of viewer, trader, admin\n' });
    expect(await cli(['add', '--email', 'x@example.com', '--name', 'X', '--role', 'viewer', '--password-stdin'], 'short\n')).toMatchObject({ status: 2, stderr: '--password: password must be at least 12 characters\n' });
    expect(await cli(['disable', 'nobody@example.com', '--reason', 'why not'])).toMatchObject({ status: 1, stderr: 'error: no user nobody@example.com\n' });
    expect(await rt.deps.prisma.auditLog.count()).toBe(before);
    expect(await rt.deps.prisma.user.count({ where: { email: 'x@example.com' } })).toBe(0);
  });
});
