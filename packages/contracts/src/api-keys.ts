// Provider API keys stored encrypted (`ai-trader keys`, the console's keys panel): what goes in, and what comes
// out — masked forms only; a secret never leaves the server.
import { z } from 'zod';

export const ZApiProvider = z.enum(['alpaca', 'polygon']);
export type TApiProvider = z.infer<typeof ZApiProvider>;

/** pending: added, not in use; active: the one in use (at most one per provider); disabled: kept for rollback;
 *  failed: its last test failed (test it again once fixed at the provider). */
export const ZApiKeyStatus = z.enum(['pending', 'active', 'disabled', 'failed']);
export type TApiKeyStatus = z.infer<typeof ZApiKeyStatus>;

const printable = (what: string, max: number) =>
  z.string().trim().min(8, `${what} is too short (at least 8 characters)`).max(max, `${what} is too long (at most ${max} characters)`)
    .regex(/^[\x21-\x7e]+$/, `${what} must be printable characters without spaces`);
const label = z.string().trim().max(80, 'label is too long (at most 80 characters)').optional();

export const ZAddApiKey = z.discriminatedUnion('provider', [
  z.object({ provider: z.literal('alpaca'), label, keyId: printable('key id', 128), secretKey: printable('secret key', 256) }),
  z.object({ provider: z.literal('polygon'), label, apiKey: printable('API key', 256) }),
]);
export type TAddApiKey = z.infer<typeof ZAddApiKey>;

export const ZApiKeyRow = z.object({
  id: z.string(),
  provider: ZApiProvider,
  status: ZApiKeyStatus,
  label: z.string().nullable(),
  /** e.g. "PK…9F3A": the only form of the key ever shown. */
  masked: z.string(),
  /** Which KEYS_ENCRYPTION_KEYS entry sealed it. */
  encKeyId: z.string(),
  createdAt: z.string(),
  createdByEmail: z.string(),
  testedAt: z.string().nullable(),
  testOk: z.boolean().nullable(),
  testResult: z.string().nullable(),
  activatedAt: z.string().nullable(),
  disabledAt: z.string().nullable(),
});
export type TApiKeyRow = z.infer<typeof ZApiKeyRow>;

/** What the provider said to a key: reachable (it answered), authorised (it took the key), the clock skew seen. */
export const ZApiKeyTest = z.object({
  ok: z.boolean(),
  reachable: z.boolean(),
  authorised: z.boolean(),
  detail: z.string(),
  /** Provider clock minus ours (ms), where the provider tells its time. */
  clockSkewMs: z.number().nullable(),
  testedAt: z.string(),
});
export type TApiKeyTest = z.infer<typeof ZApiKeyTest>;

export const ZApiKeyTested = z.object({ key: ZApiKeyRow, test: ZApiKeyTest });
export type TApiKeyTested = z.infer<typeof ZApiKeyTested>;

/** Rotation or rollback: swapped (the key is active, the previous one disabled) or refused (nothing changed). */
export const ZApiKeySwap = z.object({
  outcome: z.enum(['swapped', 'refused']),
  provider: ZApiProvider,
  key: ZApiKeyRow,
  previous: ZApiKeyRow.nullable(),
  test: ZApiKeyTest,
  message: z.string(),
});
export type TApiKeySwap = z.infer<typeof ZApiKeySwap>;

export const ZApiCheck = z.object({
  provider: ZApiProvider,
  /** Where the key in use comes from: a stored active key, the environment, or nowhere. */
  source: z.enum(['stored', 'env', 'none']),
  keyRowId: z.string().nullable(),
  masked: z.string().nullable(),
  ok: z.boolean(),
  reachable: z.boolean(),
  authorised: z.boolean(),
  clockSkewMs: z.number().nullable(),
  detail: z.string(),
  /** Days since the key in use was added (stored keys only). */
  keyAgeDays: z.number().nullable(),
  /** When the key in use became active (the last rotation or rollback). */
  activatedAt: z.string().nullable(),
});
export type TApiCheck = z.infer<typeof ZApiCheck>;

export const ZCheckApis = z.object({ ok: z.boolean(), checkedAt: z.string(), checks: z.array(ZApiCheck) });
export type TCheckApis = z.infer<typeof ZCheckApis>;

export const ZApiKeyId = z.object({ id: z.string().uuid('must be a key id (a UUID, see keys list)') });
export const ZRotateApiKey = z.object({ provider: ZApiProvider, id: z.string().uuid('must be a key id (a UUID, see keys list)') });
export const ZRollbackApiKey = z.object({ provider: ZApiProvider });
