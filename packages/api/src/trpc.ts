// tRPC setup: context (deps, signed-in actor, live hub), role-gated procedures, and errors that say
// what went wrong without leaking internals.
import type { TActor, TRole } from '@ai-trader/contracts';
import { ForbiddenError, type Deps } from '@ai-trader/core';
import { initTRPC, TRPCError } from '@trpc/server';
import superjson from 'superjson';
import { ZodError } from 'zod';
import type { LiveHub } from './live-hub.ts';

export interface Context {
  deps: Deps;
  live: LiveHub;
  actor: TActor | null;
}

/** Every procedure declares the least role that may call it (the role matrix test reads this). */
export interface Meta {
  role: TRole;
}

const t = initTRPC.context<Context>().meta<Meta>().create({
  transformer: superjson,
  sse: { ping: { enabled: true, intervalMs: 15_000 }, client: { reconnectAfterInactivityMs: 40_000 } },
  errorFormatter({ shape, error }) {
    const zod = error.cause instanceof ZodError ? error.cause.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`) : null;
    const { stack: _stack, ...data } = shape.data; // never send server stack traces to the browser
    return { ...shape, data: { ...data, validation: zod } };
  },
});

export const router = t.router;

const RANK: Record<TRole, number> = { viewer: 0, trader: 1, admin: 2 };

/** Turns use-case errors into the right tRPC codes. */
const mapErrors = t.middleware(async ({ next }) => {
  const res = await next();
  if (!res.ok && res.error.cause instanceof ForbiddenError) throw new TRPCError({ code: 'FORBIDDEN', message: res.error.cause.message });
  return res;
});

export const roleProcedure = (min: TRole) =>
  t.procedure.meta({ role: min }).use(mapErrors).use(({ ctx, next }) => {
    if (!ctx.actor) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'sign in first' });
    if (RANK[ctx.actor.role] < RANK[min]) throw new TRPCError({ code: 'FORBIDDEN', message: `needs the ${min} role (you are ${ctx.actor.role})` });
    return next({ ctx: { ...ctx, actor: ctx.actor } });
  });

export const viewerProcedure = roleProcedure('viewer');
export const traderProcedure = roleProcedure('trader');
export const adminProcedure = roleProcedure('admin');
