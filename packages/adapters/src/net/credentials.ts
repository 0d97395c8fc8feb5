// Credentials given once (tests, tools): a CredentialSource that never changes.
import type { CredentialSource } from '@ai-trader/core';

export function fixedCredentials<T>(value: T): CredentialSource<T> {
  return { get: () => Promise.resolve(value), refresh: () => Promise.resolve(value), onChange: () => () => undefined };
}
