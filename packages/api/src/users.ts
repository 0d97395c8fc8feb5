// Accounts as an admin manages them (console Admin page and `ai-trader users`): add, list, change role,
// disable/enable, unlock, reset password. Every change is one transaction with its audit row (before/after,
// never a password). They live here, next to better-auth, because the password hash must be better-auth's own.
// Guards: nobody disables or demotes themselves, and the last enabled admin stays.
import { randomBytes } from 'node:crypto';
import { ZNewUser, ZRole, type TRole, type TUserView } from '@ai-trader/contracts';
import type { Db } from '@ai-trader/db';
import { hashPassword } from 'better-auth/crypto';
import type { z } from 'zod';

type Actor = { id: string | null; email: string };
type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];

export class UserError extends Error {
  constructor(message: string, readonly code: 'NOT_FOUND' | 'CONFLICT' | 'BAD_REQUEST') {
    super(message);
    this.name = 'UserError';
  }
}

export type UserView = TUserView;

/** A password to hand to a new user once (the CLI prints it; they change it later): 24 url-safe characters. */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

export async function listUsers(prisma: Db, now = new Date()): Promise<UserView[]> {
  const users = await prisma.user.findMany({
    orderBy: { email: 'asc' },
    select: {
      id: true, email: true, name: true, role: true, createdAt: true, disabledAt: true, lockedUntil: true, failedSignIns: true,
      sessions: { where: { expiresAt: { gt: now } }, select: { createdAt: true } },
    },
  });
  const lastSignIns = await prisma.auditLog.groupBy({ by: ['actorId'], where: { action: 'auth.sign-in', actorId: { in: users.map((u) => u.id) } }, _max: { at: true } });
  const last = new Map(lastSignIns.map((r) => [r.actorId, r._max.at]));
  return users.map(({ sessions, role, lockedUntil, ...u }) => ({
    ...u,
    role: ZRole.catch('viewer').parse(role),
    lockedUntil: lockedUntil && lockedUntil > now ? lockedUntil : null,
    activeSessions: sessions.length,
    lastSignInAt: last.get(u.id) ?? null,
  }));
}

async function findUser(tx: Tx, email: string) {
  const u = await tx.user.findUnique({ where: { email: email.toLowerCase() } });
  if (!u) throw new UserError(`no user ${email.toLowerCase()}`, 'NOT_FOUND');
  return u;
}

/** Throws unless another enabled admin would remain; holds a lock so two admins cannot demote each other at once. */
async function keepAnAdmin(tx: Tx, leaving: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('ai-trader:admins'))`;
  const others = await tx.user.count({ where: { role: 'admin', disabledAt: null, id: { not: leaving } } });
  if (others === 0) throw new UserError('the last enabled admin cannot be demoted or disabled: make another admin first', 'CONFLICT');
}

export async function addUser(prisma: Db, input: z.input<typeof ZNewUser>, actor: Actor): Promise<{ id: string }> {
  const u = ZNewUser.parse(input);
  const hash = await hashPassword(u.password);
  return prisma.$transaction(async (tx) => {
    if (await tx.user.findUnique({ where: { email: u.email } })) throw new UserError(`a user ${u.email} exists already`, 'CONFLICT');
    const id = crypto.randomUUID();
    await tx.user.create({ data: { id, email: u.email, name: u.name, role: u.role, emailVerified: true } });
    await tx.account.create({ data: { id: crypto.randomUUID(), userId: id, accountId: id, providerId: 'credential', password: hash } });
    await tx.auditLog.create({
      data: { actorId: actor.id, actorEmail: actor.email, action: 'user.create', reason: `added ${u.email} as ${u.role}`, after: { userId: id, email: u.email, name: u.name, role: u.role, passwordSet: true } },
    });
    return { id };
  });
}

export async function setRole(prisma: Db, email: string, role: TRole, actor: Actor, reason?: string): Promise<{ changed: boolean }> {
  const next = ZRole.parse(role);
  return prisma.$transaction(async (tx) => {
    const u = await findUser(tx, email);
    if (u.role === next) return { changed: false };
    if (u.id === actor.id) throw new UserError('you cannot change your own role: ask another admin', 'CONFLICT');
    if (u.role === 'admin') await keepAnAdmin(tx, u.id);
    await tx.user.update({ where: { id: u.id }, data: { role: next } });
    await tx.auditLog.create({
      data: {
        actorId: actor.id, actorEmail: actor.email, action: 'user.role-change', reason: reason ?? `${u.email}: ${u.role} → ${next}`,
        before: { userId: u.id, email: u.email, role: u.role }, after: { userId: u.id, email: u.email, role: next },
      },
    });
    return { changed: true };
  });
}

/** Disables the account and ends every session it has (the console's live streams close within 30 s). */
export async function disableUser(prisma: Db, email: string, actor: Actor, reason: string): Promise<{ changed: boolean; sessionsEnded: number }> {
  return prisma.$transaction(async (tx) => {
    const u = await findUser(tx, email);
    if (u.disabledAt) return { changed: false, sessionsEnded: 0 };
    if (u.id === actor.id) throw new UserError('you cannot disable your own account', 'CONFLICT');
    if (u.role === 'admin') await keepAnAdmin(tx, u.id);
    const at = new Date();
    await tx.user.update({ where: { id: u.id }, data: { disabledAt: at } });
    const { count } = await tx.session.deleteMany({ where: { userId: u.id } });
    await tx.auditLog.create({
      data: {
        actorId: actor.id, actorEmail: actor.email, action: 'user.disable', reason,
        before: { userId: u.id, email: u.email, disabledAt: null }, after: { userId: u.id, email: u.email, disabledAt: at.toISOString(), sessionsEnded: count },
      },
    });
    return { changed: true, sessionsEnded: count };
  });
}

export async function enableUser(prisma: Db, email: string, actor: Actor, reason: string): Promise<{ changed: boolean }> {
  return prisma.$transaction(async (tx) => {
    const u = await findUser(tx, email);
    if (!u.disabledAt) return { changed: false };
    await tx.user.update({ where: { id: u.id }, data: { disabledAt: null, failedSignIns: 0, lockedUntil: null } });
    await tx.auditLog.create({
      data: {
        actorId: actor.id, actorEmail: actor.email, action: 'user.enable', reason,
        before: { userId: u.id, email: u.email, disabledAt: u.disabledAt.toISOString() }, after: { userId: u.id, email: u.email, disabledAt: null },
      },
    });
    return { changed: true };
  });
}

/** Lifts a lockout before it runs out (the person proved who they are some other way). */
export async function unlockUser(prisma: Db, email: string, actor: Actor, reason: string): Promise<{ changed: boolean }> {
  return prisma.$transaction(async (tx) => {
    const u = await findUser(tx, email);
    if (!u.lockedUntil && u.failedSignIns === 0) return { changed: false };
    await tx.user.update({ where: { id: u.id }, data: { lockedUntil: null, failedSignIns: 0 } });
    await tx.auditLog.create({
      data: {
        actorId: actor.id, actorEmail: actor.email, action: 'user.unlock', reason,
        before: { userId: u.id, email: u.email, lockedUntil: u.lockedUntil?.toISOString() ?? null, failedSignIns: u.failedSignIns },
        after: { userId: u.id, email: u.email, lockedUntil: null, failedSignIns: 0 },
      },
    });
    return { changed: true };
  });
}

/** Sets a new password and ends the user's sessions (they sign in again with it). */
export async function resetPassword(prisma: Db, email: string, password: string, actor: Actor): Promise<void> {
  if (password.length < 12) throw new UserError('password must be at least 12 characters', 'BAD_REQUEST');
  const hash = await hashPassword(password);
  await prisma.$transaction(async (tx) => {
    const u = await findUser(tx, email);
    const account = await tx.account.findFirst({ where: { userId: u.id, providerId: 'credential' } });
    if (account) await tx.account.update({ where: { id: account.id }, data: { password: hash } });
    else await tx.account.create({ data: { id: crypto.randomUUID(), userId: u.id, accountId: u.id, providerId: 'credential', password: hash } });
    const { count } = await tx.session.deleteMany({ where: { userId: u.id } });
    await tx.auditLog.create({
      data: { actorId: actor.id, actorEmail: actor.email, action: 'user.password-reset', reason: `password of ${u.email} set by ${actor.email}`, after: { userId: u.id, email: u.email, passwordSet: true, sessionsEnded: count } },
    });
  });
}
