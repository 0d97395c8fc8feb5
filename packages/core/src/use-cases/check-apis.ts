// `ai-trader status --check-apis`: the key each provider's clients use now (stored active key, else the environment),
// tried against the provider — reachable, authorised, clock skew — with its masked form, age and last rotation.
import type { TApiCheck, TApiProvider, TCheckApis } from '@ai-trader/contracts';
import type { Deps } from '../ports.ts';
import { activeCredentials, PROVIDER_NAME, probeKey, recordTest } from './api-keys.ts';

/** Beyond this our clock is off enough to matter (order times, session edges, signed requests): the check fails. */
export const MAX_CLOCK_SKEW_MS = 5_000;

const DAY_MS = 86_400_000;

/** The providers this install uses (BROKER, FEED), plus any with an active stored key. */
async function providersInUse(deps: Pick<Deps, 'prisma' | 'config'>): Promise<TApiProvider[]> {
  const set = new Set<TApiProvider>();
  if (deps.config.BROKER === 'alpaca') set.add('alpaca');
  if (deps.config.FEED === 'polygon') set.add('polygon');
  for (const r of await deps.prisma.apiKey.findMany({ where: { status: 'active' }, select: { provider: true } })) set.add(r.provider as TApiProvider);
  return (['alpaca', 'polygon'] as const).filter((p) => set.has(p));
}

export async function checkApis(deps: Deps): Promise<TCheckApis> {
  const checks: TApiCheck[] = [];
  for (const provider of await providersInUse(deps)) checks.push(await checkOne(deps, provider));
  return { ok: checks.every((c) => c.ok), checkedAt: deps.clock.now().toISOString(), checks };
}

async function checkOne(deps: Deps, provider: TApiProvider): Promise<TApiCheck> {
  const none = { keyRowId: null, masked: null, reachable: false, authorised: false, clockSkewMs: null, keyAgeDays: null, activatedAt: null };
  let creds: Awaited<ReturnType<typeof activeCredentials>>;
  try {
    creds = await activeCredentials(deps, provider);
  } catch (e) {
    return { provider, source: 'stored', ok: false, ...none, detail: (e as Error).message };
  }
  if (!creds) return { provider, source: 'none', ok: false, ...none, detail: `no ${PROVIDER_NAME[provider]} key: add one (ai-trader keys add --provider ${provider}) or set it in the environment` };
  const test = await probeKey(deps, creds.secret);
  const skewed = test.clockSkewMs !== null && Math.abs(test.clockSkewMs) > MAX_CLOCK_SKEW_MS;
  if (creds.row) {
    const row = await deps.prisma.apiKey.findUnique({ where: { id: creds.row.id } });
    if (row) await recordTest(deps, row, test);
  }
  const now = deps.clock.now().getTime();
  return {
    provider, source: creds.source, keyRowId: creds.row?.id ?? null, masked: creds.masked,
    ok: test.ok && !skewed, reachable: test.reachable, authorised: test.authorised, clockSkewMs: test.clockSkewMs,
    detail: skewed ? `${test.detail}; clock skew beyond ${MAX_CLOCK_SKEW_MS / 1000} s: check this machine's time (NTP)` : test.detail,
    keyAgeDays: creds.row ? Math.floor((now - creds.row.createdAt.getTime()) / DAY_MS) : null,
    activatedAt: creds.row?.activatedAt?.toISOString() ?? null,
  };
}
