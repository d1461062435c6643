import { hash, timingSafeEqual } from 'node:crypto';

/** Compare two secrets in constant time, whatever their lengths (both are hashed to 32 bytes first). */
export function constantTimeEqual(a: string | Buffer, b: string | Buffer): boolean {
  return timingSafeEqual(hash('sha256', a, 'buffer'), hash('sha256', b, 'buffer'));
}

/** `true` when `candidate` equals any of `secrets`; every secret is compared, so the time does not say which matched. */
export function matchesAny(candidate: string | Buffer, secrets: readonly (string | Buffer)[]): boolean {
  let found = false;
  for (const secret of secrets) found = constantTimeEqual(candidate, secret) || found;
  return found;
}
