// Provider API keys (console keys panel): admin only, reading included. Every call that opens or changes a key asks
// for the admin's password again first. Outputs are parsed by their schemas, so only masked fields ever leave.
import { ZAddApiKey, ZApiKeyId, ZApiKeyRow, ZApiKeySwap, ZApiKeyTested, ZRollbackApiKey, ZRotateApiKey } from '@ai-trader/contracts';
import { addApiKey, ApiKeyError, disableApiKey, listApiKeys, rollbackApiKey, rotateApiKey, SecretBoxError, testApiKey } from '@ai-trader/core';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { requirePassword, ZReauth } from '../account-security.ts';
import { getSettings, requestApproval } from '../approvals.ts';
import { adminProcedure, router } from '../trpc.ts';

const ZPendingRotation = z.object({ outcome: z.literal('pending-approval'), approvalId: z.string(), expiresAt: z.date(), message: z.string() });
const reason = z.string().trim().max(500, 'reason is too long (at most 500 characters)').optional();

/** Use-case refusals as tRPC errors with their own words (they name keys by their masked form only). */
const keysProcedure = adminProcedure.use(async ({ next }) => {
  const res = await next();
  if (!res.ok) {
    const cause = res.error.cause;
    if (cause instanceof ApiKeyError) throw new TRPCError({ code: cause.code, message: cause.message, cause });
    if (cause instanceof SecretBoxError) throw new TRPCError({ code: 'PRECONDITION_FAILED', message: cause.message, cause });
  }
  return res;
});

export const keysRouter = router({
  list: keysProcedure.output(z.array(ZApiKeyRow)).query(({ ctx }) => listApiKeys(ctx.deps)),
  add: keysProcedure.input(z.object({ key: ZAddApiKey }).merge(ZReauth)).output(ZApiKeyRow).mutation(async ({ ctx, input }) => {
    await requirePassword(ctx.deps, ctx.actor, input.password, 'keys.add');
    return addApiKey(ctx.deps, { actor: ctx.actor, key: input.key });
  }),
  test: keysProcedure.input(ZApiKeyId.merge(ZReauth)).output(ZApiKeyTested).mutation(async ({ ctx, input }) => {
    await requirePassword(ctx.deps, ctx.actor, input.password, 'keys.test');
    return testApiKey(ctx.deps, { actor: ctx.actor, id: input.id });
  }),
  /** The swap; under the two-person policy only the request, which a second admin approves (Admin page, approvals). */
  rotate: keysProcedure.input(ZRotateApiKey.merge(ZReauth).extend({ reason })).output(z.union([ZApiKeySwap, ZPendingRotation])).mutation(async ({ ctx, input }) => {
    await requirePassword(ctx.deps, ctx.actor, input.password, 'keys.rotate');
    if ((await getSettings(ctx.deps.prisma)).twoPersonApproval) {
      const a = await requestApproval(ctx.deps.prisma, { action: 'keys.rotate', payload: { provider: input.provider, id: input.id }, reason: input.reason || `rotate the ${input.provider} key`, actor: ctx.actor });
      await ctx.deps.events.publish('audit');
      return { outcome: 'pending-approval' as const, approvalId: a.approvalId, expiresAt: a.expiresAt, message: `Rotation requested: a second admin must approve it (Admin page, Approvals) by ${a.expiresAt.toISOString()}.` };
    }
    return rotateApiKey(ctx.deps, { actor: ctx.actor, provider: input.provider, id: input.id, reason: input.reason });
  }),
  rollback: keysProcedure.input(ZRollbackApiKey.merge(ZReauth).extend({ reason })).output(ZApiKeySwap).mutation(async ({ ctx, input }) => {
    await requirePassword(ctx.deps, ctx.actor, input.password, 'keys.rollback');
    return rollbackApiKey(ctx.deps, { actor: ctx.actor, provider: input.provider, reason: input.reason });
  }),
  disable: keysProcedure.input(ZApiKeyId.merge(ZReauth).extend({ reason })).output(ZApiKeyRow).mutation(async ({ ctx, input }) => {
    await requirePassword(ctx.deps, ctx.actor, input.password, 'keys.disable');
    return disableApiKey(ctx.deps, { actor: ctx.actor, id: input.id, reason: input.reason });
  }),
});
