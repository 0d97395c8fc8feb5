// Sign-in and sessions through better-auth (scrypt password hashes, sessions in Postgres). Sign-up is
// closed: accounts are created by an admin (or the demo seed), never by a visitor. Sessions end after
// AUTH_SESSION_IDLE_MINUTES without use (better-auth's sliding expiry) and AUTH_SESSION_MAX_HOURS after sign-in
// (checked here); AUTH_LOCKOUT_THRESHOLD failures in a row lock the account; better-auth's rate limiter caps
// sign-ins per IP. Sign-ins, failures, lockouts and sign-outs are written to the audit log (never a password).
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { TActor, TConfig, TRole } from '@ai-trader/contracts';
import { ZRole } from '@ai-trader/contracts';
import type { Db } from '@ai-trader/db';
import { betterAuth } from 'better-auth';
import { prismaAdapter } from 'better-auth/adapters/prisma';
import { APIError, createAuthMiddleware, getSessionFromCtx, isAPIError } from 'better-auth/api';
import { hashPassword } from 'better-auth/crypto';
import { recordFailure, recordSuccess, signInRefusal } from './account-security.ts';

export type AuthLimits = Pick<
  TConfig,
  'AUTH_SESSION_IDLE_MINUTES' | 'AUTH_SESSION_MAX_HOURS' | 'AUTH_LOCKOUT_THRESHOLD' | 'AUTH_LOCKOUT_MINUTES' | 'AUTH_IP_SIGN_INS_PER_MINUTE'
>;

type AuthAudit = {
  actorId: string | null;
  actorEmail: string;
  action: 'auth.sign-in' | 'auth.sign-in-failed' | 'auth.sign-out' | 'auth.sign-out-everywhere' | 'auth.session-expired';
  reason: string | null;
};

/** Where the request came from (the proxy's X-Forwarded-For first hop, else nothing) and with what. */
function client(headers: Headers | undefined): { ip: string | null; userAgent: string | null } {
  const ip = headers?.get('x-forwarded-for')?.split(',')[0]?.trim() || headers?.get('x-real-ip') || null;
  return { ip, userAgent: headers?.get('user-agent')?.slice(0, 300) ?? null };
}

async function auditAuth(prisma: Db, a: AuthAudit, headers: Headers | undefined): Promise<void> {
  await prisma.auditLog.create({ data: { ...a, after: client(headers) } });
}

export function createAuth(opts: {
  prisma: Db; secret: string; limits: AuthLimits; baseURL?: string | undefined; trustedOrigins?: string[];
  /** Called after a sign-out or sign-out everywhere (the console publishes a `session` live event: session-cache.ts). */
  onSessionsEnded?: () => Promise<void>;
}) {
  const { limits } = opts;
  const idle = limits.AUTH_SESSION_IDLE_MINUTES * 60;
  const auth = betterAuth({
    database: prismaAdapter(opts.prisma, { provider: 'postgresql' }),
    secret: opts.secret,
    baseURL: opts.baseURL,
    trustedOrigins: opts.trustedOrigins,
    telemetry: { enabled: false },
    emailAndPassword: { enabled: true, disableSignUp: true, minPasswordLength: 12 },
    user: { additionalFields: { role: { type: 'string', required: false, defaultValue: 'viewer', input: false } } },
    // Sliding idle expiry: each use (at most once a minute) pushes expiresAt to now + idle.
    session: { expiresIn: idle, updateAge: Math.min(60, Math.floor(idle / 4)) },
    // Cookies: HttpOnly and SameSite=Lax by default, Secure whenever the console is served over https.
    advanced: { useSecureCookies: opts.baseURL?.startsWith('https://') ?? false },
    rateLimit: { enabled: true, window: 60, max: 300, customRules: { '/sign-in/email': { window: 60, max: limits.AUTH_IP_SIGN_INS_PER_MINUTE } } },
    // A failed audit write fails the request: an auth event that cannot be recorded does not pass silently.
    // (Requests refused by the rate limit never reach these hooks.)
    hooks: {
      before: createAuthMiddleware(async (ctx) => {
        if (ctx.path === '/sign-in/email') {
          const email = typeof ctx.body?.email === 'string' ? ctx.body.email.trim().toLowerCase().slice(0, 200) : '';
          const refusal = email ? await signInRefusal(opts.prisma, email, new Date()) : null;
          if (!refusal) return;
          await auditAuth(opts.prisma, { actorId: null, actorEmail: email, action: 'auth.sign-in-failed', reason: `403 ${refusal.code}` }, ctx.headers);
          throw new APIError('FORBIDDEN', { code: refusal.code, message: refusal.message });
        }
        if (ctx.path !== '/sign-out' && ctx.path !== '/revoke-sessions') return;
        // Read before the session is deleted: afterwards nobody is signed in to name.
        const s = await getSessionFromCtx(ctx).catch(() => null);
        if (!s) return;
        const everywhere = ctx.path === '/revoke-sessions';
        await auditAuth(opts.prisma, { actorId: s.user.id, actorEmail: s.user.email, action: everywhere ? 'auth.sign-out-everywhere' : 'auth.sign-out', reason: null }, ctx.headers);
      }),
      after: createAuthMiddleware(async (ctx) => {
        if (ctx.path === '/sign-out' || ctx.path === '/revoke-sessions') return opts.onSessionsEnded?.();
        if (ctx.path !== '/sign-in/email') return;
        const returned: unknown = ctx.context.returned;
        if (isAPIError(returned)) {
          // The email as typed (bounded), the status and code; the body's password is never read here.
          const email = typeof ctx.body?.email === 'string' ? ctx.body.email.trim().toLowerCase().slice(0, 200) : '(none given)';
          const code = (returned.body as { code?: unknown } | undefined)?.code;
          await auditAuth(opts.prisma, { actorId: null, actorEmail: email, action: 'auth.sign-in-failed', reason: `${returned.statusCode} ${typeof code === 'string' ? code : returned.status}` }, ctx.headers);
          if (returned.statusCode === 401) await recordFailure(opts.prisma, email, limits, new Date(), client(ctx.headers));
        } else if (ctx.context.newSession) {
          const u = ctx.context.newSession.user;
          await recordSuccess(opts.prisma, u.id);
          await auditAuth(opts.prisma, { actorId: u.id, actorEmail: u.email, action: 'auth.sign-in', reason: null }, ctx.headers);
        }
      }),
    },
  });
  // What our own checks need next to better-auth's API (absolute lifetime, disabled users, CSRF tokens).
  return Object.assign(auth, { ours: { prisma: opts.prisma, limits, secret: opts.secret } });
}
export type Auth = ReturnType<typeof createAuth>;

export interface SignedIn {
  actor: TActor;
  sessionId: string;
  /** Sent back in the x-csrf-token header of every state-changing request (see csrfTokenFor). */
  csrfToken: string;
  /** When the session ends unless used again (idle expiry) or at the latest (absolute lifetime), epoch ms. */
  endsAt: number;
}

/**
 * The signed-in person behind these headers, or null. A session older than AUTH_SESSION_MAX_HOURS is deleted
 * (audited as auth.session-expired) and a disabled user's sessions count for nothing, whatever better-auth says.
 */
export async function sessionFromHeaders(auth: Auth, headers: Headers): Promise<SignedIn | null> {
  const s = await auth.api.getSession({ headers });
  if (!s) return null;
  const { prisma, limits, secret } = auth.ours;
  const maxHours = limits.AUTH_SESSION_MAX_HOURS;
  const user = await prisma.user.findUnique({ where: { id: s.user.id }, select: { disabledAt: true, role: true } });
  if (!user || user.disabledAt) return null;
  if (s.session.createdAt.getTime() + maxHours * 3_600_000 <= Date.now()) {
    const { count } = await prisma.session.deleteMany({ where: { id: s.session.id } });
    if (count) await auditAuth(prisma, { actorId: s.user.id, actorEmail: s.user.email, action: 'auth.session-expired', reason: `session older than ${maxHours} h` }, headers);
    return null;
  }
  const role = ZRole.safeParse(user.role);
  return {
    actor: { id: s.user.id, email: s.user.email, role: role.success ? role.data : 'viewer' },
    sessionId: s.session.id,
    csrfToken: csrfTokenFor(secret, s.session.id),
    endsAt: Math.min(new Date(s.session.expiresAt).getTime(), s.session.createdAt.getTime() + maxHours * 3_600_000),
  };
}

export async function actorFromHeaders(auth: Auth, headers: Headers): Promise<TActor | null> {
  return (await sessionFromHeaders(auth, headers))?.actor ?? null;
}

/** The CSRF token of a session: an HMAC of its id under the auth secret, so it cannot be guessed or reused elsewhere. */
export function csrfTokenFor(secret: string, sessionId: string): string {
  return createHmac('sha256', secret).update(`csrf:${sessionId}`).digest('base64url');
}

export function csrfTokenValid(secret: string, sessionId: string, token: string | null): boolean {
  if (!token) return false;
  const want = Buffer.from(csrfTokenFor(secret, sessionId));
  const got = Buffer.from(token);
  return got.length === want.length && timingSafeEqual(got, want);
}

/** Is this session still alive (not signed out, not past its idle or absolute end, user not disabled)? Reads only. */
export async function sessionAlive(prisma: Db, sessionId: string, limits: Pick<AuthLimits, 'AUTH_SESSION_MAX_HOURS'>, now = new Date()): Promise<boolean> {
  const s = await prisma.session.findUnique({ where: { id: sessionId }, select: { expiresAt: true, createdAt: true, user: { select: { disabledAt: true } } } });
  return !!s && s.expiresAt > now && !s.user.disabledAt && s.createdAt.getTime() + limits.AUTH_SESSION_MAX_HOURS * 3_600_000 > now.getTime();
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
