import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSecretBox, SecretBoxError, secretBoxFromConfig } from './secret-box.ts';

const k1 = { id: 'k1', key: randomBytes(32) };
const k2 = { id: 'k2', key: randomBytes(32) };
const SECRET = '{"keyId":"PKTEST123456","secretKey":"s3cr3t-value-that-must-not-leak"}';
const AAD = 'ait-api-key-v1|alpaca|8b0c1f7e-0000-4000-8000-000000000001';

describe('secret box (AES-256-GCM)', () => {
  it('opens what it sealed, with a fresh 12-byte IV each time and the sealing key id recorded', () => {
    const box = createSecretBox([k1, k2]);
    const a = box.seal(SECRET, AAD);
    const b = box.seal(SECRET, AAD);
    expect(a.encKeyId).toBe('k1');
    expect(a.iv).toHaveLength(12);
    expect(a.authTag).toHaveLength(16);
    expect(a.iv.equals(b.iv)).toBe(false);
    expect(a.ciphertext.equals(b.ciphertext)).toBe(false);
    expect(a.ciphertext.toString('utf8')).not.toContain('s3cr3t');
    expect(box.open(a, AAD)).toBe(SECRET);
  });

  it('seals with the chosen key and still opens seals of the older key (encryption key rotation)', () => {
    const old = createSecretBox([k1]).seal(SECRET, AAD);
    const box = createSecretBox([k1, k2], 'k2');
    expect(box.seal(SECRET, AAD).encKeyId).toBe('k2');
    expect(box.open(old, AAD)).toBe(SECRET);
  });

  it('refuses a changed ciphertext, tag or IV', () => {
    const box = createSecretBox([k1]);
    const s = box.seal(SECRET, AAD);
    const flip = (b: Buffer, i = 0) => {
      const c = Buffer.from(b);
      c[i] = c[i]! ^ 1;
      return c;
    };
    expect(() => box.open({ ...s, ciphertext: flip(s.ciphertext, 5) }, AAD)).toThrow(SecretBoxError);
    expect(() => box.open({ ...s, authTag: flip(s.authTag) }, AAD)).toThrow(/does not open with encryption key 'k1': it was changed, or belongs to another row/);
    expect(() => box.open({ ...s, iv: flip(s.iv) }, AAD)).toThrow(SecretBoxError);
    expect(() => box.open({ ...s, authTag: s.authTag.subarray(0, 8) }, AAD)).toThrow(/malformed/);
  });

  it('refuses a seal moved to another row or provider (the additional data differs)', () => {
    const box = createSecretBox([k1]);
    const s = box.seal(SECRET, AAD);
    expect(() => box.open(s, AAD.replace('000000000001', '000000000002'))).toThrow(/belongs to another row/);
    expect(() => box.open(s, AAD.replace('alpaca', 'polygon'))).toThrow(SecretBoxError);
  });

  it('names an unknown key id clearly, and a different key with the same id fails to open', () => {
    const s = createSecretBox([k2]).seal(SECRET, AAD);
    expect(() => createSecretBox([k1]).open(s, AAD)).toThrow("sealed with encryption key 'k2', which KEYS_ENCRYPTION_KEYS does not have (its ids: k1); put that entry back");
    expect(() => createSecretBox([{ id: 'k2', key: randomBytes(32) }]).open(s, AAD)).toThrow(/does not open/);
  });

  it('takes its keys from the configuration; none configured → null', () => {
    expect(secretBoxFromConfig({})).toBeNull();
    const box = secretBoxFromConfig({ KEYS_ENCRYPTION_KEYS: `a:${k1.key.toString('base64')},b:${k2.key.toString('base64url')}`, KEYS_ENCRYPTION_KEY_ID: 'b' })!;
    expect(box.sealingKeyId).toBe('b');
    expect(createSecretBox([{ id: 'b', key: k2.key }]).open(box.seal(SECRET, AAD), AAD)).toBe(SECRET);
    expect(() => createSecretBox([{ id: 'x', key: randomBytes(16) }])).toThrow(/must be 32 bytes/);
  });
});
