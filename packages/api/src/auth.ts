// Sign-in and sessions through better-auth (scrypt password hashes, sessions in Postgres). Sign-up is
// closed: accounts are created by an admin (or the demo seed), never by a visitor.
import type { TActor, TRole } from '@ai-trader/contracts';
import { ZRole } from '@ai-trader/contracts';
import type { Db } from '@ai-trader/db';
import { betterAuth } from 'better-auth';
import { prismaAdapter } from 'better-auth/adapters/prisma';
import { hashPassword } from 'better-auth/crypto';

export function createAuth(opts: { prisma: Db; secret: string; baseURL?: string | undefined; trustedOrigins?: string[] }) {
  return betterAuth({
    database: prismaAdapter(opts.prisma, { provider: 'postgresql' }),
    secret: opts.secret,
    baseURL: opts.baseURL,
    trustedOrigins: opts.trustedOrigins,
    telemetry: { enabled: false },
    emailAndPassword: { enabled: true, disableSignUp: true, minPasswordLength: 12 },
    user: { additionalFields: { role: { type: 'string', required: false, defaultValue: 'viewer', input: false } } },
    session: { expiresIn: 8 * 3600, updateAge: 15 * 60 },
    rateLimit: { enabled: true, window: 60, max: 20 },
  });
}
export type Auth = ReturnType<typeof createAuth>;

export async function actorFromHeaders(auth: Auth, headers: Headers): Promise<TActor | null> {
  const s = await auth.api.getSession({ headers });
  if (!s) return null;
  const role = ZRole.safeParse((s.user as { role?: unknown }).role);
  return { id: s.user.id, email: s.user.email, role: role.success ? role.data : 'viewer' };
}

/** Creates the user, or sets the password and role of an existing one (demo seed and admin tooling). */
export async function upsertPasswordUser(prisma: Db, input: { email: string; name: string; password: string; role: TRole }): Promise<{ created: boolean; id: string }> {
  if (input.password.length < 12) throw new Error('password must be at least 12 characters');
  const hash = await hashPassword(input.password);
  const email = input.email.toLowerCase();
  return prisma.$transaction(async (tx) => {
    const existing = await tx.user.findUnique({ where: { email } });
    const id = existing?.id ?? crypto.randomUUID();
    if (!existing) await tx.user.create({ data: { id, email, name: input.name, role: input.role, emailVerified: true } });
    else await tx.user.update({ where: { id }, data: { role: input.role } });
    const account = await tx.account.findFirst({ where: { userId: id, providerId: 'credential' } });
    if (account) await tx.account.update({ where: { id: account.id }, data: { password: hash } });
    else await tx.account.create({ data: { id: crypto.randomUUID(), userId: id, accountId: id, providerId: 'credential', password: hash } });
    return { created: !existing, id };
  });
}
