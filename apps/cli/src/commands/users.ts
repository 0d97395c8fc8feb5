// `ai-trader users`: accounts from the shell (an operator with shell and database access). The same use-cases
// as the console's Admin page, audited with the shell user as the actor. Passwords are never taken from argv
// (visible in `ps` and shell history): --password-stdin reads one line, otherwise one is generated and printed once.
import type { UserView } from '@ai-trader/api';
import { ZNewUser, ZRole, type TRole } from '@ai-trader/contracts';
import type { Command } from 'commander';
import { CliError, cliActor, type CliContext } from '../context.ts';

async function readStdinLine(): Promise<string> {
  if (process.stdin.isTTY) throw new CliError('--password-stdin: pipe the password in (e.g. `printf %s "$PW" | ai-trader users add …`)', 2);
  let s = '';
  for await (const chunk of process.stdin) s += String(chunk);
  return s.split(/\r?\n/)[0] ?? '';
}

function role(v: string): TRole {
  const r = ZRole.safeParse(v);
  if (!r.success) throw new CliError(`role ${v}: must be one of viewer, trader, admin`, 2);
  return r.data;
}

/** The accounts use-cases, loaded only when a users command runs (they bring in the auth library). */
const api = () => import('@ai-trader/api');

/** Use-case errors as one line (exit 1); anything else propagates. */
async function run<T>(p: Promise<T>): Promise<T> {
  const { UserError } = await api();
  try {
    return await p;
  } catch (e) {
    if (e instanceof UserError) throw new CliError(`error: ${e.message}`, 1);
    throw e;
  }
}

const iso = (d: Date | null) => (d ? d.toISOString().replace('.000Z', 'Z') : '—');

function printUsers(users: UserView[]): void {
  console.log(['email'.padEnd(32), 'role'.padEnd(7), 'status'.padEnd(28), 'sessions', 'last sign-in'.padEnd(24)].join(' '));
  for (const u of users) {
    const status = u.disabledAt ? `disabled ${iso(u.disabledAt)}` : u.lockedUntil ? `locked until ${iso(u.lockedUntil)}` : 'active';
    console.log([u.email.padEnd(32), u.role.padEnd(7), status.padEnd(28), String(u.activeSessions).padStart(8), iso(u.lastSignInAt)].join(' '));
  }
  if (!users.length) console.log('no users yet: `ai-trader users add --email you@example.com --name You --role admin`');
}

export function registerUsers(program: Command, ctx: () => CliContext) {
  const users = program.command('users').description('console accounts: add, list, set-role, disable, enable, unlock');

  users
    .command('add')
    .description('add a user; prints a generated password once unless --password-stdin')
    .requiredOption('--email <email>', 'sign-in email')
    .requiredOption('--name <name>', 'display name')
    .requiredOption('--role <role>', 'viewer | trader | admin')
    .option('--password-stdin', 'read the password (≥ 12 characters) from the first line of stdin')
    .action(async (o: { email: string; name: string; role: string; passwordStdin?: boolean }) => {
      const { addUser, generatePassword } = await api();
      const generated = !o.passwordStdin;
      const password = generated ? generatePassword() : await readStdinLine();
      const parsed = ZNewUser.safeParse({ email: o.email, name: o.name, role: role(o.role), password });
      if (!parsed.success) {
        const i = parsed.error.issues[0]!;
        throw new CliError(`--${String(i.path[0])}: ${i.message}`, 2);
      }
      await run(addUser(ctx().runtime().deps.prisma, parsed.data, cliActor()));
      console.log(`added ${parsed.data.email} as ${parsed.data.role}`);
      if (generated) console.log(`password (shown once, hand it over privately): ${password}`);
    });

  users
    .command('list')
    .description('every account with role, status (active / locked / disabled), open sessions and last sign-in')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const list = await (await api()).listUsers(ctx().runtime().deps.prisma);
      if (o.json) console.log(JSON.stringify(list, null, 2));
      else printUsers(list);
    });

  users
    .command('set-role <email> <role>')
    .description('change a role (the last enabled admin cannot be demoted)')
    .option('--reason <text>', 'why (kept in the audit log)')
    .action(async (email: string, r: string, o: { reason?: string }) => {
      const res = await run((await api()).setRole(ctx().runtime().deps.prisma, email, role(r), cliActor(), o.reason));
      // Consoles remember signed-in checks for a few seconds: this tells them the role changed (session-cache.ts).
      if (res.changed) await ctx().runtime().deps.events.publish('session');
      console.log(res.changed ? `${email.toLowerCase()} is now ${r}` : `${email.toLowerCase()} already had the role ${r}`);
    });

  for (const [verb, fn, done, help] of [
    ['disable', 'disableUser', 'disabled (sessions ended)', 'disable an account and end its sessions (the last enabled admin stays)'],
    ['enable', 'enableUser', 'enabled', 'enable a disabled account'],
    ['unlock', 'unlockUser', 'unlocked', 'lift a lockout after failed sign-ins'],
  ] as const) {
    users
      .command(`${verb} <email>`)
      .description(help)
      .requiredOption('--reason <text>', 'why (kept in the audit log)')
      .action(async (email: string, o: { reason: string }) => {
        if (o.reason.trim().length < 3) throw new CliError('--reason: say why, in at least 3 characters', 2);
        const res = await run((await api())[fn](ctx().runtime().deps.prisma, email, cliActor(), o.reason.trim()));
        if (res.changed && verb === 'disable') await ctx().runtime().deps.events.publish('session');
        console.log(res.changed ? `${email.toLowerCase()} ${done}` : `${email.toLowerCase()}: nothing to change`);
      });
  }
}
