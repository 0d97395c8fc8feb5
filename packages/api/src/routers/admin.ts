// Admin page: users and roles, run-time settings (two-person approval), and approval requests. Every change
// needs the admin's password again (requirePassword); the reads are admin-only too (they list accounts).
import { ZApiProvider, ZApprovalDecision, ZApprovalView, ZNewUser, ZReason, ZRole, ZSettings, ZUserEmail, ZUserView } from '@ai-trader/contracts';
import { resumeTrading, rotateApiKey } from '@ai-trader/core';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { requirePassword, ZReauth } from '../account-security.ts';
import type { TApprovalAction } from '@ai-trader/contracts';
import { ApprovalError, decideApproval, getSettings, listApprovals, setSetting } from '../approvals.ts';
import { addUser, disableUser, enableUser, listUsers, resetPassword, setRole, unlockUser, UserError } from '../users.ts';
import type { Context } from '../trpc.ts';
import { goLiveExecutor } from './readiness.ts';
import { adminProcedure, router } from '../trpc.ts';

/** Use-case errors a person can act on, as the tRPC codes the console shows. */
export async function asTrpc<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof UserError || e instanceof ApprovalError) throw new TRPCError({ code: e.code, message: e.message });
    throw e;
  }
}

/** What an approved request runs, as the approving admin. */
export type ApprovalExecutor = (ctx: Pick<Context, 'deps'> & { actor: NonNullable<Context['actor']> }, payload: Record<string, unknown>, reason: string) => Promise<unknown>;
export const approvalExecutors: Partial<Record<TApprovalAction, ApprovalExecutor>> = {
  'trading.resume': (ctx, _payload, reason) => resumeTrading(ctx.deps, { actor: ctx.actor, reason }),
  'keys.rotate': (ctx, payload, reason) => {
    const p = z.object({ provider: ZApiProvider, id: z.string() }).parse(payload);
    return rotateApiKey(ctx.deps, { actor: ctx.actor, provider: p.provider, id: p.id, reason });
  },
  'broker.go-live': goLiveExecutor,
};

const userTarget = z.object({ email: ZUserEmail, reason: ZReason });

export const usersRouter = router({
  list: adminProcedure.output(z.array(ZUserView)).query(({ ctx }) => listUsers(ctx.deps.prisma)),
  add: adminProcedure.input(ZNewUser.extend({ adminPassword: ZReauth.shape.password })).mutation(async ({ ctx, input }) => {
    await requirePassword(ctx.deps, ctx.actor, input.adminPassword, 'user.create');
    const { adminPassword: _, ...user } = input;
    return asTrpc(addUser(ctx.deps.prisma, user, ctx.actor));
  }),
  setRole: adminProcedure.input(z.object({ email: ZUserEmail, role: ZRole, reason: ZReason }).merge(ZReauth)).mutation(async ({ ctx, input }) => {
    await requirePassword(ctx.deps, ctx.actor, input.password, 'user.role-change');
    const r = await asTrpc(setRole(ctx.deps.prisma, input.email, input.role, ctx.actor, input.reason));
    await ctx.deps.events.publish('session'); // signed-in checks remembered with the old role end (session-cache.ts)
    return r;
  }),
  disable: adminProcedure.input(userTarget.merge(ZReauth)).mutation(async ({ ctx, input }) => {
    await requirePassword(ctx.deps, ctx.actor, input.password, 'user.disable');
    const r = await asTrpc(disableUser(ctx.deps.prisma, input.email, ctx.actor, input.reason));
    await ctx.deps.events.publish('session');
    await ctx.deps.events.publish('audit');
    return r;
  }),
  enable: adminProcedure.input(userTarget.merge(ZReauth)).mutation(async ({ ctx, input }) => {
    await requirePassword(ctx.deps, ctx.actor, input.password, 'user.enable');
    return asTrpc(enableUser(ctx.deps.prisma, input.email, ctx.actor, input.reason));
  }),
  unlock: adminProcedure.input(userTarget.merge(ZReauth)).mutation(async ({ ctx, input }) => {
    await requirePassword(ctx.deps, ctx.actor, input.password, 'user.unlock');
    return asTrpc(unlockUser(ctx.deps.prisma, input.email, ctx.actor, input.reason));
  }),
  resetPassword: adminProcedure
    .input(z.object({ email: ZUserEmail, newPassword: ZNewUser.shape.password }).merge(ZReauth))
    .mutation(async ({ ctx, input }) => {
      await requirePassword(ctx.deps, ctx.actor, input.password, 'user.password-reset');
      await asTrpc(resetPassword(ctx.deps.prisma, input.email, input.newPassword, ctx.actor));
      await ctx.deps.events.publish('session'); // its sessions were ended
      return { ok: true };
    }),
});

export const settingsRouter = router({
  get: adminProcedure.output(ZSettings).query(({ ctx }) => getSettings(ctx.deps.prisma)),
  /** What the console runs with (no secret: those are only said to be set or not). */
  config: adminProcedure.query(({ ctx }) => {
    const c = ctx.deps.config;
    return {
      broker: c.BROKER, feed: c.FEED, symbols: c.FEED === 'replay' ? c.REPLAY_SYMBOLS : c.FEED_SYMBOLS,
      session: { idleMinutes: c.AUTH_SESSION_IDLE_MINUTES, maxHours: c.AUTH_SESSION_MAX_HOURS },
      lockout: { threshold: c.AUTH_LOCKOUT_THRESHOLD, minutes: c.AUTH_LOCKOUT_MINUTES, ipSignInsPerMinute: c.AUTH_IP_SIGN_INS_PER_MINUTE },
      risk: {
        maxPositionQty: c.RISK_MAX_POSITION_QTY, maxPositionNotional: c.RISK_MAX_POSITION_NOTIONAL, maxGrossExposure: c.RISK_MAX_GROSS_EXPOSURE,
        maxNetExposure: c.RISK_MAX_NET_EXPOSURE, maxOpenOrders: c.RISK_MAX_OPEN_ORDERS, maxOrdersPerMinute: c.RISK_MAX_ORDERS_PER_MINUTE,
        dailyLossLimit: c.RISK_DAILY_LOSS_LIMIT, maxDrawdownPct: c.RISK_MAX_DRAWDOWN_PCT,
      },
      secrets: { SESSION_SECRET: !!c.SESSION_SECRET, ALPACA_KEY_ID: !!c.ALPACA_KEY_ID, POLYGON_API_KEY: !!c.POLYGON_API_KEY },
    };
  }),
  setTwoPersonApproval: adminProcedure.input(z.object({ enabled: z.boolean(), reason: ZReason }).merge(ZReauth)).mutation(async ({ ctx, input }) => {
    await requirePassword(ctx.deps, ctx.actor, input.password, 'settings.change');
    return setSetting(ctx.deps.prisma, 'twoPersonApproval', input.enabled, ctx.actor, input.reason);
  }),
});

export const approvalsRouter = router({
  list: adminProcedure.output(z.array(ZApprovalView)).query(({ ctx }) => listApprovals(ctx.deps.prisma)),
  decide: adminProcedure.input(z.object({ id: z.string().uuid(), approve: z.boolean() }).merge(ZReauth)).output(ZApprovalDecision).mutation(async ({ ctx, input }) => {
    await requirePassword(ctx.deps, ctx.actor, input.password, input.approve ? 'approval.approve' : 'approval.reject');
    const actor = ctx.actor;
    const r = await asTrpc(
      decideApproval(ctx.deps.prisma, {
        id: input.id, approve: input.approve, actor,
        execute: (action, payload, reason) => {
          const run = approvalExecutors[action];
          if (!run) throw new Error(`no executor for ${action}`);
          return run({ deps: ctx.deps, actor }, payload, reason);
        },
      }),
    );
    await ctx.deps.events.publish('audit');
    return r;
  }),
});
