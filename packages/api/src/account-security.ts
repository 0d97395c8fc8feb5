// Account protection shared by sign-in and re-authentication: lockout after repeated failures (per account;
// per-IP limits are better-auth's rate limiter), disabled accounts, and password checks for sensitive actions.
// Every failure and every lockout is an audit row; a password never is.
import type { TActor, TConfig } from '@ai-trader/contracts';
import type { Db } from '@ai-trader/db';
import { verifyPassword } from 'better-auth/crypto';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';

/** The password again, for resume-after-halt, key changes and user changes (sent over the same TLS as sign-in). */
export const ZReauth = z.object({ password: z.string().min(1, 'type your password to confirm').max(200) });

type Limits = Pick<TConfig, 'AUTH_LOCKOUT_THRESHOLD' | 'AUTH_LOCKOUT_MINUTES'>;

export class AccountLockedError extends Error {
  constructor(readonly until: Date) {
    super(`account locked until ${until.toISOString()} after too many failed attempts`);
    this.name = 'AccountLockedError';
  }
}

/** Why this account may not sign in now (disabled, or locked until when), or null. */
export async function signInRefusal(prisma: Db, email: string, now: Date): Promise<{ code: 'ACCOUNT_DISABLED' | 'ACCOUNT_LOCKED'; message: string } | null> {
  const u = await prisma.user.findUnique({ where: { email: email.toLowerCase() }, select: { disabledAt: true, lockedUntil: true } });
  if (!u) return null;
  if (u.disabledAt) return { code: 'ACCOUNT_DISABLED', message: 'this account is disabled; ask an admin' };
  if (u.lockedUntil && u.lockedUntil > now)
    return { code: 'ACCOUNT_LOCKED', message: `too many failed sign-ins: locked until ${u.lockedUntil.toISOString()} (or until an admin unlocks it)` };
  return null;
}

/**
 * Counts one failed attempt for the account (if it exists); at the threshold it locks the account and writes
 * auth.lockout. Atomic: concurrent failures each count once. Returns the lock end when this failure locked it.
 */
export async function recordFailure(prisma: Db, email: string, limits: Limits, now: Date, context: Record<string, unknown>): Promise<Date | null> {
  return prisma.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<{ id: string; email: string; failedSignIns: number }[]>`
      UPDATE "user" SET "failedSignIns" = "failedSignIns" + 1, "lastFailedAt" = ${now}
       WHERE email = ${email.toLowerCase()} RETURNING id, email, "failedSignIns"`;
    const u = rows[0];
    if (!u || u.failedSignIns < limits.AUTH_LOCKOUT_THRESHOLD) return null;
    const until = new Date(now.getTime() + limits.AUTH_LOCKOUT_MINUTES * 60_000);
    await tx.user.update({ where: { id: u.id }, data: { lockedUntil: until, failedSignIns: 0 } });
    await tx.auditLog.create({
      data: {
        actorId: u.id, actorEmail: u.email, action: 'auth.lockout',
        reason: `${limits.AUTH_LOCKOUT_THRESHOLD} failed attempts in a row; locked for ${limits.AUTH_LOCKOUT_MINUTES} min`,
        after: { lockedUntil: until.toISOString(), ...context } as object,
      },
    });
    return until;
  });
}

export async function recordSuccess(prisma: Db, userId: string): Promise<void> {
  await prisma.user.updateMany({ where: { id: userId, OR: [{ failedSignIns: { gt: 0 } }, { lockedUntil: { not: null } }] }, data: { failedSignIns: 0, lockedUntil: null } });
}

/**
 * Re-authentication for a sensitive action: the signed-in actor's password must match. A wrong password is
 * audited (auth.reauth-failed) and counts toward the lockout like a failed sign-in; a locked or disabled account
 * is refused. Throws UNAUTHORIZED with a message the console shows next to the password field.
 */
export async function requirePassword(deps: { prisma: Db; config: Limits; clock?: { now(): Date } }, actor: TActor, password: string, action: string): Promise<void> {
  const now = new Date(); // wall-clock time: lockouts are about people, not market time
  const user = await deps.prisma.user.findUnique({ where: { id: actor.id }, select: { email: true, disabledAt: true, lockedUntil: true } });
  if (!user || user.disabledAt) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'this account is disabled; ask an admin' });
  if (user.lockedUntil && user.lockedUntil > now)
    throw new TRPCError({ code: 'UNAUTHORIZED', message: `account locked until ${user.lockedUntil.toISOString()} after too many failed attempts` });
  const account = await deps.prisma.account.findFirst({ where: { userId: actor.id, providerId: 'credential' }, select: { password: true } });
  const ok = !!account?.password && (await verifyPassword({ hash: account.password, password }));
  if (ok) {
    await recordSuccess(deps.prisma, actor.id);
    return;
  }
  await deps.prisma.auditLog.create({ data: { actorId: actor.id, actorEmail: actor.email, action: 'auth.reauth-failed', reason: `wrong password to confirm ${action}` } });
  const locked = await recordFailure(deps.prisma, user.email, deps.config, now, { during: action });
  throw new TRPCError({ code: 'UNAUTHORIZED', message: locked ? `wrong password; account locked until ${locked.toISOString()}` : 'wrong password' });
}
