// Rotation and rollback of a provider's active API key: the new key must pass a recent test against the provider,
// then one transaction (the provider's rows locked) disables the old key and activates the new one, audited with
// masked keys only; running clients learn of it on Redis and re-read their credentials. A failed test changes nothing.
import type { TApiKeySwap, TApiKeyTest, TApiProvider } from '@ai-trader/contracts';
import type { ApiKeyModel as ApiKey } from '@ai-trader/db';
import { keys } from '../infra/redis.ts';
import type { Deps } from '../ports.ts';
import {
  ApiKeyError, auditedKey, openKey, PROVIDER_NAME, probeKey, recordTest, requireAdmin, requireBox, toKeyRow, type KeyActor,
} from './api-keys.ts';

/** A passing test older than this is repeated before the key goes live (the provider may have revoked it since). */
export const TEST_FRESH_MS = 5 * 60_000;

type Swap = 'rotate' | 'rollback';

/** Makes a pending key (added and tested) the provider's active key; the active one is kept disabled for rollback. */
export async function rotateApiKey(deps: Deps, input: { actor: KeyActor; provider: TApiProvider; id: string; reason?: string }): Promise<TApiKeySwap> {
  requireAdmin(input.actor);
  const row = await deps.prisma.apiKey.findUnique({ where: { id: input.id } });
  if (!row) throw new ApiKeyError('NOT_FOUND', `no API key ${input.id} (see keys list)`);
  if (row.provider !== input.provider) throw new ApiKeyError('BAD_REQUEST', `key ${input.id} (${row.masked}) is a ${row.provider} key, not ${input.provider}`);
  if (row.status === 'active') throw new ApiKeyError('CONFLICT', `${row.masked} is already the active ${PROVIDER_NAME[input.provider]} key`);
  if (row.status === 'disabled') throw new ApiKeyError('CONFLICT', `${row.masked} is disabled: to go back to it, use keys rollback (or add it again)`);
  return swapIn(deps, 'rotate', input, row);
}

/** Re-activates the most recently disabled key that was active before, after testing it; the current one is disabled. */
export async function rollbackApiKey(deps: Deps, input: { actor: KeyActor; provider: TApiProvider; reason?: string }): Promise<TApiKeySwap> {
  requireAdmin(input.actor);
  const row = await deps.prisma.apiKey.findFirst({
    where: { provider: input.provider, status: 'disabled', activatedAt: { not: null } }, orderBy: { disabledAt: 'desc' },
  });
  if (!row) throw new ApiKeyError('CONFLICT', `no earlier ${PROVIDER_NAME[input.provider]} key to roll back to (none was active and then disabled)`);
  return swapIn(deps, 'rollback', input, row);
}

async function swapIn(deps: Deps, kind: Swap, input: { actor: KeyActor; provider: TApiProvider; reason?: string }, row: ApiKey): Promise<TApiKeySwap> {
  const { actor, provider } = input;
  const now = deps.clock.now();
  const fresh = row.testOk === true && row.testedAt !== null && now.getTime() - row.testedAt.getTime() <= TEST_FRESH_MS && row.status !== 'disabled';
  let tested = row;
  let test: TApiKeyTest;
  if (fresh) test = { ok: true, reachable: true, authorised: true, clockSkewMs: null, detail: row.testResult ?? 'passed', testedAt: row.testedAt!.toISOString() };
  else {
    test = await probeKey(deps, openKey(requireBox(deps.config), row));
    tested = await recordTest(deps, row, test);
  }
  const current = await deps.prisma.apiKey.findFirst({ where: { provider, status: 'active' } });
  if (!test.ok) {
    const message = `${kind === 'rotate' ? 'rotation' : 'rollback'} to ${row.masked} refused: its test failed (${test.detail}); ${current ? `${current.masked} stays active` : 'no key was active, none is'}`;
    await deps.prisma.auditLog.create({
      data: {
        at: deps.clock.now(), actorId: actor.id, actorEmail: actor.email, action: `keys.${kind}-refused`, reason: input.reason ?? null,
        before: current ? auditedKey(current) : undefined, after: { candidate: auditedKey(tested), detail: test.detail },
      },
    });
    await deps.events.publish('audit');
    deps.logger.info({ category: 'system', provider, keyRowId: row.id, masked: row.masked, actor: actor.email }, message);
    return { outcome: 'refused', provider, key: toKeyRow(tested), previous: current ? toKeyRow(current) : null, test, message };
  }

  const { after, before } = await deps.prisma.$transaction(async (tx) => {
    // Every row of the provider, locked: two admins swapping at once go one after the other, never leaving two active.
    const locked = await tx.$queryRaw<Array<{ id: string; status: string }>>`SELECT id, status FROM api_keys WHERE provider = ${provider} FOR UPDATE`;
    const me = locked.find((r) => r.id === row.id);
    const expected = kind === 'rotate' ? ['pending', 'failed'] : ['disabled'];
    if (!me || !expected.includes(me.status)) throw new ApiKeyError('CONFLICT', `${row.masked} changed meanwhile (now ${me?.status ?? 'gone'}); nothing was swapped`);
    const actives = locked.filter((r) => r.status === 'active').map((r) => r.id);
    const previous = actives.length ? await tx.apiKey.findFirst({ where: { id: { in: actives } }, orderBy: { activatedAt: 'desc' } }) : null;
    const at = deps.clock.now();
    if (actives.length) await tx.apiKey.updateMany({ where: { id: { in: actives } }, data: { status: 'disabled', disabledAt: at } });
    const activated = await tx.apiKey.update({ where: { id: row.id }, data: { status: 'active', activatedAt: at, disabledAt: null } });
    await tx.auditLog.create({
      data: {
        at, actorId: actor.id, actorEmail: actor.email, action: `keys.${kind}`, reason: input.reason ?? null,
        before: { active: previous ? auditedKey(previous) : null },
        after: { active: auditedKey(activated), disabled: previous ? { ...auditedKey(previous), status: 'disabled' } : null, test: test.detail },
      },
    });
    return { after: activated, before: previous ? await tx.apiKey.findUniqueOrThrow({ where: { id: previous.id } }) : null };
  });
  await announceKeyChange(deps, provider);
  await deps.events.publish('audit');
  const message = `${PROVIDER_NAME[provider]} key ${after.masked} is active${before ? `; ${before.masked} is disabled (kept for rollback)` : ''}`;
  deps.logger.info({ category: 'system', provider, keyRowId: after.id, masked: after.masked, previous: before?.masked ?? null, actor: actor.email }, `${kind}: ${message}`);
  return { outcome: 'swapped', provider, key: toKeyRow(after), previous: before ? toKeyRow(before) : null, test, message };
}

/** Tells every running process that the provider's key changed (they re-read; a TTL covers a missed message). */
export async function announceKeyChange(deps: Pick<Deps, 'redis' | 'config' | 'clock'>, provider: TApiProvider): Promise<void> {
  await deps.redis.publish(keys(deps.config.REDIS_PREFIX).apiKeysChanged, JSON.stringify({ provider, at: deps.clock.now().toISOString() }));
}
