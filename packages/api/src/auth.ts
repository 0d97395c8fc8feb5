// Sign-in and sessions through better-auth (scrypt password hashes, sessions in Postgres). Sign-up is
// closed: accounts are created by an admin (or the demo seed), never by a visitor. Sign-ins, failed sign-ins,
// sign-outs and account changes are written to the audit log (never a password).
import type { TActor, TRole } from '@ai-trader/contracts';
import { ZRole } from '@ai-trader/contracts';
import type { Db } from '@ai-trader/db';
import { betterAuth } from 'better-auth';
import { prismaAdapter } from 'better-auth/adapters/prisma';
import { createAuthMiddleware, getSessionFromCtx, isAPIError } from 'better-auth/api';
import { hashPassword } from 'better-auth/crypto';

type AuthAudit = { actorId: string | null; actorEmail: string; action: 'auth.sign-in' | 'auth.sign-in-failed' | 'auth.sign-out'; reason: string | null };

/** Where the request came from (the proxy's X-Forwarded-For first hop, else nothing) and with what. */
function client(headers: Headers | undefined): { ip: string | null; userAgent: string | null } {
  const ip = headers?.get('x-forwarded-for')?.split(',')[0]?.trim() || headers?.get('x-real-ip') || null;
  return { ip, userAgent: headers?.get('user-agent')?.slice(0, 300) ?? null };
}

async function auditAuth(prisma: Db, a: AuthAudit, headers: Headers | undefined): Promise<void> {
  await prisma.auditLog.create({ data: { ...a, after: client(headers) } });
}

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
    // A failed audit write fails the request: an auth event that cannot be recorded does not pass silently.
    // (Requests refused by the rate limit never reach these hooks.)
    hooks: {
      before: createAuthMiddleware(async (ctx) => {
        if (ctx.path !== '/sign-out') return;
        // Read before the session is deleted: afterwards nobody is signed in to name.
        const s = await getSessionFromCtx(ctx).catch(() => null);
        if (s) await auditAuth(opts.prisma, { actorId: s.user.id, actorEmail: s.user.email, action: 'auth.sign-out', reason: null }, ctx.headers);
      }),
      after: createAuthMiddleware(async (ctx) => {
        if (ctx.path !== '/sign-in/email') return;
        const returned: unknown = ctx.context.returned;
        if (isAPIError(returned)) {
          // The email as typed (bounded), the status and code; the body's password is never read here.
          const email = typeof ctx.body?.email === 'string' ? ctx.body.email.trim().toLowerCase().slice(0, 200) : '(none given)';
          const code = (returned.body as { code?: unknown } | undefined)?.code;
          await auditAuth(opts.prisma, { actorId: null, actorEmail: email, action: 'auth.sign-in-failed', reason: `${returned.statusCode} ${typeof code === 'string' ? code : returned.status}` }, ctx.headers);
        } else if (ctx.context.newSession) {
          const u = ctx.context.newSession.user;
          await auditAuth(opts.prisma, { actorId: u.id, actorEmail: u.email, action: 'auth.sign-in', reason: null }, ctx.headers);
        }
      }),
    },
  });
}
export type Auth = ReturnType<typeof createAuth>;

export async function actorFromHeaders(auth: Auth, headers: Headers): Promise<TActor | null> {
  const s = await auth.api.getSession({ headers });
  if (!s) return null;
  const role = ZRole.safeParse((s.user as { role?: unknown }).role);
  return { id: s.user.id, email: s.user.email, role: role.success ? role.data : 'viewer' };
}

/** Creates the user, or sets the password and role of an existing one (demo seed and admin tooling); audited
 *  as user.create / user.update with the role before and after (the password only as "set"). */
export async function upsertPasswordUser(
  prisma: Db,
  input: { email: string; name: string; password: string; role: TRole },
  actor: { id: string | null; email: string } = { id: null, email: 'system:seed' },
): Promise<{ created: boolean; id: string }> {
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
    await tx.auditLog.create({
      data: {
        actorId: actor.id, actorEmail: actor.email, action: existing ? 'user.update' : 'user.create', reason: `password and role set for ${email}`,
        before: existing ? { userId: id, email, role: existing.role } : undefined,
        after: { userId: id, email, role: input.role, passwordSet: true },
      },
    });
    return { created: !existing, id };
  });
}
